"""The notify queue: its dead-letter queue, batched sends that fail loudly, holds capped by SQS's limit."""
from __future__ import annotations

import json

import boto3
import pytest
from freezegun import freeze_time

from chalicelib.adapters import queue
from chalicelib.settings import get_settings
from tests.aws_faults import refuse

NAME = get_settings().notify_queue


def attributes(name: str) -> dict:
    sqs = boto3.client("sqs")
    url = sqs.get_queue_url(QueueName=name)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]


def receive(visibility: int = 0) -> list[dict]:
    return boto3.client("sqs").receive_message(
        QueueUrl=queue.queue_url(), MaxNumberOfMessages=10, VisibilityTimeout=visibility
    ).get("Messages", [])


def test_the_queue_hands_a_message_to_its_dead_letter_queue_after_the_receives_allowed(aws):
    redrive = json.loads(attributes(NAME)["RedrivePolicy"])

    assert redrive == {"deadLetterTargetArn": attributes(f"{NAME}-dlq")["QueueArn"], "maxReceiveCount": 5}
    assert queue.dead_letter_queue_name(NAME) == f"{NAME}-dlq"


def test_ensure_queue_may_run_again(aws):
    assert queue.ensure_queue() == queue.queue_url()


def test_send_puts_every_body_on_the_queue_ten_at_a_time(aws, monkeypatch):
    sqs = queue._sqs()
    calls = []
    monkeypatch.setattr(sqs, "send_message_batch", _spy(sqs.send_message_batch, calls))
    bodies = [f"message {n}" for n in range(23)]

    queue.send(bodies)

    assert [len(entries) for entries in calls] == [10, 10, 3]
    seen = []
    while batch := receive(visibility=60):
        seen += [m["Body"] for m in batch]
    assert sorted(seen) == sorted(bodies)


def _spy(send_message_batch, calls):
    def spy(**kwargs):
        calls.append(kwargs["Entries"])
        return send_message_batch(**kwargs)

    return spy


def test_send_answers_the_positions_of_the_entries_refused(aws, monkeypatch):
    sqs = queue._sqs()
    real = sqs.send_message_batch

    def refuse_the_last(QueueUrl, Entries):
        answer = real(QueueUrl=QueueUrl, Entries=Entries[:-1])
        return {**answer, "Failed": [{"Id": Entries[-1]["Id"], "SenderFault": False, "Code": "InternalError"}]}

    monkeypatch.setattr(sqs, "send_message_batch", refuse_the_last)

    assert queue.send([f"m{n}" for n in range(13)]) == [9, 12]  # the last of each batch of ten


def test_send_answers_a_batch_refused_whole_as_not_taken(aws, monkeypatch):
    refuse(monkeypatch, "SendMessageBatch", "RequestThrottled", times=1)

    assert queue.send([f"m{n}" for n in range(13)]) == list(range(10))
    assert len(receive(visibility=60)) == 3


def test_a_hold_keeps_a_message_out_of_sight_for_at_most_twelve_hours(aws):
    with freeze_time("2026-11-20T12:00:00Z") as clock:
        queue.send(["held"])
        [message] = receive()
        arn = attributes(NAME)["QueueArn"]

        queue.hold(arn, message["ReceiptHandle"], seconds=20 * 3600)

        clock.move_to("2026-11-20T23:59:00Z")
        assert receive() == []
        clock.move_to("2026-11-21T00:00:01Z")
        assert [m["Body"] for m in receive()] == ["held"]
