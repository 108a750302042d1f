"""The queue's working order (GET /staff/requests, GET /staff/export): level — red, yellow, warning,
normal — then 重点办, then the nearest due time, then the newest; by its own indexes, across pages.

The clock starts on Monday 2025-03-03 10:00 in Liaoyuan. A sanitation complaint in 龙山区 goes to
lsq-cg with 5 working days; an "other" request has no routing rule and waits, with no due time.
"""
from __future__ import annotations

import base64
import csv
import datetime as dt
import io

import pytest

from chalicelib.services.escalation import sweep
from tests.api.queue_cases import DATE_FILTERS, DAYS, FILTERS, SCOPES
from tests.api.staff_helpers import API, DISPATCHER, HANDLER_CG, HANDLER_LSQ, LEADER, START, assert_error

CLOCK_START = START
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

CST = dt.timezone(dt.timedelta(hours=8))
LEVELS = ("red", "yellow", "warning", "normal")


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, tzinfo=CST)


def working_order(items: list[dict]) -> list[str]:
    """The order the issue names, from what each list item shows (stable sorts, the last key first)."""
    ranked = sorted(items, key=lambda i: i["tracking_no"], reverse=True)  # one instant: the later number
    ranked.sort(key=lambda i: i["created_at"], reverse=True)  # newest
    ranked.sort(key=lambda i: (i["due_at"] is None, i["due_at"] or ""))  # nearest due; none last
    ranked.sort(key=lambda i: not i["priority"])  # 重点办
    ranked.sort(key=lambda i: LEVELS.index(i["level"]["code"]))  # red first
    return [i["tracking_no"] for i in ranked]


def listed(desk, who=DISPATCHER, **params) -> list[dict]:
    answer = desk.list(who, limit=100, **params)
    assert answer.status == 200, answer
    assert answer.json["cursor"] is None
    return answer.json["items"]


def exported(desk, query: str = "") -> list[str]:
    answer = desk.api.get(f"{API}/staff/export?{query}", desk.headers(DISPATCHER))
    assert answer.status == 200, answer
    return [row["受理编号"] for row in csv.DictReader(io.StringIO(answer.text[1:]))]


def signed(desk, clock, moment: dt.datetime) -> str:
    clock.move_to(moment)
    no = desk.submit("sanitation", "220402")["tracking_no"]
    desk.done(no, HANDLER_CG, "sign")
    return no


@pytest.fixture
def levels(desk, clock) -> dict[str, str]:
    """Wednesday 12 March 11:00, after a sweep: one order of each level, a priority one, two waiting."""
    orders = {
        "red": signed(desk, clock, at(3)),  # due Monday 10th, red Wednesday 12th 10:00
        "yellow": signed(desk, clock, at(5)),  # due Wednesday 12th 10:00
        "warning": signed(desk, clock, at(6)),  # warning Wednesday 12th 10:00, due Thursday
        "normal": signed(desk, clock, at(10)),
        "normal_priority": signed(desk, clock, at(11)),  # due later than "normal", but 重点办
    }
    desk.done(orders["normal_priority"], DISPATCHER, "priority", on=True)
    clock.move_to(at(11, 11))
    orders["waiting_old"] = desk.submit()["tracking_no"]  # no due time: after every order with one
    clock.move_to(at(11, 12))
    orders["waiting_new"] = desk.submit()["tracking_no"]
    clock.move_to(at(12, 11))
    sweep()
    return orders


WORKING_ORDER = ["red", "yellow", "warning", "normal_priority", "normal", "waiting_new", "waiting_old"]


def test_the_queue_puts_red_then_yellow_then_warning_then_normal_first_by_default(desk, levels):
    items = listed(desk)

    assert [item["tracking_no"] for item in items] == [levels[label] for label in WORKING_ORDER]
    assert [item["level"]["code"] for item in items][:4] == ["red", "yellow", "warning", "normal"]
    assert [item["tracking_no"] for item in listed(desk, sort="urgency")] == [levels[label] for label in WORKING_ORDER]


def test_newest_first_is_the_other_choice(desk, levels):
    newest = [levels[label] for label in reversed(list(levels))]
    assert [item["tracking_no"] for item in listed(desk, sort="newest")] == newest
    assert exported(desk, "sort=newest") == newest


def test_the_export_is_in_the_working_order_by_default(desk, levels):
    assert exported(desk) == [levels[label] for label in WORKING_ORDER]


def test_within_a_level_priority_first_then_the_nearest_due_then_the_newest(desk, clock):
    first = signed(desk, clock, at(3, 9))
    nearer_twin = signed(desk, clock, at(3, 10))
    clock.move_to(at(3, 10))
    later_twin = desk.submit("sanitation", "220402")["tracking_no"]  # the same instant: the same due time
    priority = signed(desk, clock, at(3, 11))
    desk.done(priority, DISPATCHER, "priority", on=True)

    assert [item["tracking_no"] for item in listed(desk)] == [priority, first, later_twin, nearer_twin]
    assert [item["tracking_no"] for item in listed(desk, unit="lsq-cg")] == [priority, first, later_twin, nearer_twin]


def test_an_order_turning_red_moves_to_the_top(desk, clock):
    late = signed(desk, clock, at(3))
    priority = signed(desk, clock, at(11))
    desk.done(priority, DISPATCHER, "priority", on=True)
    assert [item["tracking_no"] for item in listed(desk)] == [priority, late]

    clock.move_to(at(12, 11))
    sweep()  # the first one is red now (督办)

    assert [item["tracking_no"] for item in listed(desk)] == [late, priority]
    assert [item["tracking_no"] for item in listed(desk, HANDLER_CG)] == [late, priority]
    assert [item["tracking_no"] for item in listed(desk, LEADER, level="red")] == [late]


def test_an_extension_moves_an_order_behind_those_due_sooner(desk, clock):
    extended = signed(desk, clock, at(3, 10))
    other = signed(desk, clock, at(3, 11))
    assert [item["tracking_no"] for item in listed(desk)] == [extended, other]

    desk.done(extended, HANDLER_CG, "request_extension", days=2, reason="需协调环卫车辆")
    desk.done(extended, DISPATCHER, "approve_extension")

    assert [item["tracking_no"] for item in listed(desk)] == [other, extended]


def test_the_filters_select_the_same_orders_in_the_working_order(desk, queue):
    for params, labels in FILTERS:
        items = listed(desk, **params)
        assert {item["tracking_no"] for item in items} == {queue[label] for label in labels}, params
        assert [item["tracking_no"] for item in items] == working_order(items), params
    for who, params, labels in SCOPES:
        items = listed(desk, who, **params)
        assert {item["tracking_no"] for item in items} == {queue[label] for label in labels}, (who, params)


@pytest.mark.parametrize("unit", [None, "lsq"], ids=["by-state", "by-unit"])
def test_from_and_to_keep_working_in_the_working_order(desk, clock, unit):
    numbers = {}
    for label, moment in DAYS.items():
        clock.move_to(moment)
        numbers[label] = desk.submit("sanitation", "220402")["tracking_no"]  # → lsq-cg
    scope = {"unit": unit} if unit else {}

    for params, labels in DATE_FILTERS:
        items = listed(desk, **scope, **params)
        assert {item["tracking_no"] for item in items} == {numbers[label] for label in labels}, params
        assert [item["tracking_no"] for item in items] == working_order(items), params


@pytest.mark.parametrize(
    ("who", "params", "limit"),
    [
        (DISPATCHER, {}, 1),
        (DISPATCHER, {}, 2),
        (DISPATCHER, {}, 3),
        (DISPATCHER, {"unit": "lsq"}, 2),
        (HANDLER_LSQ, {}, 2),
        (DISPATCHER, {"state": "in_progress"}, 2),
        (DISPATCHER, {"level": "normal"}, 1),  # one level: its part of each partition only
        (DISPATCHER, {"level": "red"}, 1),
        (DISPATCHER, {"priority": "false", "area": "220402"}, 2),
    ],
    ids=str,
)
def test_pages_follow_each_other_in_the_working_order(desk, levels, clock, who, params, limit):
    clock.tick(60)
    for category, area in [("sanitation", "220402"), ("property", "220402001"), ("other", None)] * 2:
        desk.submit(category, area)  # more of each kind, some in the same instant
    pages, cursor = [], None
    while True:
        answer = desk.list(who, limit=limit, **params, **({"cursor": cursor} if cursor else {}))
        assert answer.status == 200, answer
        pages.append(answer.json["items"])
        cursor = answer.json["cursor"]
        if cursor is None or len(pages) > 20:
            break

    everything = sum(pages, [])
    assert all(len(page) == limit for page in pages[:-1]) and 0 < len(pages[-1]) <= limit
    assert [item["tracking_no"] for item in everything] == [item["tracking_no"] for item in listed(desk, who, **params)]
    assert [item["tracking_no"] for item in everything] == working_order(everything)
    assert len({item["tracking_no"] for item in everything}) == len(everything)


def test_a_cursor_of_one_order_is_refused_by_the_other(desk, levels):
    urgent = desk.list(limit=2).json["cursor"]
    newest = desk.list(limit=2, sort="newest").json["cursor"]
    assert urgent and newest

    assert_error(desk.list(cursor=urgent, sort="newest"), 422, fields={"cursor"})
    assert_error(desk.list(cursor=newest), 422, fields={"cursor"})
    assert_error(desk.list(cursor=newest, sort="urgency"), 422, fields={"cursor"})
    answer = desk.api.get(f"{API}/staff/export?cursor={newest}", desk.headers(DISPATCHER))
    assert_error(answer, 422, fields={"cursor"})
    # Each resumes its own order.
    assert desk.list(cursor=urgent).status == 200 and desk.list(cursor=newest, sort="newest").status == 200


@pytest.mark.parametrize("key", [b"3x#99999999T999999.999999Z#1#LY", b"31#short#LY", b"no separator"])
def test_a_made_up_urgency_cursor_is_refused(desk, key):
    assert_error(desk.list(cursor=base64.urlsafe_b64encode(key).decode()), 422, fields={"cursor"})


def test_an_unknown_order_is_refused(desk):
    assert_error(desk.list(sort="oldest"), 422, "validation_failed", {"sort"})


def test_the_working_order_is_read_by_its_indexes_never_a_scan(desk, levels, aws_calls):
    aws_calls.clear()
    listed(desk)
    listed(desk, unit="lsq")
    exported(desk)

    queries = [params for name, params in aws_calls if name == "Query"]
    assert {params["IndexName"] for params in queries} == {"by-state-urgency", "by-unit-urgency"}
    assert all(params.get("ScanIndexForward", True) for params in queries)
    # (the aws_calls fixture fails the test on any Scan)
