"""The queue as CSV (GET /api/v1/staff/export): the same filters and visibility, Excel-ready."""
from __future__ import annotations

import csv
import io

import pytest

from tests.api.staff_helpers import API, DISPATCHER, HANDLER_CG, HANDLER_XAQ_CG, START, assert_error

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

EXPORT = f"{API}/staff/export"


def rows(answer) -> list[dict]:
    assert answer.status == 200, answer
    assert answer.text.startswith("\ufeff"), "Excel needs the byte order mark to read UTF-8"
    return list(csv.DictReader(io.StringIO(answer.text[1:])))


def test_the_export_holds_the_filtered_orders_newest_first(desk):
    first = desk.submit("sanitation", "220402")["tracking_no"]
    desk.submit()  # "other": waiting, filtered out below
    second = desk.submit("sanitation", "220402")["tracking_no"]

    answer = desk.api.get(f"{EXPORT}?state=dispatched&sort=newest", desk.headers(DISPATCHER))

    assert answer.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in answer.headers["Content-Disposition"]
    exported = rows(answer)
    assert [r["受理编号"] for r in exported] == [second, first]
    assert exported[0]["问题分类"] == "环境卫生" and exported[0]["承办单位"] == "龙山区城市管理局"
    assert exported[0]["状态"] == "待签收" and exported[0]["督办等级"] == "正常"
    assert exported[0]["诉求内容"] == desk.order(second)["description"]


def test_a_handler_exports_only_its_units_orders(desk):
    ours = desk.submit("sanitation", "220402")["tracking_no"]
    desk.submit("sanitation", "220403")  # xaq-cg's

    assert [r["受理编号"] for r in rows(desk.api.get(EXPORT, desk.headers(HANDLER_CG)))] == [ours]


def test_more_orders_than_fit_leave_a_cursor_for_the_rest(desk):
    numbers = [desk.submit()["tracking_no"] for _ in range(3)]

    answer = desk.api.get(f"{EXPORT}?limit=2", desk.headers(DISPATCHER))
    rest = desk.api.get(f"{EXPORT}?limit=2&cursor={answer.headers['X-Next-Cursor']}", desk.headers(DISPATCHER))

    assert [r["受理编号"] for r in rows(answer) + rows(rest)] == numbers[::-1]
    assert "X-Next-Cursor" not in rest.headers


def test_a_cell_that_looks_like_a_formula_is_defused(desk):
    submitted = desk.api.post(f"{API}/requests", {
        "type": "complaint", "category": "other", "description": "=HYPERLINK(\"http://x\")垃圾没人管",
        "location": {"lat": 42.9, "lng": 125.14}, "anonymous": True,
    })
    assert submitted.status == 201, submitted

    [row] = rows(desk.api.get(EXPORT, desk.headers(DISPATCHER)))

    assert row["诉求内容"] == "'=HYPERLINK(\"http://x\")垃圾没人管"


def test_the_export_takes_the_queues_filters_and_refuses_bad_ones(desk):
    assert_error(desk.api.get(f"{EXPORT}?state=nowhere", desk.headers(DISPATCHER)), 422, "validation_failed", {"state"})
    assert_error(desk.api.get(f"{EXPORT}?limit=5001", desk.headers(DISPATCHER)), 422, "validation_failed", {"limit"})
    assert_error(desk.api.get(EXPORT), 401)
