"""代客录入: an operator takes a request down (a call, a visit, a letter) and looks a caller up.

POST /api/v1/staff/requests goes through the residents' intake with the operator's own
Source: no SMS code, the caller's phone verified, the trail naming the operator and the
channel; dispatched or answered (当场答复) in the order's own transaction.
GET /api/v1/staff/callers/{phone}/requests lists a phone's requests by its keyed hash.
"""
from __future__ import annotations

import pytest

from tests.api.staff_helpers import API, DISPATCHER, HANDLER_CG, LEADER, START, Desk, assert_error
from tests.sms_loop import Loop, texts_to

CLOCK_START = START
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

OPERATOR = ("operator",)
INTAKE = f"{API}/staff/requests"
PHONE = "13904371234"
E164 = "+86" + PHONE


def call(**overrides) -> dict:
    """A consultation taken on the phone, from a named caller."""
    body = {
        "type": "consult",
        "category": "other",
        "description": "来电咨询：办理户口迁移需要带哪些材料",
        "location": {"lat": 42.9, "lng": 125.14},
        "channel": "phone",
        "caller": {"name": "王秀英", "phone": PHONE},
    }
    return {**body, **overrides}


def take(desk: Desk, body: dict, who=OPERATOR, status: int = 201, headers: dict | None = None):
    answer = desk.api.post(INTAKE, body, {**desk.headers(who), **(headers or {})})
    assert answer.status == status, answer
    return answer.json


def callers(desk: Desk, phone: str, who=OPERATOR, **params):
    suffix = "&".join(f"{k}={v}" for k, v in params.items())
    return desk.api.get(f"{API}/staff/callers/{phone}/requests" + (f"?{suffix}" if suffix else ""), desk.headers(who))


def test_an_operator_takes_a_call_without_an_sms_code_and_the_trail_names_them_and_the_channel(desk):
    receipt = take(desk, call(received_at="2025-03-03T09:45:00+08:00"))
    assert receipt["tracking_no"].startswith("LY20250303") and receipt["query_code"]
    assert receipt["state"] == "submitted"  # nothing routes "other": it waits for the dispatcher
    detail = desk.order(receipt["tracking_no"])
    assert (detail["channel"], detail["verified"]) == ("phone", True)
    assert detail["contact"] == {"name": "王秀英", "phone": E164, "masked": False}
    submitted = detail["trail"][0]
    assert submitted["actor"] == {"role": "operator", "id": "test-operator-0", "unit": None}
    assert submitted["note"] == "话务员受理（电话），接收时间2025-03-03 09:45，来电人电话已由工作人员核实，免短信验证"


def test_the_caller_hears_by_sms_as_a_resident_does(desk):
    receipt = take(desk, call())
    Loop().run()
    (text,) = texts_to(E164)
    assert receipt["tracking_no"] in text and receipt["query_code"] in text


def test_an_operator_dispatches_in_the_same_step_and_the_dispatch_names_them(desk):
    receipt = take(desk, call(type="complaint", dispatch={"unit": "lsq-cg"}))
    assert receipt["state"] == "dispatched" and receipt["unit"]["code"] == "lsq-cg" and receipt["due_at"]
    trail = desk.order(receipt["tracking_no"])["trail"]
    assert [e["action"] for e in trail] == ["submit", "dispatch"]
    assert trail[1]["actor"]["role"] == "operator"
    assert receipt["tracking_no"] in [i["tracking_no"] for i in desk.list(HANDLER_CG).json["items"]]


def test_a_consultation_answered_on_the_line_is_stored_resolved_with_the_reply(desk):
    reply = "户口迁移需携带身份证、户口簿和准迁证明，到派出所户籍窗口办理。"
    receipt = take(desk, call(answer={"reply": reply}))
    assert receipt["state"] == "resolved" and receipt["unit"] is None
    detail = desk.order(receipt["tracking_no"])
    assert [e["action"] for e in detail["trail"]] == ["submit", "answer"]
    assert detail["trail"][1]["note"] == f"当场答复：{reply}"
    assert detail["reply"] == reply
    Loop().run()
    assert any("已当场答复" in text for text in texts_to(E164))
    public = desk.track(receipt)
    assert public["state"] == "resolved"


def test_a_caller_dissatisfied_with_an_answer_goes_back_to_the_dispatcher(desk, api):
    receipt = take(desk, call(answer={"reply": "请到派出所户籍窗口咨询。"}))
    rated = api.post(f"{API}/requests/{receipt['tracking_no']}/rating", {"code": receipt["query_code"], "stars": 1})
    assert rated.status == 200, rated
    detail = desk.order(receipt["tracking_no"])
    assert (detail["state"], detail["unit"]) == ("submitted", None)
    assert "dispatch" in [a["action"] for a in detail["allowed_actions"]]


def test_received_at_in_the_future_is_refused_and_nothing_is_written(desk):
    assert_error(desk.api.post(INTAKE, call(received_at="2025-03-03T10:05:00+08:00"), desk.headers(OPERATOR)),
                 422, "validation_failed", {"received_at"})
    assert desk.numbers() == []


@pytest.mark.parametrize("received_at", ["0001-01-01T00:00:00+23:00", "2024-03-01T10:00:00+08:00"])
def test_received_at_long_ago_is_refused_not_a_5xx(desk, received_at):
    """Before the year's window: a typo (a year too far back) or a date the clock cannot render."""
    assert_error(desk.api.post(INTAKE, call(received_at=received_at), desk.headers(OPERATOR)),
                 422, "validation_failed", {"received_at"})


def test_dispatch_and_answer_together_are_refused(desk):
    body = call(dispatch={"unit": "lsq-cg"}, answer={"reply": "已答复"})
    assert_error(desk.api.post(INTAKE, body, desk.headers(OPERATOR)), 422, "validation_failed")
    assert desk.numbers() == []


@pytest.mark.parametrize("overrides, field", [
    ({"channel": "web"}, "channel"),  # the residents' own
    ({"channel": "hotline"}, "channel"),  # a partner's, with its keys
    ({"contact": {"name": "王秀英", "phone": PHONE, "otp": "123456"}}, "contact"),
    ({"caller": {"name": "王秀英"}}, "caller"),  # a name nobody can reach
    ({"dispatch": {"unit": "nowhere"}}, "dispatch.unit"),
])
def test_bad_intake_is_422(desk, overrides, field):
    error = assert_error(desk.api.post(INTAKE, call(**overrides), desk.headers(OPERATOR)), 422, "validation_failed")
    assert any(name.startswith(field) for name in error["fields"]), error


def test_a_refused_dispatch_costs_the_day_no_number(desk):
    assert_error(desk.api.post(INTAKE, call(dispatch={"unit": "nowhere"}), desk.headers(OPERATOR)), 422)
    assert take(desk, call())["tracking_no"] == "LY202503030001"


def test_an_anonymous_caller_stays_anonymous(desk):
    receipt = take(desk, call(caller={}))
    detail = desk.order(receipt["tracking_no"])
    assert (detail["contact"], detail["verified"], detail["anonymous"]) == (None, False, True)


def test_the_idempotency_key_answers_a_retry_with_the_first_answer(desk, clock):
    key = {"Idempotency-Key": "3f1c6d7e-8a9b-4c2d-9e0f-1a2b3c4d5e6f"}
    first = take(desk, call(), headers=key)
    clock.tick(5)
    again = take(desk, call(), headers=key)
    assert again == first
    assert desk.numbers() == [first["tracking_no"]]


@pytest.mark.parametrize("who", [HANDLER_CG, LEADER, ("admin",)])
def test_only_operators_and_dispatchers_take_requests(desk, who):
    assert_error(desk.api.post(INTAKE, call(), desk.headers(who)), 403, "forbidden")


def test_a_dispatcher_takes_a_request_too(desk):
    receipt = take(desk, call(channel="letter", caller={}), DISPATCHER)
    assert desk.order(receipt["tracking_no"])["trail"][0]["note"] == "派单员受理（来信）"


def test_a_resident_token_or_none_is_refused(desk, api):
    assert api.post(INTAKE, call()).status == 401
    assert api.get(f"{API}/staff/callers/{PHONE}/requests").status == 401


def test_an_operator_takes_no_action_through_the_actions_route(desk):
    receipt = take(desk, call())
    answer = desk.act(receipt["tracking_no"], OPERATOR, "dispatch", unit="lsq-cg")
    assert_error(answer, 403)
    assert_error(desk.act(receipt["tracking_no"], DISPATCHER, "answer", reply="已答复"), 422)


# ---- the caller's earlier requests ---------------------------------------------------------

def test_a_repeat_caller_finds_every_request_with_that_phone_newest_first_and_paged(desk, clock):
    online = desk.submit("sanitation", "220402", contact={"name": "王秀英", "phone": PHONE})["tracking_no"]
    clock.tick(60)
    first = take(desk, call())["tracking_no"]
    clock.tick(60)
    second = take(desk, call(channel="walk_in"))["tracking_no"]
    take(desk, call(caller={"phone": "13904370000"}))  # another caller

    page = callers(desk, PHONE, limit=2)
    assert page.status == 200, page
    assert [i["tracking_no"] for i in page.json["items"]] == [second, first]
    assert page.json["items"][0]["summary"] == "来电咨询：办理户口迁移需要带哪些材料"  # unmasked, as in the queue
    rest = callers(desk, PHONE, limit=2, cursor=page.json["cursor"])
    assert [i["tracking_no"] for i in rest.json["items"]] == [online] and rest.json["cursor"] is None
    assert [i["tracking_no"] for i in callers(desk, E164, LEADER).json["items"]][:1] == [second]


def test_the_lookup_is_a_query_on_the_phone_index_never_a_scan(desk, aws_calls):
    take(desk, call())
    aws_calls.clear()
    assert callers(desk, PHONE).status == 200
    queries = [params for name, params in aws_calls if name == "Query"]
    assert [q["IndexName"] for q in queries] == ["by-phone"]
    assert PHONE not in str(queries)  # by its keyed hash


def test_a_bad_phone_is_422_and_a_handler_is_403(desk):
    assert_error(callers(desk, "12345"), 422, "validation_failed", {"phone"})
    assert_error(callers(desk, PHONE, HANDLER_CG), 403, "forbidden")
