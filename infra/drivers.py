"""What AWS does around the app's event handlers, done locally: for `make run` and the tests.

In the cloud, Lambda reads the outbox table's stream, polls the notify queue and
fires the schedule. Here:

- ``StreamDriver`` reads the outbox's stream (the DynamoDB Streams API) and gives
  each batch to the ``relay_outbox`` handler as a Lambda event, with the retries,
  bisection and dead-lettering the template's event source mapping declares.
- ``QueueDriver`` receives from the notify queue, gives the batch to ``deliver``
  as an SQS event and deletes the messages it did not report as failures (the
  event source mapping's ReportBatchItemFailures); when the handler raises it
  deletes nothing. The imports queue is driven alike, to ``import_rows``.
- ``ScheduleDriver`` fires a scheduled handler (``escalate``).
- ``Pump`` calls a driver's ``poll`` every so often on a background thread.

Handlers are called through ``app.handler_map`` with a Lambda context, so the
middleware runs as it does in Lambda.
"""
from __future__ import annotations

import datetime as dt
import json
import logging
import threading
import uuid
from pathlib import Path

from chalicelib.adapters import queue
from chalicelib.adapters.aws import boto3_client
from chalicelib.settings import get_settings

_log = logging.getLogger(__name__)
FUNCTIONS_TEMPLATE = Path(__file__).with_name("functions.yaml")


def _context(function_name: str):
    from chalice.local import LambdaContext  # chalice is a development dependency

    return LambdaContext(function_name, memory_size=512, max_runtime_ms=60_000)


class _Driver:
    def __init__(self, app, function_name: str):
        self.function_name = function_name
        self._handler = app.handler_map[function_name]

    def invoke(self, event: dict):
        return self._handler(event, _context(self.function_name))


def relay_event_source() -> dict:
    """The relay's event source mapping settings, as the template declares them for Lambda."""
    import yaml

    template = yaml.safe_load(FUNCTIONS_TEMPLATE.read_text(encoding="utf-8"))
    return template["Resources"]["RelayOutbox"]["Properties"]["Events"]["RelayOutboxDynamodbEventSource"]["Properties"]


class StreamDriver(_Driver):
    """The outbox's stream → ``relay_outbox``, from the oldest record on, as the template's event
    source mapping has Lambda do it: the records the relay answers as failed come again, from the
    first of them; an invocation that raises is split in two (bisected) and each half tried alone;
    a record still failing after ``MaximumRetryAttempts`` retries is described on the dead-letter
    queue (as Lambda's on-failure destination does) and passed over.

    moto, cancelling a transaction, puts back a copy of each table from before it, stream and all:
    the records the cancelled writes made stay in the shard object our iterator reads, and later
    writes go to the copy, numbered anew from where it stood. So each read starts at the last record
    handed over and checks it is still there; when it is not, the shard is read again from its start
    and only the records never handed over are taken.
    """

    BATCH = 100

    def __init__(self, app, table_name: str):
        super().__init__(app, "relay_outbox")
        self._table_name = table_name
        settings = relay_event_source()
        self._max_retries = int(settings["MaximumRetryAttempts"])
        self._bisect = bool(settings["BisectBatchOnFunctionError"])
        assert settings["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
        self._arn: str | None = None
        self._streams = boto3_client("dynamodbstreams")
        self._last: dict[str, tuple[str, str]] = {}  # shard → (sequence number, event id) last handed over
        self._handed: set[str] = set()  # event ids handed over (to read past moto's swapped shards)

    def poll(self) -> int:
        """Relay what the stream holds now; how many records were handed over."""
        if self._arn is None:
            self._arn = boto3_client("dynamodb").describe_table(TableName=self._table_name)["Table"]["LatestStreamArn"]
        handed = 0
        for shard in self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]:
            records = self._unread(shard["ShardId"])
            if records:
                self._deliver(shard["ShardId"], [self._lambda_record(r) for r in records])
                last = records[-1]
                self._last[shard["ShardId"]] = (last["dynamodb"]["SequenceNumber"], last["eventID"])
                self._handed.update(r["eventID"] for r in records)
                handed += len(records)
        return handed

    def drain(self) -> int:
        total = 0
        while n := self.poll():
            total += n
        return total

    def _unread(self, shard_id: str) -> list[dict]:
        """The shard's records not yet handed over, oldest first, at most a batch."""
        last = self._last.get(shard_id)
        if last is not None:
            records = self._read(shard_id, "AT_SEQUENCE_NUMBER", last[0])
            if records and records[0]["eventID"] == last[1]:
                return records[1:]
        records = self._read(shard_id, "TRIM_HORIZON", None, whole=last is not None)
        return [r for r in records if r["eventID"] not in self._handed][: self.BATCH]

    def _read(self, shard_id: str, kind: str, sequence: str | None, whole: bool = False) -> list[dict]:
        """One page of the shard from ``kind`` (AT_SEQUENCE_NUMBER ``sequence``, TRIM_HORIZON), or all of it."""
        where = {"SequenceNumber": sequence} if sequence else {}
        iterator = self._streams.get_shard_iterator(
            StreamArn=self._arn, ShardId=shard_id, ShardIteratorType=kind, **where
        )["ShardIterator"]
        records: list[dict] = []
        while iterator:
            answer = self._streams.get_records(ShardIterator=iterator, Limit=self.BATCH)
            records += answer["Records"]
            if not answer["Records"] or not whole:
                break
            iterator = answer.get("NextShardIterator")
        return records

    def _deliver(self, shard_id: str, batch: list[dict]) -> None:
        """Hand ``batch`` to the relay until every record is through or dead-lettered."""
        for _ in range(1 + self._max_retries):
            try:
                answer = self.invoke({"Records": batch}) or {}
            except Exception:  # noqa: BLE001 - Lambda's answer to a failed invocation: split, or retry
                _log.exception("relay_outbox failed on %d records", len(batch))
                if self._bisect and len(batch) > 1:
                    half = len(batch) // 2
                    self._deliver(shard_id, batch[:half])
                    self._deliver(shard_id, batch[half:])
                    return
                continue
            failed = {f["itemIdentifier"] for f in answer.get("batchItemFailures", [])}
            if not failed:
                return
            # Lambda's checkpoint: the stream resumes at the first record reported failed.
            first = min(n for n, r in enumerate(batch) if r["dynamodb"]["SequenceNumber"] in failed)
            batch = batch[first:]
        self._dead_letter(shard_id, batch)

    def _dead_letter(self, shard_id: str, batch: list[dict]) -> None:
        """What Lambda's on-failure destination receives: where the records are, not the records."""
        info = {
            "requestContext": {"condition": "RetryAttemptsExhausted", "approximateInvokeCount": 1 + self._max_retries},
            "version": "1.0",
            "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(),
            "DDBStreamBatchInfo": {
                "shardId": shard_id,
                "startSequenceNumber": batch[0]["dynamodb"]["SequenceNumber"],
                "endSequenceNumber": batch[-1]["dynamodb"]["SequenceNumber"],
                "batchSize": len(batch),
                "streamArn": self._arn,
            },
        }
        _log.error("relay_outbox gave up on %d records: they are on the dead-letter queue", len(batch))
        # The template's destination: the notify queue's dead-letter queue.
        dead_letters = queue.queue_url(queue.dead_letter_queue_name(get_settings().notify_queue))
        boto3_client("sqs").send_message(QueueUrl=dead_letters, MessageBody=json.dumps(info))

    def _lambda_record(self, record: dict) -> dict:
        # Lambda's event says in JSON what boto3 has already parsed (the time is epoch seconds).
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        dynamodb = dict(record["dynamodb"])
        if isinstance(created, dt.datetime):
            dynamodb["ApproximateCreationDateTime"] = created.timestamp()
        return {**record, "dynamodb": dynamodb, "eventSourceARN": self._arn}


class QueueDriver(_Driver):
    """A queue → its handler (the notify queue → ``deliver``), ``batch_size`` messages at a time."""

    def __init__(
        self, app, queue_name: str, visibility_timeout: int | None = None, function_name: str = "deliver",
        batch_size: int = 10,
    ):
        super().__init__(app, function_name)
        self._batch_size = batch_size
        self._sqs = boto3_client("sqs")
        self._url = queue.queue_url(queue_name)
        self._arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._visibility_timeout = visibility_timeout  # None: the queue's own

    def poll(self) -> int:
        """Deliver one batch; how many messages it held."""
        receive = {"QueueUrl": self._url, "MaxNumberOfMessages": self._batch_size, "AttributeNames": ["All"]}
        if self._visibility_timeout is not None:
            receive["VisibilityTimeout"] = self._visibility_timeout
        messages = self._sqs.receive_message(**receive).get("Messages", [])
        if not messages:
            return 0
        answer = self.invoke({"Records": [self._lambda_record(m) for m in messages]}) or {}
        failed = {failure["itemIdentifier"] for failure in answer.get("batchItemFailures", [])}
        done = [m for m in messages if m["MessageId"] not in failed]
        if done:
            self._sqs.delete_message_batch(
                QueueUrl=self._url,
                Entries=[{"Id": str(n), "ReceiptHandle": m["ReceiptHandle"]} for n, m in enumerate(done)],
            )
        return len(messages)

    def _lambda_record(self, message: dict) -> dict:
        return {
            "messageId": message["MessageId"],
            "receiptHandle": message["ReceiptHandle"],
            "body": message["Body"],
            "attributes": message.get("Attributes", {}),
            "messageAttributes": {},
            "md5OfBody": message["MD5OfBody"],
            "eventSource": "aws:sqs",
            "eventSourceARN": self._arn,
            "awsRegion": self._arn.split(":")[3],
        }


class ScheduleDriver(_Driver):
    """A scheduled handler, fired as EventBridge fires it."""

    def poll(self):
        return self.invoke(
            {
                "version": "0",
                "id": str(uuid.uuid4()),
                "detail-type": "Scheduled Event",
                "source": "aws.events",
                "account": "000000000000",
                "time": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
                "region": "us-east-1",
                "resources": [],
                "detail": {},
            }
        )


class Pump(threading.Thread):
    """Calls ``driver.poll()`` every ``seconds`` until stopped; a failure is logged and tried again next time."""

    def __init__(self, driver, seconds: float):
        super().__init__(name=f"pump-{driver.function_name}", daemon=True)
        self._driver, self._seconds = driver, seconds
        self._stopped = threading.Event()

    def run(self) -> None:
        while not self._stopped.wait(self._seconds):
            try:
                self._driver.poll()
            except Exception:  # noqa: BLE001 - the loop must outlive a bad batch, as Lambda does
                _log.exception("%s failed; it will be tried again", self._driver.function_name)

    def stop(self) -> None:
        self._stopped.set()
