"""The sweep closes resolved orders that were never rated (未评价)."""
from __future__ import annotations

import datetime as dt

import pytest
from freezegun import freeze_time

from chalicelib import storage
from chalicelib.domain.errors import StaleWrite
from chalicelib.services.escalation import sweep
from tests.api.resident_helpers import act, rate, submit

RESOLVED_AT = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.timezone.utc)  # a Monday


@pytest.fixture
def resolved(api, staff):
    """Three orders resolved at RESOLVED_AT, their submissions' answers."""
    with freeze_time(RESOLVED_AT - dt.timedelta(hours=1)):
        answers = [submit(api) for _ in range(3)]
    with freeze_time(RESOLVED_AT):
        for answer in answers:
            act(api, staff, answer["tracking_no"], "sign")
            act(api, staff, answer["tracking_no"], "resolve", reply="已清运")
    return answers


def close_unrated() -> list[str]:
    """The orders one sweep closes (it takes no other action on these orders)."""
    before = {a for a in storage.due_for_check(dt.datetime.now(dt.timezone.utc))}
    taken = sweep()
    closed = [no for no in before if storage.get_order(no).state == "closed"]
    assert taken.get("auto_close", 0) == len(closed)
    return closed


def _state(tracking_no: str) -> str:
    return storage.get_order(tracking_no).state


def test_orders_resolved_longer_than_the_rating_period_close_unrated(resolved):
    with freeze_time(RESOLVED_AT + dt.timedelta(days=7, seconds=1)):
        closed = close_unrated()

    assert sorted(closed) == sorted(a["tracking_no"] for a in resolved)
    for answer in resolved:
        order = storage.get_order(answer["tracking_no"])
        assert order.state == "closed" and order.rating is None
        assert storage.trail(answer["tracking_no"])[-1].action == "auto_close"


def test_orders_still_within_the_rating_period_stay_resolved(resolved):
    with freeze_time(RESOLVED_AT + dt.timedelta(days=6, hours=23)):
        assert close_unrated() == []

    assert {_state(a["tracking_no"]) for a in resolved} == {"resolved"}


def test_a_rated_order_is_left_alone_and_a_second_run_closes_nothing(api, resolved):
    rated = resolved[0]
    with freeze_time(RESOLVED_AT + dt.timedelta(days=1)):
        assert rate(api, rated["tracking_no"], rated["query_code"], 4).status == 200
    with freeze_time(RESOLVED_AT + dt.timedelta(days=8)):
        first = close_unrated()
        second = close_unrated()

    assert rated["tracking_no"] not in first and len(first) == 2
    assert second == []
    assert [e.action for e in storage.trail(rated["tracking_no"])][-1] == "rate"


def test_an_order_rated_while_the_run_is_under_way_is_skipped(resolved, monkeypatch):
    record_change = storage.record_change
    raced = resolved[1]["tracking_no"]

    def racing(item, order, event, *notices):
        if item.tracking_no == raced:
            raise StaleWrite("工单已被他人修改，请刷新后重试")
        record_change(item, order, event, *notices)

    monkeypatch.setattr(storage, "record_change", racing)
    with freeze_time(RESOLVED_AT + dt.timedelta(days=8)):
        closed = close_unrated()

    assert raced not in closed and len(closed) == 2
    assert _state(raced) == "resolved"
