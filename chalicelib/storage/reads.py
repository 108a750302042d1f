"""Reads of orders: one by its number, several by theirs, the lists (a queue in either order, a phone's own), the due ones."""
from __future__ import annotations

import datetime as dt
import functools
import heapq
import itertools
import operator
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from chalicelib.domain.deadlines import urgency_prefix
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


NEWEST, URGENCY = "newest", "urgency"  # the orders a list can be read in
# What each order's cursor holds: a created_key ("<instant>Z#<number>") or an urgency_key
# ("<level><priority>#<due>#<newest>#<number>", domain/deadlines.urgency_key).
_CURSOR_SHAPES = {
    NEWEST: re.compile(r"\d{8}T\d{6}\.\d{6}Z#"),
    URGENCY: re.compile(r"[0-3][01]#[0-9TZ.]{23}#\d{18}#"),
}
_AFTER_EVERY_KEY = "~"  # sorts after every character a key holds: the end of a key prefix's range


def list_orders(
    flt: ListFilter, all_states: Iterable[str], cursor: str | None, limit: int, sort: str = NEWEST
) -> Page:
    """A page of the orders (``Listed``) newest first, or in the working order (``URGENCY``: level, 重点办,
    due time, newest), by Query on one index per partition merged on its sort key; never a Scan.

    With units given, each unit's partition of ``by-unit`` (``by-unit-urgency``) is read; otherwise
    each wanted state's partition of ``by-state`` (``by-state-urgency``); with co-units, each one's
    partition of the co-handling table too (storage/co_handling.py). Partitions share one sort key,
    so one cursor — the last key returned — resumes all of them; it pages only the order it was made
    in. An order found twice (main and co, or two co-units) is listed once.
    """
    by_unit = bool(flt.units)
    partitions = sorted(flt.units) if by_unit else sorted(flt.states or all_states)
    residual_states = flt.states if by_unit else frozenset()
    after = decode_cursor(cursor, _CURSOR_SHAPES[sort]) if cursor else None
    co_units = sorted(flt.co_units)
    if sort == URGENCY:
        index = OrderModel.by_unit_urgency if by_unit else OrderModel.by_state_urgency
        streams = [_urgent_partition(index, key, flt, residual_states, after, limit + 1) for key in partitions]
        streams = (streams if flt.main else []) + [_co_urgent(unit, flt, after) for unit in co_units]
        return _page(heapq.merge(*streams, key=_urgency_key), limit, _urgency_key)
    index = OrderModel.by_unit if by_unit else OrderModel.by_state
    streams = [_partition(index, key, flt, residual_states, after, limit + 1) for key in partitions]
    streams = (streams if flt.main else []) + [_co_partition(unit, flt, after, limit + 1) for unit in co_units]
    return _page(heapq.merge(*streams, key=_created_key, reverse=True), limit, _created_key)


def _page(merged: Iterator[OrderModel], limit: int, key_of) -> Page:
    once = (next(same) for _, same in itertools.groupby(merged, key=key_of))
    return page_of(itertools.islice(once, limit + 1), limit, key_of, _listed)


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


def _wanted(flt: ListFilter, states, after: str | None, key_of):
    """The filter as a test of a read order (the co-handled ones, read by their keys, not an index)."""
    fields = [(attribute.attr_name, wanted) for attribute, wanted in _wanted_fields(flt, states) if wanted]

    def wanted(item: OrderModel) -> bool:
        if after is not None and key_of(item) == after:
            return False
        for attribute, value in ((OrderModel.verified, flt.verified), (OrderModel.priority, flt.priority)):
            if value is not None and bool(getattr(item, attribute.attr_name)) != value:
                return False
        return all(getattr(item, name) in values for name, values in fields)

    return wanted


def _co_partition(unit: str, flt: ListFilter, after: str | None, limit: int) -> Iterator[OrderModel]:
    """The orders ``unit`` co-handles that the filter selects, newest first."""
    range_condition = _range(CoHandlingModel.created_key, flt, after)
    if range_condition is _NOTHING:
        return iter(())
    return co_handled(unit, range_condition, _wanted(flt, flt.states, after, _created_key), limit)


def _co_urgent(unit: str, flt: ListFilter, after: str | None) -> Iterator[OrderModel]:
    """The orders ``unit`` co-handles that the filter selects, in the working order. The co-handling
    items are keyed by creation, so the unit's are read whole (a unit co-handles few) and sorted."""
    range_condition = _range(CoHandlingModel.created_key, flt, None)
    if range_condition is _NOTHING:
        return iter(())
    found = co_handled(unit, range_condition, _wanted(flt, flt.states, after, _urgency_key), 100)
    return iter(sorted((item for item in found if after is None or item.urgency_key > after), key=_urgency_key))


def _partition(index, key: str, flt: ListFilter, states, after: str | None, limit: int) -> Iterator[OrderModel]:
    # The index's own attribute: read through an index *instance*, a pynamodb
    # attribute is a descriptor that fails (AttributeError) instead of returning itself.
    range_condition = _range(type(index).created_key, flt, after)
    if range_condition is _NOTHING:
        return
    results = index.query(
        key,
        range_key_condition=range_condition,
        filter_condition=_filter_condition(flt, states),
        scan_index_forward=False,
        page_size=limit,
    )
    yield from _after(results, _created_key, after, limit)


def _urgent_partition(index, key: str, flt: ListFilter, states, after: str | None, limit: int) -> Iterator[OrderModel]:
    sort_key = type(index).urgency_key
    # One level asked (?level=red, the leaders' list): only that level's part of the partition is read.
    prefix = urgency_prefix(next(iter(flt.levels)), flt.priority) if len(flt.levels) == 1 else None
    if prefix and after:
        lower, upper = max(prefix, after), prefix + _AFTER_EVERY_KEY
        if upper < lower:
            return  # the cursor is past this level's part
        range_condition = sort_key.between(lower, upper)
    elif prefix:
        range_condition = sort_key.startswith(prefix)
    elif after:
        range_condition = sort_key > after
    else:
        range_condition = None
    # The time window is not this index's key: a filter on the projected creation time.
    window = [
        clause for clause in (
            OrderModel.created_at >= flt.created_from if flt.created_from else None,
            OrderModel.created_at < flt.created_to if flt.created_to else None,
        ) if clause is not None
    ]
    results = index.query(
        key,
        range_key_condition=range_condition,
        filter_condition=_filter_condition(flt, states, window),
        scan_index_forward=True,
        page_size=limit,
    )
    yield from _after(results, _urgency_key, after, limit)


def _wanted_fields(flt: ListFilter, states) -> list[tuple]:
    return [
        (OrderModel.state, states),
        (OrderModel.category, flt.categories),
        (OrderModel.area, flt.areas),
        (OrderModel.type, flt.types),
        (OrderModel.level, flt.levels),
        (OrderModel.assignee_id, flt.assignees),
    ]


def _filter_condition(flt: ListFilter, states, clauses=()):
    """What is asked that the index's keys do not select: a filter on the projected fields."""
    clauses = list(clauses)
    for attribute, wanted in _wanted_fields(flt, states):
        if wanted:
            clauses.append(attribute.is_in(*sorted(wanted)))
    # Orders from before the attribute existed have none: they count as false.
    for attribute, wanted in ((OrderModel.verified, flt.verified), (OrderModel.priority, flt.priority)):
        if wanted is not None:
            clauses.append((attribute == True) if wanted else (attribute != True))  # noqa: E712
    return functools.reduce(operator.and_, clauses) if clauses else None


def _after(results, key_of, after: str | None, limit: int) -> Iterator[OrderModel]:
    """Up to ``limit`` of ``results``, the cursor's own item (read again by an inclusive bound) left out."""
    taken = 0
    for item in results:
        if key_of(item) == after:  # the cursor itself was on the last page
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


def _urgency_key(item: OrderModel) -> str:
    return item.urgency_key


def _listed(item: OrderModel) -> Listed:
    return read(Listed, item)
