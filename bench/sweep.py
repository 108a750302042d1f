"""What one sweep costs as stored orders grow: 100, 10,000 and 100,000 orders, the same 50 due.

Every stored order is open and sits in the sweep's index (its next check is
ahead); 50 of them have a warning due now. The sweep is run once through the
real code (pynamodb, botocore, moto) and we count the requests it makes and the
items DynamoDB returns to it (Query ``Count`` plus the items of GetItem), and
time it.

The orders are put straight into moto's backend, which keeps the bench short;
the sweep itself goes through botocore like in Lambda. Wall time under moto is
moto's more than DynamoDB's: moto walks the whole table for a GSI query, so it
grows with the table even though the requests and items read do not. moto also
deep-copies every table a transaction touches, to roll back a failed one; at
100,000 orders that copy alone would take minutes per sweep, so the bench turns
it off (no transaction fails here) and says so in the table.
"""
from __future__ import annotations

import contextlib
import copy
import datetime as dt
import time
import types
from collections import Counter

DUE = 50


def _order_item(n: int, now: dt.datetime, due: bool) -> dict:
    from chalicelib import storage
    from chalicelib.domain.orders import State, WorkOrder
    from chalicelib.domain.reports import Location, Report, StoredOrder

    # Handling started 10 days ago with 11 days to go: the 80% warning has passed.
    start = now - dt.timedelta(days=10) if due else now
    due_at = start + dt.timedelta(days=11 if due else 30)
    next_check = now - dt.timedelta(minutes=1) if due else now + dt.timedelta(days=20)
    created = start - dt.timedelta(hours=1)
    no = f"LY{created:%Y%m%d}{n:06d}"
    report = Report(
        description="小区门口垃圾堆积没人清理",
        location=Location(42.9, 125.14, "wgs84"),
        media=(),
        anonymous=True,
        contact=None,
        query_code_hash="0" * 64,
    )
    order = WorkOrder(
        tracking_no=no,
        type="complaint",
        category="other",  # no category override: 15 working days, but due_at is set directly
        area=None,
        created_at=created,
        state=State.IN_PROGRESS,
        version=3,
        unit="lsq-cg",
        dispatched_at=start,
        signed_at=start,
        due_from=start,
        due_at=due_at,
        next_check_at=next_check,
    )
    return storage.order_image(StoredOrder(order, report))


def _populate(stored: int, now: dt.datetime) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib import storage

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    table = storage.table_name("orders")
    for n in range(stored):
        backend.put_item(table, _order_item(n, now, due=n < DUE))


@contextlib.contextmanager
def _without_moto_transaction_snapshots():
    import moto.dynamodb.models as models

    def deepcopy(value, *args):
        return value if isinstance(value, models.Table) else copy.deepcopy(value, *args)

    original = models.copy
    models.copy = types.SimpleNamespace(deepcopy=deepcopy)
    try:
        yield
    finally:
        models.copy = original


def measure(counter, sizes=(100, 10_000, 100_000)) -> dict:
    """``counter``: the bench's AwsCallCounter (botocore hooks), already installed."""
    from moto import mock_aws

    from chalicelib import storage
    from chalicelib.services.escalation import sweep

    results = {}
    for stored in sizes:
        with mock_aws(), _without_moto_transaction_snapshots():
            storage.create_tables()
            now = dt.datetime.now(dt.timezone.utc)
            _populate(stored, now)
            items = Counter()
            counter.on_response = lambda operation, parsed: items.update(
                {operation: parsed.get("Count", 1 if parsed.get("Item") else 0)}
            )
            with counter.window() as calls:
                started = time.perf_counter()
                taken = sweep()
                wall = time.perf_counter() - started
            counter.on_response = None
        if taken != {"warn": DUE}:
            raise AssertionError(f"the sweep over {stored} orders took {taken}, expected {DUE} warnings")
        reads = {op: n for op, n in calls.items() if op in ("dynamodb.Query", "dynamodb.GetItem")}
        results[stored] = {
            "due": DUE,
            "requests": sum(calls.values()),
            "requests_by_operation": dict(sorted(calls.items())),
            "items_read": sum(items[op] for op in ("Query", "GetItem")),
            "read_requests": sum(reads.values()),
            "wall_s": round(wall, 3),
        }
    return results
