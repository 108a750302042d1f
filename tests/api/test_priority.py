"""重点办 that counts: the queue's ?priority filter, the export's working order, the dashboard's figures;
and praise (表扬), information for the praised unit rather than work."""
from __future__ import annotations

import csv
import datetime as dt
import io

import pytest

from chalicelib.services.escalation import sweep
from tests.api.staff_helpers import API, DISPATCHER, HANDLER_CG, HANDLER_XAQ_CG, LEADER, START, assert_error
from tests.sms_loop import Loop, texts_to

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

LSQ_CG_PHONE = "+8613700000016"  # 龙山区城市管理局's duty phone (the city file)


def exported(desk, query: str) -> list[str]:
    answer = desk.api.get(f"{API}/staff/export?{query}", desk.headers(DISPATCHER))
    assert answer.status == 200, answer
    return [row["受理编号"] for row in csv.DictReader(io.StringIO(answer.text[1:]))]


@pytest.fixture
def three(desk, clock) -> dict[str, str]:
    """Three sanitation complaints at lsq-cg an hour apart; the middle one made 重点办."""
    numbers = {}
    for name in ("first", "priority", "last"):
        numbers[name] = desk.submit("sanitation", "220402")["tracking_no"]
        clock.tick(3600)
    desk.done(numbers["priority"], DISPATCHER, "priority", on=True)
    return numbers


def test_the_queue_filters_priority_orders(desk, three):
    assert desk.numbers(priority="true") == [three["priority"]]
    assert desk.numbers(priority="false", sort="newest") == [three["last"], three["first"]]
    assert desk.numbers(HANDLER_CG, priority="true") == [three["priority"]]
    assert desk.numbers(HANDLER_XAQ_CG, priority="true") == []  # not its unit's
    assert exported(desk, "priority=true") == [three["priority"]]


def test_a_priority_filter_that_is_not_a_boolean_is_refused(desk):
    assert_error(desk.list(priority="maybe"), 422, "validation_failed", {"priority"})


def test_the_export_in_working_order_puts_red_then_priority_then_the_nearest_due_first(desk, three, clock):
    # A fourth order, resolved and rated 1 star: back in progress and red at once (不满意督办).
    fourth = desk.submit("sanitation", "220402")
    desk.done(fourth["tracking_no"], HANDLER_CG, "sign")
    desk.done(fourth["tracking_no"], HANDLER_CG, "resolve", reply="已清运")
    rated = desk.api.post(f"{API}/requests/{fourth['tracking_no']}/rating", {"code": fourth["query_code"], "stars": 1})
    assert rated.status == 200, rated

    order = exported(desk, "sort=urgency")

    # Red first; then the priority one; then by due time: the first one's is the nearest.
    assert order == [fourth["tracking_no"], three["priority"], three["first"], three["last"]]
    assert exported(desk, "") == order  # the working order is the export's default
    assert exported(desk, "sort=newest") == [fourth["tracking_no"], three["last"], three["priority"], three["first"]]


def test_an_unknown_export_order_is_refused(desk):
    answer = desk.api.get(f"{API}/staff/export?sort=oldest", desk.headers(DISPATCHER))
    assert_error(answer, 422, "validation_failed", {"sort"})


def test_setting_priority_twice_changes_it_once(desk, three):
    trail = desk.order(three["priority"])["trail"]
    desk.done(three["priority"], DISPATCHER, "priority", on=True)
    again = desk.order(three["priority"])["trail"]
    assert len(again) == len(trail) + 1 and again[-1]["note"] == "列为重点办理"
    assert desk.order(three["priority"])["priority"] is True


def stats(desk) -> dict:
    answer = desk.api.get(f"{API}/staff/stats?from=2025-03-01&to=2025-03-31", desk.headers(LEADER))
    assert answer.status == 200, answer
    return answer.json


def test_the_dashboard_counts_priority_supervised_callback_and_praise(desk, three):
    praise = desk.submit("sanitation", "220402", type="praise")["tracking_no"]
    rated = three["last"]
    desk.done(rated, HANDLER_CG, "sign")
    desk.done(rated, HANDLER_CG, "resolve", reply="已清运")
    desk.done(rated, ("operator",), "callback", reached=True, stars=2)  # reopened, red at once

    figures = stats(desk)

    totals = figures["totals"]
    assert (totals["priority"], totals["supervised"], totals["rated_by_callback"], totals["praise"]) == (1, 1, 1, 1)
    [unit] = [entry for entry in figures["by_unit"] if entry["code"] == "lsq-cg"]
    assert unit["counts"]["praise"] == 1  # the praise the unit received
    assert desk.order(praise)["unit"]["code"] == "lsq-cg"


# ---- praise (表扬): information for the unit, not work ---------------------------------

def test_praise_reaches_the_unit_with_no_deadline_and_closes_when_signed(desk):
    no = desk.submit("sanitation", "220402", type="praise")["tracking_no"]

    order = desk.order(no)
    assert (order["state"], order["unit"]["code"]) == ("dispatched", "lsq-cg")
    assert (order["due_at"], order["sign_due_at"], order["time_left"]) == (None, None, None)

    result = desk.done(no, HANDLER_CG, "sign")

    assert result["state"] == "closed"
    order = desk.order(no)
    assert order["closed_at"] == "2025-03-03T10:00:00+08:00"
    assert order["trail"][-1]["note"] == "龙山区城市管理局已签收，阅知归档"


def test_unsigned_praise_is_never_escalated_and_closes_after_the_citys_days(desk, clock):
    no = desk.submit("sanitation", "220402", type="praise")["tracking_no"]

    clock.move_to(dt.datetime(2025, 3, 9, 23, tzinfo=dt.timezone(dt.timedelta(hours=8))))  # 6 days 13 hours on
    assert sweep() == {}
    assert desk.order(no)["level"]["code"] == "normal"

    clock.move_to(dt.datetime(2025, 3, 10, 10, 0, 1, tzinfo=dt.timezone(dt.timedelta(hours=8))))  # 7 days on
    assert sweep() == {"auto_close": 1}

    order = desk.order(no)
    assert (order["state"], order["level"]["code"], order["rating"]) == ("closed", "normal", None)
    assert [entry["action"] for entry in order["trail"]] == ["submit", "auto_dispatch", "auto_close"]
    assert order["trail"][-1]["note"] == "已送达龙山区城市管理局，7天未签收，自动归档"


def test_the_unit_is_texted_when_an_order_becomes_priority_and_praise_says_no_deadline(desk):
    loop = Loop()
    no = desk.submit("sanitation", "220402")["tracking_no"]
    praise = desk.submit("sanitation", "220402", type="praise")["tracking_no"]
    desk.done(no, DISPATCHER, "priority", on=True)
    desk.done(no, DISPATCHER, "priority", on=True)  # already: no second text

    loop.run()

    texts = texts_to(LSQ_CG_PHONE)
    assert texts.count(f"【辽源民生诉求】【重点办】工单{no}（环境卫生）已列为重点办理，请于3月10日前办结。") == 1
    assert f"【辽源民生诉求】工单{praise}（环境卫生）是群众对本单位的表扬，请登录系统签收阅知。" in texts
