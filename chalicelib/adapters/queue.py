"""The notify queue (SQS): outgoing SMS between the outbox and the sender; and the imports queue.

A message that fails is received again after the visibility timeout; after
``MAX_RECEIVES`` receives SQS moves it to the dead-letter queue. Quiet hours use
receives too: a message held overnight is received once at night and again in
the morning, so ``MAX_RECEIVES`` leaves room for a hold and several retries.

The imports queue carries a batch import's slices of rows (services/imports.py), one message
a slice, with its own dead-letter queue: ``IMPORTS`` says how it differs.
"""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from chalicelib.adapters.aws import boto3_client
from chalicelib.settings import get_settings

MAX_RECEIVES = 5
# Six times the deliver function's timeout (60 s), as AWS advises for a queue that triggers a Lambda.
VISIBILITY_TIMEOUT_SECONDS = 360
RETENTION_SECONDS = 4 * 24 * 3600  # SQS's default: days of retries if the provider is down
DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS's most: time to look into what failed
MAX_HOLD_SECONDS = 12 * 3600  # SQS's ceiling for a visibility timeout
_BATCH = 10  # SQS's ceiling for send_message_batch


@dataclass(frozen=True)
class QueueSpec:
    """A queue and its dead-letter queue, as infra/resources.yaml declares them."""

    name: Callable[[], str]  # from the settings
    visibility_timeout: int
    max_receives: int


NOTIFY = QueueSpec(lambda: get_settings().notify_queue, VISIBILITY_TIMEOUT_SECONDS, MAX_RECEIVES)
# Six times the import_rows function's timeout (300 s). A slice failing three times is a bug or
# an outage: its rows stay unfinished (the import stays running) and its message waits in the
# dead-letter queue, to be sent back once fixed; the rows done are not done again.
IMPORTS = QueueSpec(lambda: get_settings().imports_queue, 1800, 3)


@lru_cache(maxsize=1)
def _sqs():
    return boto3_client("sqs")


def dead_letter_queue_name(queue_name: str) -> str:
    return f"{queue_name}-dlq"


def ensure_queue(spec: QueueSpec = NOTIFY) -> str:
    """Create the queue and its dead-letter queue (local stack and tests); the queue's URL."""
    sqs, name = _sqs(), spec.name()
    dlq_url = sqs.create_queue(
        QueueName=dead_letter_queue_name(name), Attributes={"MessageRetentionPeriod": str(DLQ_RETENTION_SECONDS)}
    )["QueueUrl"]
    dlq_arn = sqs.get_queue_attributes(QueueUrl=dlq_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    redrive = {"deadLetterTargetArn": dlq_arn, "maxReceiveCount": spec.max_receives}
    attributes = {
        "MessageRetentionPeriod": str(RETENTION_SECONDS),
        "VisibilityTimeout": str(spec.visibility_timeout),
        "RedrivePolicy": json.dumps(redrive),
    }
    return sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]


@lru_cache(maxsize=4)
def queue_url(name: str | None = None) -> str:
    return _sqs().get_queue_url(QueueName=name or get_settings().notify_queue)["QueueUrl"]


def send(bodies: Sequence[str], delay_seconds: int = 0, spec: QueueSpec = NOTIFY) -> list[int]:
    """Put the bodies on the queue (the notify queue); the positions of those SQS did not take (to be tried again).

    ``delay_seconds`` (SQS allows 900 at most) keeps them out of sight that long: a digest waits
    for its window's end. A batch SQS refuses whole (throttled, unreachable once the SDK's retries
    are spent) counts as not taken; any other error is a bug of ours and raises.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    refused: list[int] = []
    for start in range(0, len(bodies), _BATCH):
        chunk = bodies[start:start + _BATCH]
        entries = [{"Id": str(n), "MessageBody": body, "DelaySeconds": delay_seconds} for n, body in enumerate(chunk)]
        try:
            answer = _sqs().send_message_batch(QueueUrl=queue_url(spec.name()), Entries=entries)
        except (BotoCoreError, ClientError):
            refused += range(start, start + len(chunk))
            continue
        refused += sorted(start + int(failure["Id"]) for failure in answer.get("Failed", []))
    return refused


def hold(queue_arn: str, receipt_handle: str, seconds: int) -> None:
    """Keep a received message out of sight for ``seconds`` (at most 12 hours)."""
    name = queue_arn.rsplit(":", 1)[-1]
    _sqs().change_message_visibility(
        QueueUrl=queue_url(name), ReceiptHandle=receipt_handle, VisibilityTimeout=min(seconds, MAX_HOLD_SECONDS)
    )
