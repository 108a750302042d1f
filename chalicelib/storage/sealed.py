"""Every stored sealed value, read and replaced: for re-sealing under a new key (infra/rotate.py).

The sealed fields: an order's ``contact``, a claim's ``query_code``, an outbox item's
``payload["sealed"]`` and an idempotency record's answer (``data``, Powertools' JSON string,
``{"sealed": hex}`` for submissions; deliveries store nothing sealed).

Reading is a Scan, page by page: this is an offline maintenance job, never a request path.
Replacing is conditional on the value read, so a change made meanwhile is never overwritten
(the caller reads again later instead).
"""
from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from pynamodb.exceptions import UpdateError

from chalicelib.adapters.aws import boto3_client
from chalicelib.storage.models import OrderModel
from chalicelib.storage.tables import IDEMPOTENCY_TABLE, ClaimModel, OutboxModel


@dataclass(frozen=True)
class Sealed:
    field: str  # "orders", "claims", "outbox" or "idempotency"
    key: Any  # the item's key
    value: bytes
    tracking_no: str | None  # the order it belongs to (its context), if any
    raw: Any  # the attribute as stored, for the write's condition


def sealed_values(field: str, page_size: int = 100) -> Iterator[Sealed]:
    return _READS[field](page_size)


def replace_sealed(sealed: Sealed, value: bytes) -> bool:
    """Store ``value`` instead, on condition that the stored one is still what was read; False if it changed."""
    try:
        _WRITES[sealed.field](sealed, value)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    except boto3_client("dynamodb").exceptions.ConditionalCheckFailedException:
        return False
    return True


def _orders(page_size: int) -> Iterator[Sealed]:
    scan = OrderModel.scan(OrderModel.contact.exists(), page_size=page_size, attributes_to_get=["tracking_no", "contact"])
    for item in scan:
        yield Sealed("orders", item.tracking_no, item.contact, item.tracking_no, item.contact)


def _claims(page_size: int) -> Iterator[Sealed]:
    scan = ClaimModel.scan(
        ClaimModel.query_code.exists(), page_size=page_size, attributes_to_get=["claim", "tracking_no", "query_code"]
    )
    for item in scan:
        yield Sealed("claims", item.claim, item.query_code, item.tracking_no, item.query_code)


def _outbox(page_size: int) -> Iterator[Sealed]:
    for item in OutboxModel.scan(page_size=page_size, attributes_to_get=["id", "tracking_no", "payload"]):
        if isinstance(item.payload, dict) and item.payload.get("sealed"):
            yield Sealed("outbox", item.id, bytes.fromhex(item.payload["sealed"]), item.tracking_no, item.payload)


def _idempotency(page_size: int) -> Iterator[Sealed]:
    pages = boto3_client("dynamodb").get_paginator("scan").paginate(
        TableName=IDEMPOTENCY_TABLE,
        ProjectionExpression="id, #data",
        ExpressionAttributeNames={"#data": "data"},
        PaginationConfig={"PageSize": page_size},
    )
    for page in pages:
        for item in page["Items"]:
            raw = item.get("data", {}).get("S")
            answer = _json(raw)
            if isinstance(answer, dict) and isinstance(answer.get("sealed"), str):
                yield Sealed("idempotency", item["id"]["S"], bytes.fromhex(answer["sealed"]), None, raw)


def _json(text: str | None) -> Any:
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def _write_order(sealed: Sealed, value: bytes) -> None:
    OrderModel(sealed.key).update([OrderModel.contact.set(value)], condition=OrderModel.contact == sealed.raw)


def _write_claim(sealed: Sealed, value: bytes) -> None:
    ClaimModel(sealed.key).update([ClaimModel.query_code.set(value)], condition=ClaimModel.query_code == sealed.raw)


def _write_outbox(sealed: Sealed, value: bytes) -> None:
    payload = {**sealed.raw, "sealed": value.hex()}
    OutboxModel(sealed.key).update([OutboxModel.payload.set(payload)], condition=OutboxModel.payload == sealed.raw)


def _write_idempotency(sealed: Sealed, value: bytes) -> None:
    boto3_client("dynamodb").update_item(
        TableName=IDEMPOTENCY_TABLE,
        Key={"id": {"S": sealed.key}},
        UpdateExpression="SET #data = :new",
        ConditionExpression="#data = :old",
        ExpressionAttributeNames={"#data": "data"},
        ExpressionAttributeValues={":new": {"S": json.dumps({"sealed": value.hex()})}, ":old": {"S": sealed.raw}},
    )


_READS = {"orders": _orders, "claims": _claims, "outbox": _outbox, "idempotency": _idempotency}
_WRITES = {"orders": _write_order, "claims": _write_claim, "outbox": _write_outbox, "idempotency": _write_idempotency}
SEALED_FIELDS = tuple(_READS)
