"""The co-units' queues (协办): one small item per (co-unit, order), since DynamoDB cannot index a list.

Table ``co-handling``: hash ``co_unit``, range ``created_key`` (the order's, as the queue's
indexes sort), and the order's number. It holds keys only: the queue reads a page of them by
Query, newest first, then the orders by BatchGetItem and filters them as the order stands now.
Keys only, because the list fields change with nearly every action (state, level, due date,
assignee) while the co-units change rarely: an item carrying them would have to be rewritten
in every change of the order, and would show a co-unit a stale order whenever one was missed.

The items are put and deleted in the transaction of the change that adds or drops the co-unit
(storage/orders.py, from the order before and after: no caller can forget them), so a co-unit
has an item exactly while the stored order names it.
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from itertools import islice

from pynamodb.attributes import UnicodeAttribute
from pynamodb.models import Model

from chalicelib.domain.orders import WorkOrder
from chalicelib.storage.mapping import created_key
from chalicelib.storage.models import OrderModel, table_meta


class CoHandlingModel(Model):
    Meta = table_meta("co-handling")

    co_unit = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute(range_key=True)
    tracking_no = UnicodeAttribute()


def co_unit_writes(before: WorkOrder | None, after: WorkOrder) -> tuple[list[CoHandlingModel], list[CoHandlingModel]]:
    """The items to put (units added) and delete (units dropped) for ``before`` to become ``after``."""
    was = set(before.co_units) if before else set()
    now = set(after.co_units)
    key = created_key(after.created_at, after.tracking_no)

    def item(unit: str) -> CoHandlingModel:
        return CoHandlingModel(unit, key, tracking_no=after.tracking_no)

    return [item(u) for u in sorted(now - was)], [item(u) for u in sorted(was - now)]


def co_handled(
    unit: str, range_condition, wanted: Callable[[OrderModel], bool], batch: int
) -> Iterator[OrderModel]:
    """The orders ``unit`` co-handles, newest first, that ``wanted`` keeps: Query, then BatchGetItem
    ``batch`` keys at a time (read lazily: a page stops asking once it is full)."""
    keys = CoHandlingModel.query(
        unit, range_key_condition=range_condition, scan_index_forward=False, page_size=batch
    )
    while chunk := list(islice(keys, batch)):
        found = {item.tracking_no: item for item in OrderModel.batch_get([k.tracking_no for k in chunk])}
        for key in chunk:
            order = found.get(key.tracking_no)
            if order is not None and wanted(order):
                yield order
