"""Callbacks (回访), 不满意督办, praise (表扬) and the working order, in the domain: what the city file decides."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain import deadlines
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.lifecycle import RESIDENT, Level, State, WorkOrder, apply, open_order
from chalicelib.domain.orders import Context
from tests.domain.lifecycle_cases import CALENDAR, CITY, CTX, NOW, OP, Y, actor

S = State


def city_ctx(**changed) -> Context:
    return Context(CITY.model_copy(update=changed), CALENDAR, NOW)


def resolved(**fields) -> WorkOrder:
    return WorkOrder(
        "LY202611200001", "complaint", "sanitation", "220402", created_at=NOW - dt.timedelta(days=3),
        state=S.RESOLVED, version=5, unit="lsq-cg", signed_at=NOW - dt.timedelta(days=2),
        resolved_at=NOW - dt.timedelta(days=1), reply="已清运", **fields,
    )


@pytest.mark.parametrize("attempts", [1, 2, 5])
def test_the_citys_callback_attempts_close_the_order_unrated(attempts):
    ctx = city_ctx(callback_attempts=attempts)
    order = resolved()
    for _ in range(attempts - 1):
        order, event = apply(order, "callback", actor(OP), {"reached": False}, ctx)
        assert order.state is S.RESOLVED and not event.public
    order, event = apply(order, "callback", actor(OP), {"reached": False}, ctx)
    assert (order.state, order.rating, order.callback_misses, order.closed_at) == (S.CLOSED, None, attempts, NOW)
    assert event.public


def test_a_city_that_does_not_supervise_the_dissatisfied_reopens_at_the_normal_level():
    ctx = city_ctx(supervise_dissatisfied=False)
    changed, _ = apply(resolved(), "callback", actor(OP), {"reached": True, "stars": 1}, ctx)
    assert (changed.state, changed.level, changed.supervised_at, changed.rating_source) == (
        S.IN_PROGRESS, Level.NORMAL, None, "callback",
    )


@pytest.mark.parametrize("action, params", [("rate", {"stars": 2}), ("callback", {"reached": True, "stars": 2})])
def test_a_dissatisfied_rating_is_supervised_at_once_and_stays_red(action, params):
    who = RESIDENT if action == "rate" else actor(OP)
    changed, event = apply(resolved(callback_misses=2), action, who, params, CTX)
    assert (changed.level, changed.supervised_at, changed.supervision_reason) == (Level.RED, NOW, "dissatisfied")
    assert changed.callback_misses == 0  # the new round's callbacks count afresh
    # Red already: the new round's deadline brings no warning, yellow or second red.
    assert deadlines.next_check(changed, CTX) is None
    assert event.changes["level"] == "red"


def test_a_callback_on_a_closed_order_changes_nothing_but_the_trail():
    closed = dataclasses.replace(resolved(rating=4, rating_source="online"), state=S.CLOSED, closed_at=NOW)
    changed, event = apply(closed, "callback", actor(OP), {"reached": False}, CTX)
    assert event.changes == {} and event.note == "回访：未联系上"
    assert dataclasses.replace(changed, version=closed.version) == closed


def test_a_callback_that_reached_the_resident_on_a_resolved_order_must_rate():
    with pytest.raises(InvalidInput) as refused:
        apply(resolved(), "callback", actor(OP), {"reached": True}, CTX)
    assert set(refused.value.fields) == {"stars"}


def praise_dispatched() -> WorkOrder:
    order, _ = open_order("LY202611200002", "praise", "sanitation", "220402", RESIDENT, NOW)
    return apply(order, "auto_dispatch", actor(Y), {"unit": "lsq-cg"}, CTX)[0]


def test_praise_has_no_deadline_and_only_closes_by_itself():
    order = praise_dispatched()
    assert (order.due_at, order.sign_due_at, order.level) == (None, None, Level.NORMAL)
    assert order.next_check_at == NOW + dt.timedelta(days=CITY.information_close_days)
    later = Context(CITY, CALENDAR, NOW + dt.timedelta(days=30))
    assert deadlines.due_action(order, later) == "auto_close"
    assert deadlines.time_left(order, later) is None


def test_the_working_order_is_level_then_priority_then_due_time_then_newest():
    def order(no: int, level=Level.NORMAL, priority=False, due_days=None, age_hours=0) -> WorkOrder:
        return WorkOrder(
            f"LY20261120000{no}", "complaint", "sanitation", None, created_at=NOW - dt.timedelta(hours=age_hours),
            level=level, priority=priority, due_at=NOW + dt.timedelta(days=due_days) if due_days is not None else None,
        )

    orders = [
        order(1, due_days=1),
        order(2, priority=True, due_days=5),
        order(3, level=Level.YELLOW, due_days=-1),
        order(4, level=Level.RED, due_days=3),
        order(5, level=Level.WARNING, due_days=1),
        order(6, due_days=1, age_hours=5),  # as due as 1, older
        order(7),  # no due time (not dispatched): after those with one
    ]
    ranked = [o.tracking_no[-1] for o in sorted(orders, key=deadlines.urgency_key)]
    assert ranked == ["4", "3", "5", "2", "1", "6", "7"]
