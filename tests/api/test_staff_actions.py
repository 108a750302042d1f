"""Staff actions (POST /staff/requests/{no}/actions): the whole lifecycle through the API."""
from __future__ import annotations

import boto3
import pytest

from chalicelib.city import load_city
from tests.api.staff_helpers import ADMIN, API, DISPATCHER, HANDLER_CG, HANDLER_LSQ, HANDLER_XAQ_CG, HANDLER_XY
from tests.api.staff_helpers import LEADER, START, assert_error

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

DUE = "2025-03-10T10:00:00+08:00"  # a sanitation complaint dispatched on START: 5 working days


# ---- the handling unit -----------------------------------------------------------

def test_sign_starts_handling(desk, dispatched, clock):
    clock.tick(600)

    result = desk.done(dispatched, HANDLER_CG, "sign")

    assert result == {
        "tracking_no": dispatched,
        "version": 3,
        "status": "处理中",
        "state": "in_progress",
        "state_label": "办理中",
        "unit": {"code": "lsq-cg", "name": "龙山区城市管理局"},
        "due_at": DUE,
    }
    assert desk.order(dispatched)["signed_at"] == "2025-03-03T10:10:00+08:00"


def test_return_sends_the_order_back_to_the_dispatchers_queue(desk, dispatched):
    result = desk.done(dispatched, HANDLER_CG, "return", reason="不属于本单位职责")

    assert (result["state"], result["unit"], result["due_at"]) == ("submitted", None, None)
    assert dispatched in desk.numbers(state="submitted")
    assert dispatched not in desk.numbers(HANDLER_CG)
    assert_error(desk.detail(dispatched, HANDLER_CG), 404)


def test_the_dispatcher_dispatches_a_returned_order_to_another_unit(desk, dispatched, clock):
    desk.done(dispatched, HANDLER_CG, "return", reason="不属于本单位职责")
    clock.tick(24 * 3600)  # Tuesday 10:00

    result = desk.done(dispatched, DISPATCHER, "dispatch", unit="xaq-cg")

    assert (result["state"], result["unit"]["code"]) == ("dispatched", "xaq-cg")
    assert result["due_at"] == "2025-03-11T10:00:00+08:00"
    assert desk.numbers(HANDLER_XAQ_CG) == [dispatched]


def test_a_handler_forwards_to_a_unit_below_it_and_the_deadline_stays(desk):
    no = desk.submit("property", "220402002")["tracking_no"]  # → lsq (the district)
    due = desk.order(no)["due_at"]

    result = desk.done(no, HANDLER_LSQ, "forward", unit="lsq-xy")

    assert (result["state"], result["unit"]["code"], result["due_at"]) == ("dispatched", "lsq-xy", due)
    assert desk.done(no, HANDLER_XY, "sign")["state"] == "in_progress"


def test_forward_only_goes_down_the_tree(desk, dispatched):
    for unit in ("xaq-cg", "lsq-cg", "lsq", "cmd", "nowhere"):  # elsewhere, itself, up, the top, unknown
        assert_error(desk.act(dispatched, HANDLER_CG, "forward", unit=unit), 422, "validation_failed", {"unit"})
    assert desk.order(dispatched)["version"] == 2


def test_progress_keeps_the_state_and_a_public_note_reaches_the_resident(desk):
    submitted = desk.submit("sanitation", "220402")
    no = submitted["tracking_no"]
    desk.done(no, HANDLER_CG, "sign")

    desk.done(no, HANDLER_CG, "progress", note="内部协调中")
    result = desk.done(no, HANDLER_CG, "progress", note="已安排清运车辆", public=True)

    assert (result["state"], result["version"]) == ("in_progress", 5)
    notes = [entry["note"] for entry in desk.track(submitted)["timeline"]]
    assert "已安排清运车辆" in notes and "内部协调中" not in notes


def test_an_approved_extension_moves_the_deadline_by_working_days(desk, in_progress):
    desk.done(in_progress, HANDLER_CG, "request_extension", days=2, reason="需协调环卫车辆")
    assert desk.order(in_progress)["pending_extension_days"] == 2

    result = desk.done(in_progress, DISPATCHER, "approve_extension")

    assert result["due_at"] == "2025-03-12T10:00:00+08:00"
    order = desk.order(in_progress)
    assert (order["extensions_used"], order["pending_extension_days"]) == (1, None)


def test_a_refused_extension_leaves_the_deadline(desk, in_progress):
    desk.done(in_progress, HANDLER_CG, "request_extension", days=3, reason="需协调环卫车辆")

    result = desk.done(in_progress, DISPATCHER, "refuse_extension", note="请按期办结")

    order = desk.order(in_progress)
    assert (result["due_at"], order["extensions_used"], order["pending_extension_days"]) == (DUE, 0, None)


def test_a_fourth_extension_is_refused_after_three(desk, in_progress):
    for _ in range(3):
        desk.done(in_progress, HANDLER_CG, "request_extension", days=1, reason="需协调")
        desk.done(in_progress, DISPATCHER, "approve_extension")

    assert_error(desk.act(in_progress, HANDLER_CG, "request_extension", days=1, reason="需协调"), 409, "conflict")
    assert desk.order(in_progress)["due_at"] == "2025-03-13T10:00:00+08:00"


def test_one_extension_request_at_a_time_and_none_to_approve_without_one(desk, in_progress):
    assert_error(desk.act(in_progress, DISPATCHER, "approve_extension"), 409)
    desk.done(in_progress, HANDLER_CG, "request_extension", days=1, reason="需协调")

    assert_error(desk.act(in_progress, HANDLER_CG, "request_extension", days=1, reason="再等等"), 409)


def test_an_extension_is_at_most_three_working_days(desk, in_progress):
    answer = desk.act(in_progress, HANDLER_CG, "request_extension", days=4, reason="需协调")

    assert_error(answer, 422, "validation_failed", {"days"})


def test_resolve_closes_the_case_and_the_resident_sees_the_reply(desk):
    submitted = desk.submit("sanitation", "220402")
    no = submitted["tracking_no"]
    desk.done(no, HANDLER_CG, "sign")

    result = desk.done(no, HANDLER_CG, "resolve", reply="垃圾已清运完毕")

    assert (result["state"], result["status"]) == ("resolved", "已办结")
    public = desk.track(submitted)
    assert (public["reply"], public["can_rate"]) == ("垃圾已清运完毕", True)


def test_resolve_attaches_the_handlers_own_result_photos(desk, in_progress):
    photo = desk.photo(desk.headers(HANDLER_CG))

    desk.done(in_progress, HANDLER_CG, "resolve", reply="已清运", result_media=[photo])

    assert [m["kind"] for m in desk.order(in_progress)["result_media"]] == ["photo"]


UPLOADERS = {
    "a-resident": lambda desk, issuer: None,
    "a-colleague-of-the-unit": lambda desk, issuer: {
        "Authorization": f"Bearer {issuer.mint('test-handler-colleague', 'handler', 'lsq-cg')}"
    },
    "the-parent-units-handler": lambda desk, issuer: desk.headers(HANDLER_LSQ),
    "a-dispatcher": lambda desk, issuer: desk.headers(DISPATCHER),
}


@pytest.mark.parametrize("uploader", UPLOADERS.values(), ids=UPLOADERS.keys())
def test_resolve_refuses_result_photos_the_handler_did_not_upload(desk, in_progress, issuer, uploader):
    photo = desk.photo(uploader(desk, issuer))

    answer = desk.act(in_progress, HANDLER_CG, "resolve", reply="已清运", result_media=[photo])

    error = assert_error(answer, 422, "validation_failed", fields={"result_media.0"})
    assert error["fields"]["result_media.0"].startswith("附件不是您本人上传的")
    assert desk.order(in_progress)["state"] == "in_progress"
    assert _media_copies(in_progress) == []


def test_a_result_photo_attached_to_one_order_is_refused_for_another(desk, in_progress):
    photo = desk.photo(desk.headers(HANDLER_CG))
    desk.done(in_progress, HANDLER_CG, "resolve", reply="已清运", result_media=[photo])
    other = desk.submit("sanitation", "220402")["tracking_no"]
    desk.done(other, HANDLER_CG, "sign")

    answer = desk.act(other, HANDLER_CG, "resolve", reply="已清运", result_media=[photo])

    error = assert_error(answer, 422, "validation_failed", fields={"result_media.0"})
    assert error["fields"]["result_media.0"].startswith("附件已使用")
    assert desk.order(other)["state"] == "in_progress"
    assert _media_copies(other) == []


def test_a_result_photo_attached_by_a_racing_resolve_is_refused_at_its_write(desk, in_progress, monkeypatch):
    """Two resolves with one photo pass their checks together: the order's own transaction decides."""
    from chalicelib import storage

    photo = desk.photo(desk.headers(HANDLER_CG))
    other = desk.submit("sanitation", "220402")["tracking_no"]
    desk.done(other, HANDLER_CG, "sign")
    monkeypatch.setattr(storage, "taken_claims", lambda names: set())  # neither sees the other's claim yet
    desk.done(in_progress, HANDLER_CG, "resolve", reply="已清运", result_media=[photo])

    answer = desk.act(other, HANDLER_CG, "resolve", reply="已清运", result_media=[photo])

    error = assert_error(answer, 422, "validation_failed", fields={"result_media.0"})
    assert error["fields"]["result_media.0"].startswith("附件已使用")
    assert (desk.order(other)["state"], desk.order(other)["version"]) == ("in_progress", 3)


def test_a_result_photo_twice_in_one_resolve_is_refused(desk, in_progress):
    photo = desk.photo(desk.headers(HANDLER_CG))

    answer = desk.act(in_progress, HANDLER_CG, "resolve", reply="已清运", result_media=[photo, photo])

    assert_error(answer, 422, "validation_failed", fields={"result_media.1"})
    assert _media_copies(in_progress) == []


def test_a_staff_upload_is_refused_in_a_residents_submission(desk):
    photo = desk.photo(desk.headers(HANDLER_CG))
    body = {
        "type": "complaint", "category": "other", "description": "想咨询一下办理户口迁移需要带哪些材料",
        "location": {"lat": 42.9, "lng": 125.14}, "anonymous": True, "media": [photo],
    }

    answer = desk.api.post(f"{API}/requests", body)

    error = assert_error(answer, 422, "validation_failed", fields={"media.0"})
    assert error["fields"]["media.0"].startswith("附件不是您本人上传的")


@pytest.mark.parametrize("authorization", ["Bearer not-a-token", "Basic dXNlcjpwYXNz", "Bearer "])
def test_an_upload_with_a_bad_token_is_refused_not_made_a_residents(desk, authorization):
    answer = desk.api.post(
        f"{API}/uploads", {"filename": "现场.jpg", "content_type": "image/jpeg", "size": 2048},
        {"Authorization": authorization},
    )

    assert_error(answer, 401)


def _media_copies(tracking_no: str) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket="suqiu-test-media", Prefix=f"media/{tracking_no}/")
    return [o["Key"] for o in listing.get("Contents", [])]


def test_resolve_with_a_missing_upload_writes_nothing(desk, in_progress):
    answer = desk.act(in_progress, HANDLER_CG, "resolve", reply="已清运", result_media=["forged.1.image_jpeg.sig"])

    assert_error(answer, 422, fields={"result_media.0"})
    assert desk.order(in_progress)["state"] == "in_progress"


# ---- the command centre and leaders ------------------------------------------------

def test_the_dispatcher_rejects_a_waiting_order(desk, waiting):
    result = desk.done(waiting, DISPATCHER, "reject", reason="不属于12345受理范围")

    assert (result["state"], result["status"]) == ("rejected", "已办结")
    assert desk.order(waiting)["closed_at"] == "2025-03-03T10:00:00+08:00"


def test_merge_into_another_open_order(desk, waiting):
    main = desk.submit()["tracking_no"]

    result = desk.done(waiting, DISPATCHER, "merge", into=main.lower())

    assert result["state"] == "merged"
    assert desk.order(waiting)["merged_into"] == main
    assert desk.order(main)["state"] == "submitted"


def test_merge_needs_another_open_order(desk, waiting):
    rejected, merged, main = (desk.submit()["tracking_no"] for _ in range(3))
    desk.done(rejected, DISPATCHER, "reject", reason="重复")
    desk.done(merged, DISPATCHER, "merge", into=main)

    for into in ("LY202503039999", rejected, merged, waiting):
        assert_error(desk.act(waiting, DISPATCHER, "merge", into=into), 422, "validation_failed", {"into"})
    assert desk.order(waiting)["state"] == "submitted"


def test_priority_and_co_handling_show_in_the_queue_and_detail(desk, dispatched):
    desk.done(dispatched, DISPATCHER, "priority", on=True)
    desk.done(dispatched, DISPATCHER, "co_handle", units=["cgj", "jj"])

    order = desk.order(dispatched)
    assert order["priority"] is True
    assert [u["code"] for u in order["co_units"]] == ["cgj", "jj"]
    assert desk.list(unit="lsq-cg").json["items"][0]["priority"] is True


def test_co_handling_units_must_exist_and_differ_from_the_main_unit(desk, dispatched):
    for units in (["lsq-cg"], ["cgj", "cgj"], ["nowhere"]):
        assert_error(desk.act(dispatched, DISPATCHER, "co_handle", units=units), 422, fields={"units"})


def test_a_leaders_instruction_is_recorded_without_changing_the_state(desk, in_progress):
    result = desk.done(in_progress, LEADER, "instruction", note="请尽快办理并回访")

    last = desk.order(in_progress)["trail"][-1]
    assert result["state"] == "in_progress"
    assert (last["action"], last["actor"]["role"]) == ("instruction", "leader")
    assert last["note"] == "请尽快办理并回访"


def test_a_leader_reassigns_to_a_new_unit_with_a_new_deadline(desk, in_progress, clock):
    clock.tick(2 * 24 * 3600)  # Wednesday 10:00

    result = desk.done(in_progress, LEADER, "reassign", unit="cgj", reason="跨区问题由市城管局统筹")

    assert (result["state"], result["unit"]["code"]) == ("dispatched", "cgj")
    assert result["due_at"] == "2025-03-12T10:00:00+08:00"
    assert desk.order(in_progress)["signed_at"] is None
    assert_error(desk.detail(in_progress, HANDLER_CG), 404)


# ---- refusals ----------------------------------------------------------------------

ANY_ACTION = [
    ("sign", {}),
    ("return", {"reason": "x"}),
    ("priority", {"on": True}),
    ("instruction", {"note": "x"}),
    ("reassign", {"unit": "cgj", "reason": "x"}),
    ("dispatch", {"unit": "cgj"}),
]


def test_admin_may_take_no_action(desk, dispatched):
    for action, params in ANY_ACTION:
        assert_error(desk.act(dispatched, ADMIN, action, **params), 403, "forbidden")
    assert desk.order(dispatched)["version"] == 2


WRONG_ROLE = [  # (account, action, parameters, the message it gets)
    (DISPATCHER, "sign", {}, "派单员不能执行「签收」"),
    (HANDLER_CG, "priority", {"on": True}, "承办人员不能执行「重点办理」"),
    (HANDLER_CG, "reassign", {"unit": "cgj", "reason": "x"}, "承办人员不能执行「改派」"),
    (LEADER, "return", {"reason": "x"}, "领导不能执行「退单」"),
]


def test_a_role_that_may_not_take_the_action_gets_403_saying_so(desk, dispatched):
    messages = [
        assert_error(desk.act(dispatched, who, action, **params), 403, "forbidden")["message"]
        for who, action, params, _ in WRONG_ROLE
    ]

    assert messages == [message for *_, message in WRONG_ROLE]
    assert desk.order(dispatched)["version"] == 2


WRONG_STATE = [  # on a dispatched order
    (HANDLER_CG, "resolve", {"reply": "已处理"}),
    (HANDLER_CG, "progress", {"note": "处理中"}),
    (HANDLER_CG, "request_extension", {"days": 1, "reason": "x"}),
    (DISPATCHER, "dispatch", {"unit": "cgj"}),
    (DISPATCHER, "reject", {"reason": "x"}),
    (DISPATCHER, "approve", {}),
]


def test_an_action_the_state_does_not_allow_gets_409(desk, dispatched):
    for who, action, params in WRONG_STATE:
        assert_error(desk.act(dispatched, who, action, **params), 409, "conflict")
    assert desk.order(dispatched)["version"] == 2


def test_a_handler_of_another_unit_gets_404_and_changes_nothing(desk, dispatched):
    assert_error(desk.act(dispatched, HANDLER_XAQ_CG, "sign", version=2), 404, "not_found")
    assert desk.order(dispatched)["version"] == 2


def test_a_handler_cannot_probe_orders_through_merge(desk, dispatched, waiting):
    """A refused role hears 403 whatever it names: 'unknown' and 'closed' would leak other units' orders."""
    desk.done(waiting, DISPATCHER, "reject", reason="重复")

    for into in ("LY202503039999", waiting):
        assert_error(desk.act(dispatched, HANDLER_CG, "merge", into=into), 403, "forbidden")


MALFORMED = [  # (body, the one field the answer must name)
    ({"action": "teleport", "version": 2}, "action"),
    ({"version": 2}, "action"),
    ({"action": "return", "version": 2}, "reason"),
    ({"action": "return", "version": 2, "reason": "   "}, "reason"),
    ({"action": "forward", "version": 2}, "unit"),
    ({"action": "sign"}, "version"),
    ({"action": "sign", "version": 0}, "version"),
    ({"action": "sign", "version": 2, "note": "extra"}, "note"),
]


def test_a_malformed_action_answers_422_naming_the_field(desk, dispatched):
    url, headers = f"{API}/staff/requests/{dispatched}/actions", desk.headers(HANDLER_CG)

    for body, field in MALFORMED:
        assert_error(desk.api.post(url, body, headers), 422, "validation_failed", {field})
    for raw, status in (("", 400), ("{not json", 400), ("[1, 2]", 422)):
        assert_error(desk.api.post(url, raw, headers), status)
    assert desk.order(dispatched)["version"] == 2


# ---- review by the command centre --------------------------------------------------

@pytest.fixture
def review_required(monkeypatch):
    city = load_city("liaoyuan.yaml").model_copy(update={"review_required": True})
    monkeypatch.setattr("chalicelib.services.runtime.city", lambda: city)


@pytest.fixture
def awaiting_review(desk, review_required) -> dict:
    submitted = desk.submit("sanitation", "220402")
    assert submitted["due_at"] == DUE  # the calendar still works with the patched city
    desk.done(submitted["tracking_no"], HANDLER_CG, "sign")
    desk.done(submitted["tracking_no"], HANDLER_CG, "resolve", reply="垃圾已清运完毕")
    return submitted


def test_with_review_a_resolved_order_waits_and_the_resident_sees_no_reply(desk, awaiting_review):
    no = awaiting_review["tracking_no"]
    public = desk.track(awaiting_review)

    assert desk.order(no)["state"] == "awaiting_review"
    assert (public["status"], public["reply"], public["can_rate"]) == ("处理中", None, False)
    assert "resolve" not in [entry["action"] for entry in public["timeline"]]


def test_approval_publishes_the_reply(desk, awaiting_review):
    result = desk.done(awaiting_review["tracking_no"], DISPATCHER, "approve")

    assert result["state"] == "resolved"
    assert desk.track(awaiting_review)["reply"] == "垃圾已清运完毕"


def test_sending_back_reopens_handling(desk, awaiting_review):
    no = awaiting_review["tracking_no"]

    result = desk.done(no, DISPATCHER, "send_back", reason="答复内容不完整")

    assert result["state"] == "in_progress"
    assert desk.order(no)["reply"] is None
    assert desk.actions(no, HANDLER_CG) == ["progress", "request_extension", "resolve", "assign"]
