"""Co-handling (协办) through the API: a co-unit sees the order in its queue, reads it (contact masked),
notes progress and gives its part of the answer (co_reply), and nothing else; it hears by SMS when
added; the main unit sees who replied; resolve with a reply pending needs a note, or is refused."""
from __future__ import annotations

import pytest

from chalicelib import storage
from chalicelib.city import load_city
from chalicelib.domain.lifecycle import RULES
from tests.api.staff_helpers import CONTACT, DISPATCHER, HANDLER_CG, HANDLER_LSQ, HANDLER_XAQ_CG, LEADER, START
from tests.api.staff_helpers import assert_error
from tests.sms_loop import Loop, texts_to

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

WATER = ("handler", "water")  # 辽源市供水公司
WATER_PHONE = "+8613700000010"
HEAT = ("handler", "heat")  # 辽源市供热公司, with no part in the orders here


@pytest.fixture
def co_handled(desk) -> str:
    """A named sanitation complaint in 龙山区, signed by lsq-cg, with water and xaq-cg as co-units."""
    no = desk.submit("sanitation", "220402", contact=CONTACT)["tracking_no"]
    desk.done(no, HANDLER_CG, "sign")
    desk.done(no, DISPATCHER, "co_handle", units=["water", "xaq-cg"])
    return no


def test_a_co_unit_sees_the_order_in_its_co_queue_not_in_its_main_one(desk, co_handled):
    own = desk.submit("utilities", "220402")["tracking_no"]  # routed to heat, not water's
    assert co_handled in desk.numbers(WATER, involvement="co")
    assert co_handled not in desk.numbers(WATER)  # main, the default: what the unit handles
    assert co_handled not in desk.numbers(WATER, involvement="main")
    assert co_handled in desk.numbers(WATER, involvement="all")
    assert own not in desk.numbers(WATER, involvement="all")
    assert co_handled not in desk.numbers(HEAT, involvement="all")
    # The main unit's queue is as it was; the command centre asks for the co-handled ones of a unit.
    assert co_handled in desk.numbers(HANDLER_CG)
    assert co_handled not in desk.numbers(HANDLER_CG, involvement="co")
    assert desk.numbers(DISPATCHER, involvement="co", unit="water") == [co_handled]
    assert co_handled in desk.numbers(DISPATCHER, involvement="co")


def test_the_co_queue_takes_the_filters_and_lists_an_order_once(desk, co_handled):
    assert desk.numbers(WATER, involvement="co", state="in_progress") == [co_handled]
    assert desk.numbers(WATER, involvement="co", state="dispatched") == []
    assert desk.numbers(WATER, involvement="co", category="municipal") == []
    # The city's handler above xaq-cg and the dispatcher across every unit: each order once.
    assert desk.numbers(("handler", "xaq"), involvement="co") == [co_handled]
    assert desk.numbers(DISPATCHER, involvement="all").count(co_handled) == 1


def test_a_co_unit_reads_the_detail_with_the_contact_masked(desk, co_handled):
    answer = desk.detail(co_handled, WATER)
    assert answer.status == 200, answer
    contact = answer.json["contact"]
    assert contact["masked"] is True and contact["phone"] != CONTACT["phone"]
    assert desk.detail(co_handled, HANDLER_CG).json["contact"]["masked"] is False
    assert_error(desk.detail(co_handled, HEAT), 404)  # no part in it: as if it did not exist


# Every other action a handler may take, with parameters its model accepts: a co-unit takes none.
MAIN_UNITS_PARAMS = {
    "sign": {},
    "return": {"reason": "不属于本单位职责"},
    "forward": {"unit": "lsq-xy"},
    "request_extension": {"days": 2, "reason": "需协调"},
    "resolve": {"reply": "已办", "co_pending_note": "说明"},
    "assign": {"assignee": "sub-wang"},
}


def test_a_co_unit_takes_progress_and_co_reply_and_nothing_else(desk, co_handled):
    assert set(desk.actions(co_handled, WATER)) == {"progress", "co_reply"}
    desk.done(co_handled, WATER, "progress", note="已安排人员查看管线")
    desk.done(co_handled, WATER, "co_reply", reply="管线无渗漏")
    handler_actions = {action for action, rule in RULES.items() if "handler" in rule.roles}
    assert set(MAIN_UNITS_PARAMS) == handler_actions - {"progress", "co_reply"}
    for action, params in MAIN_UNITS_PARAMS.items():
        assert_error(desk.act(co_handled, WATER, action, **params), 403)
    assert desk.order(co_handled)["state"] == "in_progress"
    # The main unit acts as the main unit: co_reply is not its to give.
    assert_error(desk.act(co_handled, HANDLER_CG, "co_reply", reply="代答"), 403)
    assert "co_reply" not in desk.actions(co_handled, HANDLER_LSQ)


def test_a_co_reply_is_replaced_until_the_main_unit_resolves(desk, co_handled):
    desk.done(co_handled, WATER, "co_reply", reply="管线无渗漏")
    desk.done(co_handled, WATER, "co_reply", reply="管线无渗漏，阀门已更换")
    replies = {r["unit"]["code"]: r for r in desk.order(co_handled)["co_replies"]}
    assert replies["water"] == {
        "unit": {"code": "water", "name": "辽源市供水公司"}, "pending": False, "reply": "管线无渗漏，阀门已更换"
    }
    assert replies["xaq-cg"]["pending"] is True and replies["xaq-cg"]["reply"] is None
    desk.done(co_handled, HANDLER_XAQ_CG, "co_reply", reply="非本区范围，配合清运")
    desk.done(co_handled, HANDLER_CG, "resolve", reply="已清运完毕")
    assert_error(desk.act(co_handled, WATER, "co_reply", reply="补充"), 409)


def test_resolve_with_a_co_reply_pending_needs_a_note(desk, co_handled):
    desk.done(co_handled, WATER, "co_reply", reply="管线无渗漏")
    assert_error(desk.act(co_handled, HANDLER_CG, "resolve", reply="已清运完毕"), 422, fields={"co_pending_note"})
    desk.done(co_handled, HANDLER_CG, "resolve", reply="已清运完毕", co_pending_note="西安区逾期未复，已电话沟通")
    detail = desk.order(co_handled)
    assert detail["state"] == "resolved"
    assert detail["co_pending_note"] == "西安区逾期未复，已电话沟通"


@pytest.fixture
def co_reply_required(monkeypatch):
    city = load_city("liaoyuan.yaml").model_copy(update={"co_reply_required": True})
    monkeypatch.setattr("chalicelib.services.runtime.city", lambda: city)


def test_where_the_city_requires_co_replies_resolve_waits_for_them(desk, co_reply_required, co_handled):
    assert "resolve" not in desk.actions(co_handled, HANDLER_CG)
    refused = desk.act(co_handled, HANDLER_CG, "resolve", reply="已清运完毕", co_pending_note="不等了")
    assert "西安区城市管理局" in assert_error(refused, 409)["message"]
    desk.done(co_handled, WATER, "co_reply", reply="管线无渗漏")
    desk.done(co_handled, HANDLER_XAQ_CG, "co_reply", reply="配合清运")
    desk.done(co_handled, HANDLER_CG, "resolve", reply="已清运完毕")


def test_the_co_units_added_hear_by_sms_and_only_once(desk):
    loop = Loop()
    no = desk.submit("sanitation", "220402")["tracking_no"]
    desk.done(no, HANDLER_CG, "sign")
    desk.done(no, DISPATCHER, "co_handle", units=["water"])
    loop.run()
    assert texts_to(WATER_PHONE) == [
        f"【辽源民生诉求】工单{no}（环境卫生，主办龙山区城市管理局）请你单位协办，请于3月10日前在系统中提交协办意见。"
    ]
    desk.done(no, DISPATCHER, "co_handle", units=["water", "heat"])
    loop.run()
    assert len(texts_to(WATER_PHONE)) == 1  # already a co-unit: not told again
    assert len(texts_to("+8613700000011")) == 1  # heat, just added


def test_dropping_a_co_unit_removes_its_queue_item_in_the_same_transaction(desk, co_handled, aws_calls):
    desk.done(co_handled, WATER, "co_reply", reply="管线无渗漏")
    aws_calls.clear()
    desk.done(co_handled, DISPATCHER, "co_handle", units=["xaq-cg"])
    [write] = [params for name, params in aws_calls if name == "TransactWriteItems"]
    table = storage.table_name("co-handling")
    deletes = [i["Delete"]["Key"] for i in write["TransactItems"] if i.get("Delete", {}).get("TableName") == table]
    assert [key["co_unit"]["S"] for key in deletes] == ["water"]
    assert any("Put" in i and i["Put"]["TableName"] == storage.table_name("orders") for i in write["TransactItems"])
    assert co_handled not in desk.numbers(WATER, involvement="co")
    assert_error(desk.detail(co_handled, WATER), 404)
    # Its reply went with it; the remaining co-unit's queue still holds the order.
    assert [r["unit"]["code"] for r in desk.order(co_handled)["co_replies"]] == ["xaq-cg"]
    assert desk.numbers(HANDLER_XAQ_CG, involvement="co") == [co_handled]


def test_a_reassigned_order_leaves_its_co_units_queues(desk, co_handled):
    desk.done(co_handled, LEADER, "reassign", unit="cgj", reason="职责调整")
    assert desk.numbers(WATER, involvement="co") == []
    assert desk.order(co_handled)["co_replies"] == []


def test_the_figures_count_the_order_co_handled_for_each_co_unit(desk, co_handled):
    answer = desk.api.get("/api/v1/staff/stats", desk.headers(DISPATCHER))
    assert answer.status == 200, answer
    by_unit = {entry["code"]: entry["counts"] for entry in answer.json["by_unit"]}
    assert by_unit["water"]["co_handled"] == 1 and by_unit["water"]["submitted"] == 0
    assert by_unit["xaq-cg"]["co_handled"] == 1
    assert by_unit["lsq-cg"]["co_handled"] == 0 and by_unit["lsq-cg"]["submitted"] == 1


def test_a_bad_involvement_is_a_422(desk):
    assert_error(desk.list(DISPATCHER, involvement="others"), 422)

