"""The sweep closes resolved orders that were never rated (未评价)."""
from __future__ import annotations

import datetime as dt

import pytest
from freezegun import freeze_time

from chalicelib import storage
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
    closed = [no for no in before if storage.trail(no)[-1].action == "auto_close"]
    assert taken.get("auto_close", 0) == len(closed)
    return closed


def _state(tracking_no: str) -> str:
    return storage.get_order(tracking_no).order.state


def test_orders_resolved_longer_than_the_rating_period_close_unrated(resolved):
    with freeze_time(RESOLVED_AT + dt.timedelta(days=7, seconds=1)):
        closed = close_unrated()

    assert sorted(closed) == sorted(a["tracking_no"] for a in resolved)
    for answer in resolved:
        order = storage.get_order(answer["tracking_no"]).order
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


def test_an_order_rated_while_the_run_is_under_way_keeps_the_rating(api, resolved, monkeypatch):
    record_changes = storage.record_changes
    raced = resolved[1]

    def rated_meanwhile(changes, *claims):
        if changes[0].stored.tracking_no == raced["tracking_no"] and changes[0].event.action == "auto_close":
            # The resident rates between the sweep's read and its write; the sweep's write is stale.
            assert rate(api, raced["tracking_no"], raced["query_code"], 4).status == 200
        record_changes(changes, *claims)

    monkeypatch.setattr(storage, "record_changes", rated_meanwhile)
    with freeze_time(RESOLVED_AT + dt.timedelta(days=8)):
        closed = close_unrated()

    assert raced["tracking_no"] not in closed and len(closed) == 2
    kept = storage.get_order(raced["tracking_no"]).order
    assert (kept.state, kept.rating) == ("closed", 4)
    assert [e.action for e in storage.trail(raced["tracking_no"])][-1] == "rate"
