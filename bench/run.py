"""Suqiu's benchmark: ``make bench`` (``.venv/bin/python -m bench.run``), about two minutes on 2 cores.

What is measured, in one run, and how:

1. AWS calls per operation. A handler on botocore's ``before-call`` event is
   registered on every botocore client the process creates (pynamodb's, boto3's,
   Powertools'), by wrapping ``botocore.session.Session.create_client`` before the
   app is imported (bench/awscalls.py). Each operation is one HTTP request
   through ``chalice.test.Client`` against moto's in-process ``mock_aws``; the
   calls made while it runs are its count. Preparation (the browser's S3 upload,
   getting an order to ``resolved`` before rating it) is outside the count. The
   whole sequence runs twice: once right after the tables are made (first use
   in the process) and again with ~200 orders stored; the table shows the
   second, results.json keeps both. Any Scan fails the bench.
2. Import time of app.py in fresh interpreters against a bare Chalice app that
   imports boto3: median of 15 alternating runs each, after a warm-up run of
   each, same interpreter, bytecode caching on (bench/imports.py).
3. In-process latency (time.perf_counter around the test client's request) of
   submit (no media, no Idempotency-Key), track and the dispatcher's unfiltered
   staff list (~200 orders stored), 200 timed requests each after a warm-up.
   Powertools' log and metric lines still get written, to /dev/null. These
   figures are moto's more than the app's: moto's TransactWriteItems deep-copies
   every table it touches (so each submit costs more than the last) and its
   GSI Query reads the whole index; results.json keeps every sample.
4. Cold start to the first answer: import plus first request in fresh interpreters,
   against the bare app's, with AWS as a moto server in another process (bench/coldstart.py).
5. The escalation sweep's requests, items read and wall time with 100, 10,000 and
   100,000 stored orders and the same 50 due (bench/sweep.py).
6. The category classifier's top-1 accuracy on the held-out part of the corpus (infra/train.py).
7. Duplicate detection (并单): precision and recall on labeled pairs, and the requests and
   items the lookup reads with 100 and 10,000 requests in the city (bench/duplicates.py).
   Every Query a submission makes is the lookup's (one per geohash cell around the point,
   one more for a verified phone): the table shows them apart from the rest.
8. Batch import: a 5,000-row file posted and the imports queue worked dry; rows per second
   and AWS calls per row (bench/batch_import.py; alone: python -m bench.batch_import).

Prints one table and writes bench/results.json. This module runs the parts in order; the app's
side of each request is bench/harness.py, the in-process measuring bench/measure.py, the
printed tables bench/render.py, and the targets they are held to bench/targets.py.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from pathlib import Path

from bench import PROJECT_DIR, actions, batch_import, bill, coldstart, duplicates, imports, sweep
from bench.awscalls import AwsCallCounter, scans
from bench.harness import Bench, uncapped_city
from bench.measure import call_counts, latencies, package_size, versions
from bench.render import render, render_actions, render_bill, render_summary
from bench.targets import CALL_TARGETS, CLASSIFIER_TARGET, IMPORT_RATIO_TARGET
from infra.testenv import TEST_ENV

RESULTS = PROJECT_DIR / "bench" / "results.json"
IMPORT_RUNS = 15
COLD_RUNS = 7


def note(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@contextlib.contextmanager
def stdout_to_devnull() -> Iterator[None]:
    """Powertools writes a log line and a metrics blob per request to fd 1: send them to /dev/null."""
    sys.stdout.flush()
    saved = os.dup(1)
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 1)
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)
        os.close(devnull)


def _git(*args: str) -> str:
    import subprocess

    return subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True).stdout.strip()


# ---- main ------------------------------------------------------------------------

def main() -> int:
    started = time.perf_counter()
    load_before = os.getloadavg()
    os.chdir(PROJECT_DIR)
    if str(PROJECT_DIR) not in sys.path:
        sys.path.insert(0, str(PROJECT_DIR))

    note(f"import time: {IMPORT_RUNS} fresh interpreters each for app.py and a bare Chalice app …")
    imp = imports.measure(PROJECT_DIR, TEST_ENV, IMPORT_RUNS)

    os.environ.update(TEST_ENV)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    counter = AwsCallCounter()
    counter.install()  # before anything makes a botocore client

    from tests.token_issuer import TokenIssuer

    issuer = TokenIssuer(audience=TEST_ENV["AUTH_AUDIENCE"])
    os.environ["AUTH_ISSUER"] = issuer.issuer
    note(f"cold start to the first answer: {COLD_RUNS} fresh interpreters per route …")
    cold = coldstart.measure(
        PROJECT_DIR, TEST_ENV, issuer.mint("bench-dispatcher", "dispatcher"), COLD_RUNS
    )
    warnings.filterwarnings("ignore", message="No application metrics to publish")
    city_dir = tempfile.TemporaryDirectory(prefix="suqiu-bench-")
    os.environ["CITY_FILE"] = str(uncapped_city(Path(city_dir.name)))  # before the app reads its settings

    import boto3
    from chalice.test import Client
    from moto import mock_aws

    from app import app
    from chalicelib.settings import get_settings
    from infra.local import create_local_resources

    try:
        with mock_aws(), stdout_to_devnull():
            create_local_resources()
            s3 = boto3.client("s3")
            bucket = get_settings().media_bucket
            with Client(app, project_dir=str(PROJECT_DIR)) as client:
                b = Bench(client.http, counter, issuer, bucket, s3)
                note("AWS calls: first use …")
                first = call_counts(b, "first")
                note("latency: submit, track, staff list …")
                lat = latencies(b)
                stored = b.created
                note(f"AWS calls: again, with {stored} orders stored …")
                calls = call_counts(b, "warm")
                note(f"every staff action: {actions.ROUNDS} rounds of the lifecycle …")
                action_calls, action_lat = actions.measure(b)
        with mock_aws(), stdout_to_devnull():  # its own account: the orders above do not slow moto's copies
            create_local_resources()
            with Client(app, project_dir=str(PROJECT_DIR)) as client:
                note(f"batch import: {batch_import.ROWS} rows through the imports queue (several minutes) …")
                bulk = batch_import.measure(client.http, counter, issuer.mint("bench-dispatcher", "dispatcher"))
        note("sweep cost: 100, 10,000 and 100,000 stored orders, 50 due (about 2 minutes) …")
        with stdout_to_devnull():
            sweeps = sweep.measure(counter)
        note("duplicate lookup: 100 and 10,000 requests in the city …")
        with stdout_to_devnull():
            dup = {"quality": duplicates.quality(), "cost": duplicates.lookup_cost(counter)}
    finally:
        issuer.stop()
        city_dir.cleanup()
    if scans(counter.total):
        raise AssertionError(f"a Scan happened during the bench: {dict(counter.total)}")

    from infra.train import evaluate  # category suggestion: held-out top-1 accuracy (data/corpus.tsv)

    classifier = {**evaluate(), "target": CLASSIFIER_TARGET}
    note("deployment package: python -m infra.build --stage dev …")
    package = package_size()
    steps = {op: {"calls": c, "units": calls.units[op]} for op, c in calls.items()}
    # Each step of a request's life at the p50 the bench measured for it (or for its nearest kin).
    p50 = {op: r["p50_ms"] for op, r in lat.items()} | {
        f"staff action: {a}": r["p50_ms"] for a, r in action_lat.items()
    } | {
        "rate": action_lat["rate"]["p50_ms"],
        "submit: 1 photo + Idempotency-Key": lat["submit (no media, no key)"]["p50_ms"],
        "staff list: handler lsq-cg": lat["staff list (dispatcher, no filter)"]["p50_ms"],
    }
    costs = bill.estimate(steps, p50)
    load = {"before": [round(x, 2) for x in load_before], "after": [round(x, 2) for x in os.getloadavg()]}
    table = render(calls, first, stored, lat, imp, cold, sweeps, dup)
    print(table)
    print(
        f"\ncategory suggestion: held-out top-1 accuracy {classifier['top1_accuracy']:.1%} on "
        f"{classifier['held_out']} of {classifier['corpus']} texts (target {CLASSIFIER_TARGET:.0%})"
    )
    print()
    print(render_actions(action_calls, action_lat))
    print()
    print(render_bill(costs))
    print()
    print(batch_import.render(bulk))
    print()
    print(render_summary(calls, imp, cold, sweeps, dup, classifier, package, costs))
    print(f"\nload average (1/5/15 min) before {load['before']}, after {load['after']}; {os.cpu_count()} CPUs")
    RESULTS.write_text(
        json.dumps(
            {
                "timestamp": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "commit": _git("rev-parse", "HEAD"),
                "uncommitted_changes": bool(_git("status", "--porcelain")),
                "versions": versions(),
                "platform": platform.platform(),
                "cpus": os.cpu_count(),
                "load_average": load,
                "aws_calls": {
                    op: {"total": sum(c.values()), "breakdown": dict(sorted(c.items()))} for op, c in calls.items()
                },
                "aws_calls_first_use": {
                    op: {"total": sum(c.values()), "breakdown": dict(sorted(c.items()))} for op, c in first.items()
                },
                "aws_call_targets": CALL_TARGETS,
                "orders_stored": stored,
                "scans": 0,
                "latency_ms": lat,
                "import": {**imp, "ratio_target": IMPORT_RATIO_TARGET},
                "cold_start": cold,
                "sweep": sweeps,
                "classifier": classifier,
                "duplicates": dup,
                "batch_import": bulk,
                "actions": {
                    a: {"calls": sum(c.values()), "breakdown": dict(sorted(c.items())), "latency_ms": action_lat[a]}
                    for a, c in action_calls.items()
                },
                "dynamodb_units": {op: dict(u) for op, u in calls.units.items()},
                "package": package,
                "bill_per_10000_requests": costs,
                "botocore_clients_created": counter.clients,
                "aws_calls_whole_run": dict(sorted(counter.total.items())),
                "bench_seconds": round(time.perf_counter() - started, 1),
            },
            ensure_ascii=False,
            indent=2,
        )
        + "\n"
    )
    note(f"wrote {RESULTS.relative_to(PROJECT_DIR)} in {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
