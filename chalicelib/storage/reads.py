"""Reads of orders: one by its number, several by theirs, the lists (a queue, a phone's own), the due ones."""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from chalicelib.domain.reports import Listed, StoredOrder
from chalicelib.storage.co_handling import CoHandlingModel, co_handled
from chalicelib.storage.mapping import created_key, read, to_stored
from chalicelib.storage.models import CHECK_PARTITION, CheckIndex, OrderModel, PhoneIndex
from chalicelib.storage.pages import Page, decode_cursor, page_of


def get_order(tracking_no: str) -> StoredOrder | None:
    try:
        return to_stored(OrderModel.get(tracking_no, consistent_read=True))
    except OrderModel.DoesNotExist:
        return None


def orders_by_number(tracking_nos: Sequence[str]) -> list[StoredOrder]:
    """The stored ones of these orders, in the order asked (BatchGetItem, a hundred keys a call)."""
    wanted = list(dict.fromkeys(tracking_nos))
    found = {item.tracking_no: to_stored(item) for item in OrderModel.batch_get(wanted)}
    return [found[no] for no in wanted if no in found]


def stored_numbers(tracking_nos: Sequence[str]) -> set[str]:
    """Which of these orders are stored: keys only, read consistently (a change's stream record can
    arrive before an eventually consistent read would see the change)."""
    wanted = list(dict.fromkeys(tracking_nos))
    items = OrderModel.batch_get(wanted, consistent_read=True, attributes_to_get=["tracking_no"])
    return {item.tracking_no for item in items}


def due_for_check(now: dt.datetime) -> Iterator[str]:
    """Tracking numbers of the orders whose next check has come, earliest first."""
    for item in OrderModel.by_next_check.query(CHECK_PARTITION, CheckIndex.next_check_at <= now):
        yield item.tracking_no


@dataclass(frozen=True)
class ListFilter:
    states: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()  # already expanded to sub-units
    categories: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()  # already expanded to sub-areas
    types: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()  # normal / warning / yellow / red
    verified: bool | None = None  # 实名: requests whose phone was proven by an SMS code
    assignees: frozenset[str] = frozenset()  # the persons (承办人) handling them
    priority: bool | None = None  # 重点办
    created_from: dt.datetime | None = None  # inclusive
    created_to: dt.datetime | None = None  # exclusive: the first instant not wanted
    main: bool = True  # the orders ``units`` (or, with none, anyone) handle
    co_units: frozenset[str] = frozenset()  # and those these units co-handle (协办), already expanded


def list_orders(flt: ListFilter, all_states: Iterable[str], cursor: str | None, limit: int) -> Page:
    """Newest first (``Listed``), by Query on one index per partition merged on the sort key; never a Scan.

    With units given, each unit's partition of ``by-unit`` is read; otherwise each
    wanted state's partition of ``by-state``; with co-units, each one's partition of the
    co-handling table too (storage/co_handling.py). Partitions share one sort key
    (created_key), so one cursor — the last key returned — resumes all of them; an order
    found twice (main and co, or two co-units) is listed once.
    """
    if flt.units:
        index, partitions, residual_states = OrderModel.by_unit, sorted(flt.units), flt.states
    else:
        index, partitions, residual_states = OrderModel.by_state, sorted(flt.states or all_states), frozenset()
    after = decode_cursor(cursor) if cursor else None
    streams = [
        _partition(index, key, flt, residual_states, after, limit + 1) for key in partitions
    ] if flt.main else []
    streams += [_co_partition(unit, flt, after, limit + 1) for unit in sorted(flt.co_units)]
    merged = heapq.merge(*streams, key=lambda item: item.created_key, reverse=True)
    once = (next(same) for _, same in itertools.groupby(merged, key=_created_key))
    return page_of(itertools.islice(once, limit + 1), limit, _created_key, _listed)


_NOTHING = object()  # no key can lie between the bounds


def _range(sort_key, flt: ListFilter, after: str | None):
    """The condition on ``sort_key`` (a created_key) for the filter's days below the cursor: None for
    none, ``_NOTHING`` when the bounds cross."""
    # "<instant>Z#" sorts before every key created at that instant and after every earlier one.
    lower = created_key(flt.created_from, "") if flt.created_from else None
    # A cursor only ever narrows: one taken from a wider query must not lift the "to" bound.
    uppers = [bound for bound in (after, created_key(flt.created_to, "") if flt.created_to else None) if bound]
    upper = min(uppers) if uppers else None
    if lower and upper and upper < lower:
        return _NOTHING  # DynamoDB rejects BETWEEN with its bounds reversed
    if lower and upper:
        return sort_key.between(lower, upper)
    if upper:
        return sort_key <= upper
    if lower:
        return sort_key >= lower
    return None


def _wanted_fields(flt: ListFilter, states) -> list[tuple]:
    return [
        (OrderModel.state, states),
        (OrderModel.category, flt.categories),
        (OrderModel.area, flt.areas),
        (OrderModel.type, flt.types),
        (OrderModel.level, flt.levels),
        (OrderModel.assignee_id, flt.assignees),
    ]


def _co_partition(unit: str, flt: ListFilter, after: str | None, limit: int) -> Iterator[OrderModel]:
    """The orders ``unit`` co-handles that the filter selects (the same fields, checked on the read order)."""
    range_condition = _range(CoHandlingModel.created_key, flt, after)
    if range_condition is _NOTHING:
        return iter(())
    fields = [(attribute.attr_name, wanted) for attribute, wanted in _wanted_fields(flt, flt.states) if wanted]

    def wanted(item: OrderModel) -> bool:
        if item.created_key == after:
            return False
        if flt.verified is not None and bool(item.verified) != flt.verified:
            return False
        return all(getattr(item, name) in values for name, values in fields)

    return co_handled(unit, range_condition, wanted, limit)


def _partition(index, key: str, flt: ListFilter, states, after: str | None, limit: int) -> Iterator[OrderModel]:
    # The index's own attribute: read through an index *instance*, a pynamodb
    # attribute is a descriptor that fails (AttributeError) instead of returning itself.
    range_condition = _range(type(index).created_key, flt, after)
    if range_condition is _NOTHING:
        return
    filter_condition = None
    for attribute, wanted in _wanted_fields(flt, states):
        if wanted:
            clause = attribute.is_in(*sorted(wanted))
            filter_condition = clause if filter_condition is None else filter_condition & clause
    # Orders from before the attribute existed have none: they count as false.
    for attribute, wanted in ((OrderModel.verified, flt.verified), (OrderModel.priority, flt.priority)):
        if wanted is not None:
            clause = (attribute == True) if wanted else (attribute != True)  # noqa: E712
            filter_condition = clause if filter_condition is None else filter_condition & clause
    results = index.query(
        key,
        range_key_condition=range_condition,
        filter_condition=filter_condition,
        scan_index_forward=False,
        page_size=limit,
    )
    taken = 0
    for item in results:
        if item.created_key == after:  # the cursor itself was on the last page
            continue
        yield item
        taken += 1
        if taken >= limit:
            return


def orders_of_phone(phone_hash: str, cursor: str | None, limit: int) -> Page:
    """The orders made with one verified phone (``Listed``), newest first, by Query on ``by-phone``."""
    after = decode_cursor(cursor) if cursor else None
    results = OrderModel.by_phone.query(
        phone_hash,
        range_key_condition=PhoneIndex.created_key < after if after else None,
        scan_index_forward=False,
        limit=limit + 1,
        page_size=limit + 1,
    )
    return page_of(results, limit, _created_key, _listed)


def _created_key(item: OrderModel) -> str:
    return item.created_key


def _listed(item: OrderModel) -> Listed:
    return read(Listed, item)
