"""Levels in the staff API: the list filters by level, the detail shows the level and the time left.

The clock starts on Monday 2025-03-03 10:00 in Liaoyuan (no holidays that month).
A sanitation complaint in 龙山区 goes to lsq-cg with 5 working days (45 office
hours, 08:30–17:30); a utilities request for help goes to heat with 24 clock hours.
"""
from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.services.escalation import sweep
from tests.api.staff_helpers import DISPATCHER, HANDLER_CG, HANDLER_XAQ_CG, LEADER, START, assert_error

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

CST = dt.timezone(dt.timedelta(hours=8))
HANDLER_HEAT = ("handler", "heat")


def at(day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, minute, tzinfo=CST)


def signed_order(desk, clock, moment: dt.datetime, category="sanitation", type="complaint") -> str:
    clock.move_to(moment)
    no = desk.submit(category, "220402" if category == "sanitation" else None, type)["tracking_no"]
    desk.done(no, HANDLER_CG if category == "sanitation" else HANDLER_HEAT, "sign")
    return no


def swept_at(clock, moment: dt.datetime) -> None:
    clock.move_to(moment)
    sweep()


# ---- the list -----------------------------------------------------------------

@pytest.fixture
def levels(desk, clock) -> dict[str, str]:
    """Wednesday 12 March 11:00, after a sweep: one order of each level, and one waiting."""
    orders = {
        "red": signed_order(desk, clock, at(3)),  # due Monday 10th, red Wednesday 12th 10:00
        "yellow": signed_order(desk, clock, at(5)),  # due Wednesday 12th 10:00
        "warning": signed_order(desk, clock, at(6)),  # warning Wednesday 12th 10:00, due Thursday
        "normal": signed_order(desk, clock, at(11)),
    }
    clock.move_to(at(11, 11))
    orders["waiting"] = desk.submit()["tracking_no"]  # no routing rule: in the dispatcher's queue
    swept_at(clock, at(12, 11))
    return orders


def test_each_list_item_shows_its_level(desk, levels):
    answer = desk.list(DISPATCHER)
    assert answer.status == 200, answer
    shown = {item["tracking_no"]: item["level"] for item in answer.json["items"]}
    assert shown == {
        levels["red"]: {"code": "red", "label": "红牌督办"},
        levels["yellow"]: {"code": "yellow", "label": "黄牌超期"},
        levels["warning"]: {"code": "warning", "label": "临期"},
        levels["normal"]: {"code": "normal", "label": "正常"},
        levels["waiting"]: {"code": "normal", "label": "正常"},
    }


LEVEL_FILTERS = [  # (account, query, labels of the orders it must list, newest first)
    (LEADER, {"level": "red"}, ["red"]),  # the leaders' 督办 list
    (DISPATCHER, {"level": "yellow"}, ["yellow"]),
    (DISPATCHER, {"level": "warning"}, ["warning"]),
    (DISPATCHER, {"level": "normal"}, ["normal"]),  # work in hand only: not the unassigned one
    (DISPATCHER, {"level": "normal", "state": "submitted"}, ["waiting"]),
    (DISPATCHER, {"level": "normal", "state": "in_progress"}, ["normal"]),
    (DISPATCHER, {"level": "red", "state": "submitted"}, []),
    (DISPATCHER, {"level": "red", "unit": "lsq"}, ["red"]),  # lsq-cg is below lsq
    (HANDLER_CG, {"level": "red"}, ["red"]),
    (HANDLER_XAQ_CG, {"level": "red"}, []),  # not its unit
]


def test_the_list_filters_by_level(desk, levels):
    listed = [desk.numbers(who, **params) for who, params, _ in LEVEL_FILTERS]

    assert listed == [[levels[label] for label in labels] for _, _, labels in LEVEL_FILTERS]


def test_an_unknown_level_is_refused(desk):
    for level in ("purple", "RED", "1", "supervised"):
        assert_error(desk.list(DISPATCHER, level=level), 422, fields={"level"})


# ---- the detail -------------------------------------------------------------------

# The complaint signed Monday 3 March 10:00: due Monday 10th 10:00, signing due Tuesday 4th 10:00.
@pytest.mark.parametrize(
    ("moment", "level", "time_left"),
    [
        (at(3, 10), "normal", {"seconds": 45 * 3600, "overdue": False, "text": "剩余5个工作日"}),
        # Used: 7.5 h Monday, 7.5 h Tuesday; left 30 h = 3 working days and 3 hours.
        (at(4, 16), "normal", {"seconds": 30 * 3600, "overdue": False, "text": "剩余3个工作日3小时"}),
        # The weekend does not count: Friday at closing and Sunday noon leave the same 1.5 h.
        (at(9, 12), "warning", {"seconds": 5400, "overdue": False, "text": "剩余1小时30分钟"}),
        # Overdue by the office time since Monday 10:00: 7.5 h Monday, 1.5 h Tuesday.
        (at(11, 10), "yellow", {"seconds": -9 * 3600, "overdue": True, "text": "已超期1个工作日"}),
        (at(12, 11), "red", {"seconds": -19 * 3600, "overdue": True, "text": "已超期2个工作日1小时"}),
    ],
)
def test_the_detail_shows_the_level_and_the_working_time_left(desk, clock, moment, level, time_left):
    no = signed_order(desk, clock, at(3))
    swept_at(clock, moment)
    detail = desk.order(no)
    assert detail["level"]["code"] == level
    assert detail["time_left"] == time_left
    assert (detail["sign_due_at"], detail["due_at"]) == ("2025-03-04T10:00:00+08:00", "2025-03-10T10:00:00+08:00")


def test_the_detail_shows_when_the_order_was_put_under_supervision(desk, clock):
    no = signed_order(desk, clock, at(3))
    swept_at(clock, at(11, 10))
    assert desk.order(no)["supervised_at"] is None
    swept_at(clock, at(12, 11))  # red from Wednesday 10:00; the sweep came at 11:00
    detail = desk.order(no)
    assert (detail["level"], detail["supervised_at"]) == (
        {"code": "red", "label": "红牌督办"}, "2025-03-12T11:00:00+08:00",
    )
    assert [entry["label"] for entry in detail["trail"][-2:]] == ["催办", "督办"]


# Help with utilities, signed Monday 3 March 10:00: due Tuesday 10:00, on the clock.
@pytest.mark.parametrize(
    ("moment", "time_left"),
    [
        (at(3, 17), {"seconds": 17 * 3600, "overdue": False, "text": "剩余17小时"}),
        (at(4, 9, 20), {"seconds": 40 * 60, "overdue": False, "text": "剩余40分钟"}),
        (at(4, 12, 30), {"seconds": -9000, "overdue": True, "text": "已超期2小时30分钟"}),
        (at(5, 10, 0), {"seconds": -24 * 3600, "overdue": True, "text": "已超期24小时"}),
    ],
)
def test_an_hour_limit_counts_clock_hours(desk, clock, moment, time_left):
    no = signed_order(desk, clock, at(3), category="utilities", type="help")
    clock.move_to(moment)
    assert desk.order(no)["time_left"] == time_left


def test_no_time_left_when_no_unit_is_handling_the_order(desk, clock):
    waiting = desk.submit()["tracking_no"]
    resolved = signed_order(desk, clock, at(3))
    desk.done(resolved, HANDLER_CG, "resolve", reply="已清运")
    for no in (waiting, resolved):
        detail = desk.order(no)
        assert (detail["time_left"], detail["level"]["code"], detail["supervised_at"]) == (None, "normal", None)


def test_a_red_order_leaves_the_red_list_once_resolved_and_keeps_its_colour(desk, levels):
    red = levels["red"]
    assert desk.act(red, HANDLER_CG, "resolve", reply="已清运").status == 200

    assert desk.numbers(LEADER, level="red") == []
    assert desk.numbers(LEADER, level="red", state="resolved") == [red]
