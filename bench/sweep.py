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
    from pynamodb.attributes import UTCDateTimeAttribute
    from chalicelib import storage

    # Handling started 10 days ago with 11 days to go: the 80% warning has passed.
    start = now - dt.timedelta(days=10) if due else now
    due_at = start + dt.timedelta(days=11 if due else 30)
    next_check = now - dt.timedelta(minutes=1) if due else now + dt.timedelta(days=20)
    created = start - dt.timedelta(hours=1)
    no = f"LY{created:%Y%m%d}{n:06d}"
    iso = UTCDateTimeAttribute().serialize
    return {
        "tracking_no": {"S": no},
        "created_key": {"S": storage.created_key(created, no)},
        "channel": {"S": "web"},
        "description": {"S": "小区门口垃圾堆积没人清理"},
        "location": {"M": {"lat": {"N": "42.9"}, "lng": {"N": "125.14"}, "coord_system": {"S": "wgs84"}}},
        "media": {"L": []},
        "anonymous": {"BOOL": True},
        "query_code_hash": {"S": "0" * 64},
        "type": {"S": "complaint"},
        "category": {"S": "other"},  # no category override: 15 working days, but due_at is set directly
        "created_at": {"S": iso(created)},
        "state": {"S": "in_progress"},
        "version": {"N": "3"},
        "unit": {"S": "lsq-cg"},
        "co_units": {"L": []},
        "priority": {"BOOL": False},
        "dispatched_at": {"S": iso(start)},
        "signed_at": {"S": iso(start)},
        "due_from": {"S": iso(start)},
        "due_at": {"S": iso(due_at)},
        "level": {"S": "normal"},
        "sign_reminded": {"BOOL": False},
        "next_check_at": {"S": iso(next_check)},
        "check_partition": {"S": storage.CHECK_PARTITION},
        "round": {"N": "1"},
        "extensions_used": {"N": "0"},
        "result_media": {"L": []},
    }


def _populate(stored: int, now: dt.datetime) -> None:
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib import storage

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    table = storage.OrderModel.Meta.table_name
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
