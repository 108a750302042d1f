"""What AWS does around the app's event handlers, done locally: for `make run` and the tests.

In the cloud, Lambda reads the outbox table's stream, polls the notify queue and
fires the schedule. Here:

- ``StreamDriver`` reads the outbox's stream (the DynamoDB Streams API) and gives
  each batch to the ``relay_outbox`` handler as a Lambda event; when the handler
  fails it does not move on, so the batch comes again (as Lambda retries it).
- ``QueueDriver`` receives from the notify queue, gives the batch to ``deliver``
  as an SQS event and deletes the messages it did not report as failures (the
  event source mapping's ReportBatchItemFailures); when the handler raises it
  deletes nothing.
- ``ScheduleDriver`` fires a scheduled handler (``escalate``).
- ``Pump`` calls a driver's ``poll`` every so often on a background thread.

Handlers are called through ``app.handler_map`` with a Lambda context, so the
middleware runs as it does in Lambda.
"""
from __future__ import annotations

import datetime as dt
import logging
import threading
import uuid

from chalicelib.adapters import queue
from chalicelib.adapters.aws import boto3_client

_log = logging.getLogger(__name__)


def _context(function_name: str):
    from chalice.local import LambdaContext  # chalice is a development dependency

    return LambdaContext(function_name, memory_size=512, max_runtime_ms=60_000)


class _Driver:
    def __init__(self, app, function_name: str):
        self.function_name = function_name
        self._handler = app.handler_map[function_name]

    def invoke(self, event: dict):
        return self._handler(event, _context(self.function_name))


class StreamDriver(_Driver):
    """The outbox's stream → ``relay_outbox``, from the oldest record on."""

    BATCH = 100

    def __init__(self, app, table_name: str):
        super().__init__(app, "relay_outbox")
        self._table_name = table_name
        self._arn: str | None = None
        self._streams = boto3_client("dynamodbstreams")
        self._iterators: dict[str, str | None] = {}  # shard → where to read next; None once a closed shard is read

    def poll(self) -> int:
        """Relay what the stream holds now; how many records. Raises (without moving on) if the handler fails."""
        if self._arn is None:
            self._arn = boto3_client("dynamodb").describe_table(TableName=self._table_name)["Table"]["LatestStreamArn"]
        for shard in self._streams.describe_stream(StreamArn=self._arn)["StreamDescription"]["Shards"]:
            if shard["ShardId"] not in self._iterators:
                self._iterators[shard["ShardId"]] = self._streams.get_shard_iterator(
                    StreamArn=self._arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
                )["ShardIterator"]
        relayed = 0
        for shard_id, iterator in list(self._iterators.items()):
            if iterator is None:
                continue
            answer = self._streams.get_records(ShardIterator=iterator, Limit=self.BATCH)
            if answer["Records"]:
                self.invoke({"Records": [self._lambda_record(r) for r in answer["Records"]]})
                relayed += len(answer["Records"])
            self._iterators[shard_id] = answer.get("NextShardIterator")
        return relayed

    def drain(self) -> int:
        total = 0
        while n := self.poll():
            total += n
        return total

    def _lambda_record(self, record: dict) -> dict:
        # Lambda's event says in JSON what boto3 has already parsed (the time is epoch seconds).
        created = record["dynamodb"].get("ApproximateCreationDateTime")
        dynamodb = dict(record["dynamodb"])
        if isinstance(created, dt.datetime):
            dynamodb["ApproximateCreationDateTime"] = created.timestamp()
        return {**record, "dynamodb": dynamodb, "eventSourceARN": self._arn}


class QueueDriver(_Driver):
    """The notify queue → ``deliver``, ten messages at a time."""

    def __init__(self, app, queue_name: str, visibility_timeout: int | None = None):
        super().__init__(app, "deliver")
        self._sqs = boto3_client("sqs")
        self._url = queue.queue_url(queue_name)
        self._arn = self._sqs.get_queue_attributes(QueueUrl=self._url, AttributeNames=["QueueArn"])["Attributes"][
            "QueueArn"
        ]
        self._visibility_timeout = visibility_timeout  # None: the queue's own

    def poll(self) -> int:
        """Deliver one batch; how many messages it held."""
        receive = {"QueueUrl": self._url, "MaxNumberOfMessages": 10, "AttributeNames": ["All"]}
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
