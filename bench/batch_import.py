"""Batch import (批量导入): rows per second for a file of ``ROWS`` rows, and the AWS calls per row.

``ROWS`` is 500, not the 5,000 a real file may have: moto's TransactWriteItems deep-copies every
table it touches, so each row costs more than the one before, and 5,000 rows take more than half
an hour in moto (measured) — a figure of moto's tables, not of the app. The app's own time per row
and the calls per row do not grow with the file.

A file of ``ROWS`` hotline records (GB18030, as Excel saves it in China) is posted to
POST /api/v1/staff/imports through ``chalice.test.Client``, then the imports queue is worked
through as Lambda would (infra/drivers.py's QueueDriver, one slice of 100 rows per invocation)
until it is empty, against moto's in-process ``mock_aws``. Every row is a new request: a
different external_id, category and point (spread over the city's centre, so the duplicate
lookup and hotspot counts meet what they meet on a real day, not 5,000 reports of one spot);
one row in ten has a caller's phone, one in fifty is refused (no such category).

Rows per second is the queue's wall time (the request's own is given apart); it is moto's more
than the app's: moto's TransactWriteItems deep-copies every table it touches, so each row costs
more than the one before, as the latency figures of bench/run.py say. AWS calls per row are
botocore's before-call events during the queue's work over the rows (the request's calls apart).

Alone: ``.venv/bin/python -m bench.batch_import [rows] >/dev/null`` (the same set-up as ``make bench``;
the figure goes to stderr, Powertools' log lines to stdout).
"""
from __future__ import annotations

import time
from collections import Counter

ROWS = 500
# Categories without required extra questions (traffic asks where: the file has no answers column).
_CATEGORIES = ("sanitation", "municipal", "greening", "property", "utilities", "market", "pollution")
_HEADER = "external_id,received_at,channel,type,category,description,lat,lng,caller_name,caller_phone"


def csv_file(rows: int) -> bytes:
    lines = [_HEADER]
    for n in range(rows):
        category = "no-such-category" if n % 50 == 49 else _CATEGORIES[n % len(_CATEGORIES)]
        lat, lng = 42.88 + (n % 70) * 0.0008, 125.12 + (n // 70 % 70) * 0.0008
        caller = f"市民{n},138{n:08d}" if n % 10 == 0 else ","
        lines.append(
            f"BENCH-{n:05d},2026-11-19 09:{n % 60:02d},电话,complaint,{category},"
            f"第{n}号来电：小区附近的问题一直没人处理，请尽快解决,{lat:.5f},{lng:.5f},{caller}"
        )
    return ("\r\n".join(lines) + "\r\n").encode("gb18030")


class _Stopwatch:
    """The time spent inside AWS calls, from the counter's hooks (before-parameter-build to after-call)."""

    def __init__(self) -> None:
        self.total, self._since = 0.0, None

    def start(self, _operation, _params) -> None:
        self._since = time.perf_counter()

    def stop(self, _operation, _parsed) -> None:
        if self._since is not None:
            self.total += time.perf_counter() - self._since
            self._since = None


def measure(http, counter, dispatcher_token: str, rows: int = ROWS) -> dict:
    """Post the file, work the queue dry; ``http``: chalice.test's client, ``counter``: the AwsCallCounter."""
    from app import app
    from chalicelib.settings import get_settings
    from infra.drivers import QueueDriver

    body = csv_file(rows)
    auth = {"Authorization": f"Bearer {dispatcher_token}"}
    headers = {"Content-Type": "text/csv", **auth}
    with counter.window() as request_calls:
        started = time.perf_counter()
        answer = http.post("/api/v1/staff/imports", body=body, headers=headers)
        request_s = time.perf_counter() - started
    if answer.status_code != 202:
        raise AssertionError(f"the import was refused: {answer.status_code} {answer.body[:300]!r}")
    import_id = answer.json_body["import_id"]
    driver = QueueDriver(app, get_settings().imports_queue, function_name="import_rows", batch_size=1)
    slices, in_aws = 0, _Stopwatch()
    counter.on_params, counter.on_response = in_aws.start, in_aws.stop
    try:
        with counter.window() as queue_calls:
            started = time.perf_counter()
            while driver.poll():
                slices += 1
            queue_s = time.perf_counter() - started
    finally:
        counter.on_params = counter.on_response = None
    progress, refused_by, cursor = {}, Counter(), ""
    while cursor is not None:
        page = f"/api/v1/staff/imports/{import_id}?limit=1000" + (f"&cursor={cursor}" if cursor else "")
        progress = http.get(page, headers=auth).json_body
        if progress.get("state") != "done":
            raise AssertionError(f"the import did not finish: {progress}")
        refused_by.update(column for r in progress["results"] for column in r["errors"] or ())
        cursor = progress["cursor"]
    # The driver's own receive and delete are what Lambda's event source mapping does, not the app.
    driven = ("sqs.ReceiveMessage", "sqs.DeleteMessageBatch")
    app_calls = Counter({op: n for op, n in queue_calls.items() if op not in driven})
    return {
        "rows": rows,
        "file_bytes": len(body),
        "created": progress["created"],
        "refused": progress["refused"],
        "slices": slices,
        "request_s": round(request_s, 3),
        "request_calls": dict(sorted(request_calls.items())),
        "refused_by_column": dict(refused_by),
        "queue_s": round(queue_s, 1),
        "rows_per_s": round(rows / queue_s, 1),
        # The app's own time: the queue's wall time less the time inside the AWS calls (moto's).
        "app_ms_per_row": round((queue_s - in_aws.total) * 1000 / rows, 1),
        "aws_calls_per_row": round(sum(app_calls.values()) / rows, 2),
        "aws_calls_per_row_by_operation": {op: round(n / rows, 2) for op, n in sorted(app_calls.items())},
    }


def render(result: dict) -> str:
    per_op = ", ".join(
        f"{op} {n}" for op, n in sorted(result["aws_calls_per_row_by_operation"].items(), key=lambda kv: -kv[1])
    )
    return "\n".join([
        f"batch import: {result['rows']} rows ({result['file_bytes'] / 1e6:.1f} MB GB18030), "
        f"{result['created']} created, {result['refused']} refused, {result['slices']} queue messages",
        f"  request (check, store, queue): {result['request_s'] * 1000:.0f} ms, "
        f"{sum(result['request_calls'].values())} AWS calls",
        f"  queue: {result['queue_s']} s, {result['rows_per_s']} rows/s (moto in-process); the app's own time "
        f"(outside the AWS calls) {result['app_ms_per_row']} ms a row; refused by column {result['refused_by_column']}",
        f"  AWS calls per row: {result['aws_calls_per_row']} ({per_op})",
    ])


def main(rows: int = ROWS) -> dict:
    """This measurement alone, set up as bench/run.py sets up its own (but for stdout: redirect it)."""
    import os
    import sys
    import tempfile
    import warnings
    from pathlib import Path

    from bench import PROJECT_DIR
    from bench.awscalls import AwsCallCounter
    from bench.harness import uncapped_city
    from infra.testenv import TEST_ENV

    os.chdir(PROJECT_DIR)
    os.environ.update(TEST_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    counter = AwsCallCounter()
    counter.install()
    from tests.token_issuer import TokenIssuer

    issuer = TokenIssuer(audience=TEST_ENV["AUTH_AUDIENCE"])
    os.environ["AUTH_ISSUER"] = issuer.issuer
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    city_dir = tempfile.TemporaryDirectory(prefix="suqiu-bench-")
    os.environ["CITY_FILE"] = str(uncapped_city(Path(city_dir.name)))
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from infra.local import create_local_resources

    try:
        with mock_aws():
            create_local_resources()
            with Client(app, project_dir=str(PROJECT_DIR)) as client:
                result = measure(client.http, counter, issuer.mint("bench-dispatcher", "dispatcher"), rows)
    finally:
        issuer.stop()
        city_dir.cleanup()
    print(render(result), file=sys.stderr)
    return result


if __name__ == "__main__":
    import sys

    main(int(sys.argv[1]) if len(sys.argv) > 1 else ROWS)
