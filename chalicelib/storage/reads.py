"""Reads of orders: one by its number, several by theirs, the lists (a queue, a phone's own), the due ones."""
from __future__ import annotations

import datetime as dt
import heapq
import itertools
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from chalicelib.domain.reports import Listed, StoredOrder
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


def list_orders(flt: ListFilter, all_states: Iterable[str], cursor: str | None, limit: int) -> Page:
    """Newest first (``Listed``), by Query on one index per partition merged on the sort key; never a Scan.

    With units given, each unit's partition of ``by-unit`` is read; otherwise each
    wanted state's partition of ``by-state``. Partitions share one sort key
    (created_key), so one cursor — the last key returned — resumes all of them.
    """
    if flt.units:
        index, partitions, residual_states = OrderModel.by_unit, sorted(flt.units), flt.states
    else:
        index, partitions, residual_states = OrderModel.by_state, sorted(flt.states or all_states), frozenset()
    after = decode_cursor(cursor) if cursor else None
    streams = [
        _partition(index, key, flt, residual_states, after, limit + 1) for key in partitions
    ]
    merged = heapq.merge(*streams, key=lambda item: item.created_key, reverse=True)
    return page_of(itertools.islice(merged, limit + 1), limit, _created_key, _listed)


def _partition(index, key: str, flt: ListFilter, states, after: str | None, limit: int) -> Iterator[OrderModel]:
    # The index's own attribute: read through an index *instance*, a pynamodb
    # attribute is a descriptor that fails (AttributeError) instead of returning itself.
    sort_key = type(index).created_key
    # "<instant>Z#" sorts before every key created at that instant and after every earlier one.
    lower = created_key(flt.created_from, "") if flt.created_from else None
    # A cursor only ever narrows: one taken from a wider query must not lift the "to" bound.
    uppers = [bound for bound in (after, created_key(flt.created_to, "") if flt.created_to else None) if bound]
    upper = min(uppers) if uppers else None
    if lower and upper and upper < lower:
        return  # nothing can lie between; DynamoDB rejects BETWEEN with its bounds reversed
    if lower and upper:
        range_condition = sort_key.between(lower, upper)
    elif upper:
        range_condition = sort_key <= upper
    elif lower:
        range_condition = sort_key >= lower
    else:
        range_condition = None
    filter_condition = None
    for attribute, wanted in (
        (OrderModel.state, states),
        (OrderModel.category, flt.categories),
        (OrderModel.area, flt.areas),
        (OrderModel.type, flt.types),
        (OrderModel.level, flt.levels),
        (OrderModel.assignee_id, flt.assignees),
    ):
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
