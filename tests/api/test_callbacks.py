"""Callbacks (回访) through the API: the resident's rating taken by phone, the unreached tries, the follow-up
on a closed order, and 不满意专项督办 (a 1–2 star rating on the leaders' red list at once)."""
from __future__ import annotations

import pytest

from tests.api.staff_helpers import API, CONTACT, DISPATCHER, HANDLER_CG, LEADER, START, assert_error

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

OPERATOR = ("operator",)


@pytest.fixture
def resolved(desk, in_progress) -> str:
    desk.done(in_progress, HANDLER_CG, "resolve", reply="已安排环卫车辆清运完毕")
    return in_progress


def last_entry(desk, no: str) -> dict:
    return desk.order(no)["trail"][-1]


def test_a_satisfied_callback_closes_the_order_as_the_residents_rating_would(desk, resolved):
    result = desk.done(resolved, OPERATOR, "callback", reached=True, stars=4, comment="群众表示满意")

    assert result["state"] == "closed"
    order = desk.order(resolved)
    assert (order["rating"], order["rating_source"], order["closed_at"]) == (4, "callback", "2025-03-03T10:00:00+08:00")
    entry = order["trail"][-1]
    assert (entry["action"], entry["label"], entry["actor"]["role"], entry["note"]) == (
        "callback", "回访", "operator", "群众表示满意",
    )


def test_a_dissatisfied_callback_reopens_the_order_and_puts_it_on_the_red_list(desk, resolved):
    result = desk.done(resolved, OPERATOR, "callback", reached=True, stars=2)

    assert result["state"] == "in_progress"
    order = desk.order(resolved)
    assert (order["round"], order["rating"], order["rating_source"]) == (2, 2, "callback")
    assert order["level"] == {"code": "red", "label": "红牌督办"}
    assert order["supervision_reason"] == {"code": "dissatisfied", "name": "群众评价不满意"}
    assert order["supervised_at"] == "2025-03-03T10:00:00+08:00"
    assert order["trail"][-1]["note"] == "不满意，重新办理，列入督办"
    assert desk.numbers(LEADER, level="red") == [resolved]  # 督办 at once, not after the new deadline


def test_a_dissatisfied_online_rating_is_supervised_too(desk, api, staff):
    submitted = desk.submit("sanitation", "220402")
    no = submitted["tracking_no"]
    desk.done(no, HANDLER_CG, "sign")
    desk.done(no, HANDLER_CG, "resolve", reply="已清运")

    rated = api.post(f"{API}/requests/{no}/rating", {"code": submitted["query_code"], "stars": 1, "comment": "没清理"})

    assert rated.status == 200, rated
    order = desk.order(no)
    assert (order["level"]["code"], order["supervision_reason"]["code"], order["rating_source"]) == (
        "red", "dissatisfied", "online",
    )
    assert order["trail"][-1]["note"] == "没清理"  # the resident's words stay the note
    assert desk.numbers(LEADER, level="red") == [no]


def test_unreached_callbacks_are_counted_and_the_third_closes_the_order_unrated(desk, resolved):
    for tries in (1, 2):
        assert desk.done(resolved, OPERATOR, "callback", reached=False)["state"] == "resolved"
        order = desk.order(resolved)
        assert order["callback_misses"] == tries
        assert order["trail"][-1]["note"] == f"回访未联系上（第{tries}次）"

    assert desk.done(resolved, OPERATOR, "callback", reached=False, comment="电话无人接听")["state"] == "closed"

    order = desk.order(resolved)
    assert (order["rating"], order["rating_source"], order["callback_misses"]) == (None, None, 3)
    assert order["trail"][-1]["note"] == "回访3次未联系上，按未评价办结"


def test_a_callback_on_a_closed_order_is_a_follow_up_note_only(desk, resolved):
    desk.done(resolved, OPERATOR, "callback", reached=True, stars=5)
    before = desk.order(resolved)

    result = desk.done(resolved, OPERATOR, "callback", reached=True, stars=2, comment="问题未再出现")

    assert result["state"] == "closed"
    after = desk.order(resolved)
    assert (after["rating"], after["round"], after["level"]["code"]) == (5, 1, "normal")
    assert after["version"] == before["version"] + 1
    assert after["trail"][-1]["note"] == "回访：2星；问题未再出现"


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({"reached": False, "stars": 3}, {"stars"}),  # nobody reached, nobody rated
        ({"reached": True}, {"stars"}),  # reached on a resolved order: the stars are the point
        ({"reached": True, "stars": 6}, {"stars"}),
        ({"reached": True, "stars": 0}, {"stars"}),
        ({"reached": True, "stars": True}, {"stars"}),
        ({"stars": 4}, {"reached"}),
    ],
)
def test_a_callback_with_bad_fields_is_refused_and_changes_nothing(desk, resolved, params, fields):
    before = desk.order(resolved)

    assert_error(desk.act(resolved, OPERATOR, "callback", **params), 422, fields=fields)

    assert desk.order(resolved)["version"] == before["version"]


def test_a_callback_before_the_order_is_resolved_is_a_conflict(desk, in_progress):
    assert_error(desk.act(in_progress, OPERATOR, "callback", reached=True, stars=4), 409, "conflict")


@pytest.mark.parametrize("who", [HANDLER_CG, LEADER, ("admin",)])
def test_only_operators_and_dispatchers_call_back(desk, resolved, who):
    error = assert_error(desk.act(resolved, who, "callback", reached=True, stars=4), 403)
    assert "回访" in error["message"]
    assert desk.order(resolved)["state"] == "resolved"


@pytest.mark.parametrize(
    ("fixture", "action", "params"),
    [
        ("in_progress", "progress", {"note": "已到现场"}),
        ("in_progress", "priority", {"on": True}),
        ("in_progress", "resolve", {"reply": "已办"}),
        ("dispatched", "sign", {}),
        ("waiting", "dispatch", {"unit": "lsq-cg"}),
    ],
)
def test_an_operator_takes_no_order_action_but_the_callback(desk, request, fixture, action, params):
    no = request.getfixturevalue(fixture)
    assert_error(desk.act(no, OPERATOR, action, **params), 403)
    assert desk.actions(no, OPERATOR) == []


def test_the_operator_is_offered_the_callback_form_on_a_resolved_order(desk, resolved):
    answer = desk.detail(resolved, OPERATOR)
    assert answer.status == 200, answer
    [offered] = answer.json["allowed_actions"]
    assert offered["action"] == "callback"
    assert [(f["name"], f["type"], f["required"]) for f in offered["fields"]] == [
        ("reached", "boolean", True), ("stars", "integer", False), ("comment", "textarea", False),
    ]


def test_a_callbacks_words_are_not_shown_to_the_residents_who_follow_the_order(desk, resolved):
    follower = desk.submit("sanitation", "220402")
    # Reopened by a callback of 1 star, then another resident's report is merged into it (并单).
    desk.done(resolved, OPERATOR, "callback", reached=True, stars=1, comment="3单元王阿姨说根本没清理")
    desk.done(follower["tracking_no"], DISPATCHER, "merge", into=resolved)

    followed = desk.track(follower)["main"]

    assert followed["tracking_no"] == resolved
    [entry] = [e for e in followed["timeline"] if e["action"] == "callback"]
    assert entry["note"] is None  # the other resident's words, as the operator took them down


def test_an_operator_sees_the_residents_phone_only_while_a_callback_is_due(desk):
    no = desk.submit("sanitation", "220402", contact=CONTACT)["tracking_no"]

    def contact() -> dict:
        answer = desk.detail(no, OPERATOR)
        assert answer.status == 200, answer
        return answer.json["contact"]

    assert contact()["masked"] is True  # dispatched: nothing to call back about
    desk.done(no, HANDLER_CG, "sign")
    desk.done(no, HANDLER_CG, "resolve", reply="已清运")
    assert contact() == {**CONTACT, "phone": "+86" + CONTACT["phone"], "masked": False}
    desk.done(no, OPERATOR, "callback", reached=True, stars=5)
    assert contact()["masked"] is True
