"""The queue's index key (deadlines.urgency_key): one string that sorts as the working order does."""
from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain import deadlines
from chalicelib.domain.lifecycle import Level, WorkOrder

UTC = dt.timezone.utc
_instants = st.datetimes(
    min_value=dt.datetime(1, 1, 2), max_value=dt.datetime(9999, 12, 30), timezones=st.just(UTC)
)
_orders = st.builds(
    lambda no, level, priority, due, created: WorkOrder(
        f"LY{no:012d}", "complaint", "sanitation", None, created_at=created, level=level, priority=priority, due_at=due
    ),
    st.integers(min_value=0, max_value=10**12 - 1),
    st.sampled_from(list(Level)),
    st.booleans(),
    st.none() | _instants,
    _instants,
)


def _working_order(order: WorkOrder) -> tuple:
    """The issue's words, in full precision: red first, 重点办 first, nearest due (none last), newest, the later number."""
    rank = list(Level).index(order.level)
    due = (order.due_at is None, order.due_at or dt.datetime.min.replace(tzinfo=UTC))
    return (-rank, not order.priority, due, -(order.created_at - dt.datetime.min.replace(tzinfo=UTC)).total_seconds(),
            [-int(c) for c in order.tracking_no[2:]])


@given(st.lists(_orders, min_size=2, max_size=8, unique_by=lambda o: o.tracking_no))
def test_the_key_sorts_as_the_working_order(orders):
    by_key = sorted(orders, key=deadlines.urgency_key)
    assert [_working_order(o) for o in by_key] == sorted(_working_order(o) for o in orders)


@given(_orders)
def test_the_key_has_one_width_and_starts_with_its_level_and_priority(order):
    key = deadlines.urgency_key(order)
    assert len(key) == len("31#") + 23 + 1 + 18 + 1 + len(order.tracking_no)
    assert key.startswith(deadlines.urgency_prefix(order.level, order.priority))
    assert key.startswith(deadlines.urgency_prefix(order.level))


def test_the_issues_example():
    now = dt.datetime(2026, 11, 20, 2, tzinfo=UTC)

    def order(no: int, level=Level.NORMAL, priority=False, due_days=None, age_hours=0) -> WorkOrder:
        return WorkOrder(
            f"LY20261120000{no}", "complaint", "sanitation", None, created_at=now - dt.timedelta(hours=age_hours),
            level=level, priority=priority, due_at=now + dt.timedelta(days=due_days) if due_days is not None else None,
        )

    orders = [
        order(1, due_days=1), order(2, priority=True, due_days=5), order(3, level=Level.YELLOW, due_days=-1),
        order(4, level=Level.RED, due_days=3), order(5, level=Level.WARNING, due_days=1),
        order(6, due_days=1, age_hours=5), order(7), order(8),  # 8: as 7, a later number in the same instant
    ]
    ranked = [o.tracking_no[-1] for o in sorted(orders, key=deadlines.urgency_key)]
    assert ranked == ["4", "3", "5", "2", "1", "6", "8", "7"]
