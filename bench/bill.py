"""An estimated AWS bill per 10,000 residents' requests, from the calls the bench counted.

Each request (诉求) is given a typical life, each step one operation the bench ran and
counted (its AWS calls, the DynamoDB items it read and wrote, its latency):

  resident: ask for an upload, submit with one photo and an SMS code (named), ask for
            the code first, track it twice, rate it once
  staff:    the unit's queue once, the order's detail twice, sign, resolve
  SMS:      4 texts (received, dispatched to the resident and to the unit, resolved), each
            relayed from the outbox stream and delivered from the queue

The bill adds, per step: API Gateway (REST) per request; Lambda per invocation and per
GB-second at 512 MB, taking the bench's in-process p50 as the duration (moto-bound, so
this overstates it); DynamoDB on-demand read and write units, estimated from the items
each call read and wrote (below); S3 and SQS per request. Prices are us-east-1 on-demand
list prices (PRICES, as published in 2025; no free tier). aws-cn regions charge in CNY at
other rates. The SMS themselves are not AWS in China (SNS does not deliver to mainland
numbers; the city's provider, e.g. Yunpian, bills them): they are counted, not priced.

Capacity units are estimates: the bench counts items, not bytes. An order item is taken
as 2 KB (2 write units; 1 strongly consistent read unit), every other item as under 1 KB;
a Query reads at most 4 KB per read unit (eventually consistent on an index: half) and its
items are taken as 1 KB each; a transaction costs twice the units of what it writes.
"""
from __future__ import annotations

import math
from collections import Counter

REQUESTS = 10_000
LAMBDA_MEMORY_GB = 0.5

PRICES = {  # USD, us-east-1, on-demand
    "api_gateway_rest_per_million": 3.50,
    "lambda_per_million_invocations": 0.20,
    "lambda_per_gb_second": 0.0000166667,
    "dynamodb_per_million_write_units": 0.625,
    "dynamodb_per_million_read_units": 0.125,
    "s3_put_copy_post_list_per_thousand": 0.005,
    "s3_get_head_per_thousand": 0.0004,
    "sqs_per_million_requests": 0.40,
}

_BIG_ITEMS = ("-orders", "-idempotency")  # tables whose items are taken as 2 KB


def _write_units(table: str) -> int:
    return 2 if table.endswith(_BIG_ITEMS) else 1


class CapacityMeter:
    """DynamoDB read and write units, estimated from each call's parameters and answer."""

    def __init__(self, counter):
        self.counter = counter
        self.units: Counter[str] = Counter()

    def __enter__(self) -> Counter[str]:
        self.units = Counter()
        self._consistent = False  # the last call's ConsistentRead, for its answer
        self.counter.on_params = self._params
        self.counter.on_response = self._response
        return self.units

    def __exit__(self, *exc) -> None:
        self.counter.on_params = None
        self.counter.on_response = None

    def _params(self, operation: str, params: dict) -> None:
        if operation in ("PutItem", "UpdateItem", "DeleteItem"):
            self.units["write"] += _write_units(params.get("TableName", ""))
        elif operation == "TransactWriteItems":
            for entry in params.get("TransactItems", []):
                (kind, spec), = entry.items()
                self.units["write"] += 2 * _write_units(spec.get("TableName", ""))
        elif operation == "GetItem":
            self.units["read"] += 1 if params.get("ConsistentRead") else 0.5
        self._consistent = bool(params.get("ConsistentRead"))

    def _response(self, operation: str, parsed: dict) -> None:
        if operation == "Query":
            scanned = parsed.get("ScannedCount", parsed.get("Count", 0))
            blocks = max(1, math.ceil(scanned / 4))  # 1 KB items, 4 KB a read unit
            self.units["read"] += blocks * (1 if self._consistent else 0.5)
        elif operation == "BatchGetItem":
            self.units["read"] += sum(len(items) for items in parsed.get("Responses", {}).values()) * 0.5


# One request's life: (operation as the bench names it, how many times).
LIFE = [
    ("upload: presigned POST", 1),
    ("otp: send a code", 1),
    ("submit: 1 photo + Idempotency-Key", 1),
    ("track", 2),
    ("staff list: handler lsq-cg", 1),
    ("staff detail", 2),
    ("staff action: sign", 1),
    ("staff action: resolve", 1),
    ("rate", 1),
]
TEXTS = 4  # SMS per request: received, dispatched (resident and unit), resolved


def estimate(steps: dict[str, dict], latency_ms: dict[str, float]) -> dict:
    """``steps``: per operation, {"calls": Counter, "units": Counter}; ``latency_ms``: its p50."""
    totals = Counter()
    for operation, times in LIFE:
        step = steps[operation]
        n = times * REQUESTS
        totals["api_requests"] += n
        totals["lambda_invocations"] += n
        totals["lambda_gb_seconds"] += n * LAMBDA_MEMORY_GB * latency_ms.get(operation, 100.0) / 1000
        totals["write_units"] += n * step["units"]["write"]
        totals["read_units"] += n * step["units"]["read"]
        for call, count in step["calls"].items():
            if call in ("s3.PutObject", "s3.CopyObject", "s3.DeleteObject"):
                totals["s3_put"] += n * count
            elif call in ("s3.HeadObject", "s3.GetObject"):
                totals["s3_get"] += n * count
    # The browser's POST of the photo to S3, and the SMS pipeline: per text one relay share
    # (stream batches of up to 100: taken as 1 invocation per text, the worst case), one SQS
    # send, receive and delete, one delivery invocation, the idempotency record (put + update).
    totals["s3_put"] += REQUESTS
    texts = TEXTS * REQUESTS
    totals["sms"] = texts
    totals["lambda_invocations"] += 2 * texts
    totals["lambda_gb_seconds"] += 2 * texts * LAMBDA_MEMORY_GB * 0.05
    totals["sqs_requests"] += 3 * texts
    totals["write_units"] += 4 * texts  # idempotency record put + update (2 KB each)
    totals["read_units"] += texts  # the order, read to render the text
    p = PRICES
    cost = {
        "api_gateway": totals["api_requests"] / 1e6 * p["api_gateway_rest_per_million"],
        "lambda": totals["lambda_invocations"] / 1e6 * p["lambda_per_million_invocations"]
        + totals["lambda_gb_seconds"] * p["lambda_per_gb_second"],
        "dynamodb": totals["write_units"] / 1e6 * p["dynamodb_per_million_write_units"]
        + totals["read_units"] / 1e6 * p["dynamodb_per_million_read_units"],
        "s3": totals["s3_put"] / 1e3 * p["s3_put_copy_post_list_per_thousand"]
        + totals["s3_get"] / 1e3 * p["s3_get_head_per_thousand"],
        "sqs": totals["sqs_requests"] / 1e6 * p["sqs_per_million_requests"],
    }
    return {
        "requests": REQUESTS,
        "life": LIFE,
        "texts_per_request": TEXTS,
        "usage": {k: round(v, 2) for k, v in totals.items()},
        "usd": {k: round(v, 4) for k, v in cost.items()},
        "usd_total": round(sum(cost.values()), 2),
        "prices_usd": PRICES,
        "sms_not_priced": texts,
    }
