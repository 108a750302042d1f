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

Prints one table and writes bench/results.json.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import re
import statistics
import sys
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from importlib import metadata
from pathlib import Path

from bench import actions, bill, coldstart, duplicates, imports, sweep
from infra.testenv import TEST_ENV
from bench.awscalls import AwsCallCounter, scans
from bench.bill import CapacityMeter

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESULTS = PROJECT_DIR / "bench" / "results.json"
CLASSIFIER_TARGET = 0.9  # held-out top-1 accuracy of the category suggestion


IMPORT_RUNS = 15
COLD_RUNS = 7
LATENCY_RUNS = 200
LATENCY_WARMUP = 10
# Issue 2's target, set before intake looked for duplicates: the lookup's Queries are counted apart.
CALL_TARGETS = {"submit: 1 photo + Idempotency-Key": 6}
LOOKUP = "dynamodb.Query"  # a submission makes no other Query
IMPORT_RATIO_TARGET = 1.5

# What the seeded orders are: spread over units and states like a real queue.
_MIX = [
    ("complaint", "sanitation", "220402001001"),  # → lsq-cg
    ("help", "municipal", None),  # → cgj
    ("report", "pollution", "220403"),  # → sthj
    ("complaint", "property", "220402001"),  # → lsq-xy
    ("consult", "other", "220421"),  # no rule: stays submitted
    ("help", "utilities", "220422"),  # → heat
]


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


# ---- the app, over HTTP ----------------------------------------------------------

class Bench:
    """The app inside moto, with the counter and staff tokens."""

    def __init__(self, http, counter: AwsCallCounter, issuer, media_bucket: str, s3):
        self.http = http
        self.counter = counter
        self.issuer = issuer
        self.bucket = media_bucket
        self.s3 = s3
        self._seq = 0
        self._phones = 0
        self.created = 0  # orders stored so far
        self.last_units: Counter = Counter()

    def staff(self, role: str, unit: str | None = None) -> dict[str, str]:
        token = self.issuer.mint(f"bench-{role}-{unit or 0}", role, unit, ttl_seconds=3600)
        return {"Authorization": f"Bearer {token}"}

    def request(self, method: str, path: str, body=None, headers=None, expect: int = 200):
        headers = dict(headers or {})
        raw = b""
        if body is not None:
            raw = json.dumps(body, ensure_ascii=False).encode()
            headers.setdefault("Content-Type", "application/json")
        response = self.http.request(method, path, headers=headers, body=raw)
        answer = json.loads(response.body) if response.body else None
        if response.status_code != expect:
            raise RuntimeError(f"{method} {path}: expected {expect}, got {response.status_code}: {answer}")
        if method == "POST" and path == "/api/v1/requests" and not headers.get("Idempotency-Key"):
            self.created += 1
        return answer

    def counted(self, method: str, path: str, body=None, headers=None, expect: int = 200):
        """The answer and the AWS calls it took; its DynamoDB units are kept in ``last_units``."""
        with CapacityMeter(self.counter) as units, self.counter.window() as calls:
            answer = self.request(method, path, body, headers, expect)
        self.last_units = Counter(units)
        return answer, Counter(calls)

    def next_phone(self) -> str:
        """A phone of its own for each verification: a phone gets one code a minute."""
        self._phones += 1
        return f"139{self._phones:08d}"

    def sent_code(self, phone: str) -> str:
        """The code in the latest SMS, which moto's SNS recorded, sent to ``phone``."""
        from moto.core import DEFAULT_ACCOUNT_ID
        from moto.sns import sns_backends

        messages = sns_backends[DEFAULT_ACCOUNT_ID][TEST_ENV["AWS_DEFAULT_REGION"]].sms_messages
        number, text = next(reversed(messages.values()))
        if number != "+86" + phone:
            raise RuntimeError(f"the latest SMS went to {number}, not {phone}")
        return re.search(r"(?<![0-9])[0-9]{6}(?![0-9])", text).group()

    def otp(self, phone: str) -> str:
        """What a resident does before a named submission: ask for a code, read it from the SMS."""
        self.request("POST", "/api/v1/otp", {"phone": phone})
        return self.sent_code(phone)

    def submission(self, media: list[str] | None = None, mix: int = 0) -> dict:
        """A named request with its phone's code (asked for now, outside any count or timing)."""
        self._seq += 1
        kind, category, area = _MIX[mix % len(_MIX)]
        phone = self.next_phone()
        body = {
            "type": kind,
            "category": category,
            "description": f"基准测试第 {self._seq} 号：小区门口垃圾桶满了没人清运",
            # Spread over 龙山区 (about 330 m apart): one place for all would be one hotspot of duplicates.
            "location": {
                "lat": 42.86 + (self._seq % 20) * 0.004,
                "lng": 125.145 + (self._seq // 20 % 12) * 0.004,
                "coord_system": "wgs84",
                "address": "龙山区向阳街道",
            },
            "media": media or [],
            "anonymous": False,
            "contact": {"name": "张三", "phone": phone, "otp": self.otp(phone)},
        }
        if area:
            body["area"] = area
        return body

    def uploaded_photo(self) -> str:
        """What the browser does before submitting: ask for an upload, then POST the file to S3."""
        upload = self.request(
            "POST", "/api/v1/uploads", {"filename": "photo.jpg", "content_type": "image/jpeg", "size": 2048}, expect=201
        )
        self.s3.put_object(
            Bucket=self.bucket, Key=upload["fields"]["key"], Body=b"\xff\xd8\xff" + b"x" * 2045, ContentType="image/jpeg"
        )
        return upload["upload_id"]


class Steps(dict):
    """Each operation's AWS calls; storing them also keeps the DynamoDB units its request used."""

    def __init__(self, bench: Bench):
        super().__init__()
        self.bench = bench
        self.units: dict[str, Counter] = {}

    def __setitem__(self, operation: str, calls: Counter) -> None:
        super().__setitem__(operation, calls)
        self.units[operation] = self.bench.last_units


def call_counts(b: Bench, label: str) -> Steps:
    """One of each operation; the AWS calls each made."""
    counts = Steps(b)
    _, counts["upload: presigned POST"] = b.counted(
        "POST", "/api/v1/uploads", {"filename": "photo.jpg", "content_type": "image/jpeg", "size": 2048}, expect=201
    )
    dispatcher, handler = b.staff("dispatcher"), b.staff("handler", "lsq-cg")

    _, counts["submit: no media, no key"] = b.counted(
        "POST", "/api/v1/requests", b.submission(), expect=201
    )

    photo = b.uploaded_photo()
    body = b.submission(media=[photo])
    key = {"Idempotency-Key": f"bench-{label}-{time.time_ns()}"}
    first, counts["submit: 1 photo + Idempotency-Key"] = b.counted(
        "POST", "/api/v1/requests", body, key, expect=201
    )
    b.created += 1
    again, counts["submit: replay (same key)"] = b.counted("POST", "/api/v1/requests", body, key, expect=201)
    if again["tracking_no"] != first["tracking_no"] or again["query_code"] != first["query_code"]:
        raise RuntimeError(f"the replay did not return the first answer: {first} vs {again}")
    no, code = first["tracking_no"], first["query_code"]
    if (first["unit"] or {}).get("code") != "lsq-cg":
        raise RuntimeError(f"expected the photo submission routed to lsq-cg: {first}")

    tracked, counts["track"] = b.counted("GET", f"/api/v1/requests/{no}?code={code}")
    if not tracked or tracked.get("tracking_no", no) != no:
        raise RuntimeError(f"track answered for another order: {tracked}")

    listed, counts["staff list: dispatcher, no filter"] = b.counted(
        "GET", "/api/v1/staff/requests", headers=dispatcher
    )
    mine, counts["staff list: handler lsq-cg"] = b.counted("GET", "/api/v1/staff/requests", headers=handler)
    _, counts["staff list: handler lsq (8-unit subtree)"] = b.counted(
        "GET", "/api/v1/staff/requests", headers=b.staff("handler", "lsq")
    )
    if not listed["items"] or not mine["items"]:
        raise RuntimeError("the staff lists came back empty")

    detail, counts["staff detail"] = b.counted("GET", f"/api/v1/staff/requests/{no}", headers=handler)
    _, counts["staff action: sign"] = b.counted(
        "POST",
        f"/api/v1/staff/requests/{no}/actions",
        {"action": "sign", "version": detail["version"]},
        handler,
    )

    version = b.request("GET", f"/api/v1/staff/requests/{no}", headers=handler)["version"]
    _, counts["staff action: resolve"] = b.counted(
        "POST",
        f"/api/v1/staff/requests/{no}/actions",
        {"action": "resolve", "version": version, "reply": "已安排环卫清运，现场已清理干净。"},
        handler,
    )
    rated, counts["rate"] = b.counted(
        "POST", f"/api/v1/requests/{no}/rating", {"code": code, "stars": 5, "comment": "处理及时"}
    )
    if rated["state"] != "closed":
        raise RuntimeError(f"a 5-star rating should close the order: {rated}")

    phone = b.next_phone()
    _, counts["otp: send a code"] = b.counted("POST", "/api/v1/otp", {"phone": phone})
    proof = {"phone": phone, "code": b.sent_code(phone)}
    verified, counts["otp: verify (→ resident token)"] = b.counted("POST", "/api/v1/otp/verify", proof)
    _, counts["resident: own requests"] = b.counted(
        "GET", "/api/v1/me/requests", headers={"Authorization": f"Bearer {verified['token']}"}
    )

    found = {op: scans(c) for op, c in counts.items() if scans(c)}
    if found:
        raise AssertionError(f"Scan in {found}: {dict(counts)}")
    return counts


# ---- latency ---------------------------------------------------------------------

def timed(request: Callable[[], float], runs: int = LATENCY_RUNS, warmup: int = LATENCY_WARMUP) -> dict:
    """Percentiles of ``request``, which sends one request and returns how long it took (s)."""
    for _ in range(warmup):
        request()
    return summary([request() * 1000 for _ in range(runs)])


def stopwatch(send: Callable[[], object]) -> Callable[[], float]:
    """``send`` timed whole."""

    def request() -> float:
        started = time.perf_counter()
        send()
        return time.perf_counter() - started

    return request


def summary(samples: list[float]) -> dict:
    cuts = statistics.quantiles(samples, n=20, method="inclusive")
    return {
        "n": len(samples),
        "p50_ms": cuts[9],
        "p95_ms": cuts[18],
        "mean_ms": statistics.fmean(samples),
        "max_ms": max(samples),
        "samples_ms": [round(x, 3) for x in samples],
    }


def expect_status(response, status: int):
    if response.status_code != status:
        raise RuntimeError(f"expected {status}, got {response.status_code}: {response.body[:300]!r}")
    return response


def latencies(b: Bench) -> dict[str, dict]:
    http = b.http
    mix = iter(range(10**9))

    def submit():
        body = json.dumps(b.submission(mix=next(mix)), ensure_ascii=False).encode()
        started = time.perf_counter()
        response = http.request("POST", "/api/v1/requests", headers={"Content-Type": "application/json"}, body=body)
        elapsed = time.perf_counter() - started
        expect_status(response, 201)
        b.created += 1
        return elapsed

    # Times only the request itself: the body's encoding stays out.
    results = {"submit (no media, no key)": timed(submit)}

    order = b.request("POST", "/api/v1/requests", b.submission(), expect=201)
    track_path = f"/api/v1/requests/{order['tracking_no']}?code={order['query_code']}"
    results["track"] = timed(stopwatch(lambda: expect_status(http.request("GET", track_path, headers={}, body=b""), 200)))

    dispatcher = b.staff("dispatcher")
    results["staff list (dispatcher, no filter)"] = timed(
        stopwatch(lambda: expect_status(http.request("GET", "/api/v1/staff/requests", headers=dispatcher, body=b""), 200))
    )
    detail_path = f"/api/v1/staff/requests/{order['tracking_no']}"
    results["staff detail"] = timed(
        stopwatch(lambda: expect_status(http.request("GET", detail_path, headers=dispatcher, body=b""), 200)), runs=50
    )
    grant = json.dumps({"filename": "a.jpg", "content_type": "image/jpeg", "size": 2048}).encode()
    json_headers = {"Content-Type": "application/json"}
    results["upload: presigned POST"] = timed(
        stopwatch(lambda: expect_status(http.request("POST", "/api/v1/uploads", headers=json_headers, body=grant), 201)),
        runs=50,
    )
    results["otp: send a code"] = timed(
        stopwatch(lambda: expect_status(http.request(
            "POST", "/api/v1/otp", headers=json_headers, body=json.dumps({"phone": b.next_phone()}).encode()
        ), 200)),
        runs=50,
    )
    return results


# ---- report ----------------------------------------------------------------------

def breakdown(calls: Counter) -> str:
    return ", ".join(f"{name} {n}" for name, n in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))) or "-"


def render(
    calls: dict[str, Counter], first: dict[str, Counter], stored: int, lat: dict, imp: dict, cold: dict, sweeps: dict,
    dup: dict,
) -> str:
    width = max(len(op) for op in [*calls, *lat]) + 2
    lines = [f"AWS calls per operation (botocore before-call events; {stored} orders stored)"]
    lines.append(f"{'operation':<{width}}{'calls':>5}  breakdown")
    lines.append(f"{'-' * (width - 2):<{width}}{'-----':>5}  {'-' * 60}")
    for op, counter in calls.items():
        extra = ""
        lookup = counter[LOOKUP] if op.startswith("submit") else 0
        if lookup:
            extra = f"   [{lookup} of them the duplicate lookup's]"
        if op in CALL_TARGETS:
            limit, rest = CALL_TARGETS[op], sum(counter.values()) - lookup
            extra += f"   [target <= {limit} besides the lookup: {rest}, {'met' if rest <= limit else 'NOT MET'}]"
        lines.append(f"{op:<{width}}{sum(counter.values()):>5}  {breakdown(counter)}{extra}")
    differing = [op for op in calls if first.get(op) != calls[op]]
    lines.append("Scan calls: 0 (checked)")
    if differing:
        lines.append("First use in the process differed for: " + "; ".join(
            f"{op}: {sum(first[op].values())} ({breakdown(first[op])})" for op in differing
        ))
    else:
        lines.append("First use in the process (empty tables): same counts.")

    lines += ["", f"In-process latency (chalice.test.Client + moto mock_aws, n={LATENCY_RUNS}, or 50 for the last three)"]
    lines.append(f"{'operation':<{width}}{'p50 ms':>8}{'p95 ms':>9}")
    lines.append(f"{'-' * (width - 2):<{width}}{'------':>8}{'------':>9}")
    for op, r in lat.items():
        lines.append(f"{op:<{width}}{r['p50_ms']:>8.2f}{r['p95_ms']:>9.2f}")
    lines.append("(moto-bound: its TransactWriteItems deep-copies each table it touches and its Query reads")
    lines.append(" the whole index, so submit and list slow down as orders accumulate; see samples_ms in the json)")

    lines += ["", f"Import time, fresh interpreter (median of {imp['runs']}, same interpreter, .pyc cached)"]
    lines.append(f"{'app.py (suqiu)':<{width}}{imp['app_median_s'] * 1000:>8.1f} ms")
    lines.append(f"{'bare Chalice app + boto3':<{width}}{imp['bare_median_s'] * 1000:>8.1f} ms")
    verdict = "met" if imp["ratio"] <= IMPORT_RATIO_TARGET else "NOT MET"
    lines.append(f"{'ratio app / bare':<{width}}{imp['ratio']:>8.2f}    [target <= {IMPORT_RATIO_TARGET}: {verdict}]")
    lines.append("(app.py loads its route handlers on first use, so part of its cost moves to the first request:")
    lines.append(" the cold start to the first answer below is the fair comparison)")

    lines += ["", f"Cold start to the first answer, fresh interpreter, AWS = moto server (median of {cold['runs']})"]
    lines.append(f"{'route':<{width}}{'import':>8}{'first req':>11}{'total ms':>10}{'vs bare':>9}")
    for name, r in cold["subjects"].items():
        lines.append(
            f"{name:<{width}}{r['import_ms']:>8.1f}{r['first_request_ms']:>11.1f}{r['total_ms']:>10.1f}"
            f"{r['total_vs_bare']:>9.2f}"
        )

    lines += ["", f"Escalation sweep, {sweep.DUE} orders due (every stored order is open and in the sweep's index)"]
    lines.append(f"{'stored orders':<{width}}{'requests':>9}{'reads':>7}{'items read':>12}{'wall s':>8}")
    for n, r in sweeps.items():
        lines.append(f"{n:<{width},}{r['requests']:>9}{r['read_requests']:>7}{r['items_read']:>12}{r['wall_s']:>8.2f}")
    lines.append("(requests: 1 Query of the due index range + per due order 1 GetItem and 1 TransactWriteItems;")
    lines.append(" wall time is moto's, which walks its whole table for a GSI query; its per-transaction table")
    lines.append(" snapshot is switched off for this part)")

    quality = dup["quality"]
    lines += ["", f"Duplicate detection (并单), {duplicates.PAIRS.name}, min_similarity {quality['min_similarity']}"]
    lines.append(f"{'pairs':<{width}}{'n':>5}{'precision':>11}{'recall':>8}{'tp':>5}{'fp':>5}{'fn':>5}")
    for half, label in (("test", "test half (odd lines: quote this)"), ("dev", "dev half (threshold chosen on it)")):
        r = quality[half]
        lines.append(
            f"{label:<{width}}{r['pairs']:>5}{r['precision']:>11.3f}{r['recall']:>8.3f}{r['tp']:>5}{r['fp']:>5}{r['fn']:>5}"
        )
    lines.append(f"Lookup for one new request ({duplicates.NEARBY} requests of its category nearby, the rest elsewhere)")
    lines.append(f"{'requests in the city':<{width}}{'kind':>16}{'requests':>9}{'items read':>12}")
    for stored, kinds in dup["cost"].items():
        for kind, r in kinds.items():
            lines.append(f"{stored:<{width},}{kind:>16}{r['requests']:>9}{r['items_read']:>12}")
    return "\n".join(lines)


def render_actions(calls: dict[str, Counter], lat: dict[str, dict]) -> str:
    width = max(len(a) for a in calls) + 4
    lines = [f"Every action (staff, and the resident's rating): AWS calls, and latency over {actions.ROUNDS} rounds"]
    lines.append(f"{'action':<{width}}{'calls':>5}{'p50 ms':>9}{'p95 ms':>9}  breakdown")
    for action, counter in calls.items():
        r = lat[action]
        lines.append(f"{action:<{width}}{sum(counter.values()):>5}{r['p50_ms']:>9.1f}{r['p95_ms']:>9.1f}  {breakdown(counter)}")
    lines.append("(merge writes two orders in one transaction; approve and send_back need a city that reviews replies)")
    return "\n".join(lines)


def render_bill(costs: dict) -> str:
    usage, usd = costs["usage"], costs["usd"]
    lines = [f"Estimated AWS bill per {costs['requests']:,} residents' requests (us-east-1 on-demand; see bench/bill.py)"]
    for service, amount in usd.items():
        lines.append(f"  {service:<14}${amount:>9.4f}")
    lines.append(f"  {'total':<14}${costs['usd_total']:>9.2f}")
    lines.append(
        f"  usage: {usage['api_requests']:,.0f} API requests, {usage['lambda_invocations']:,.0f} Lambda invocations "
        f"({usage['lambda_gb_seconds']:,.0f} GB-s), {usage['write_units']:,.0f} write and {usage['read_units']:,.0f} "
        f"read units, {usage['s3_put']:,.0f} S3 PUT/COPY, {usage['sqs_requests']:,.0f} SQS requests"
    )
    lines.append(f"  not priced: {costs['sms_not_priced']:,} SMS (the city's SMS provider bills them)")
    prices = ", ".join(f"{k} ${v}" for k, v in costs["prices_usd"].items())
    lines.append(f"  prices used: {prices}")
    return "\n".join(lines)


def render_summary(calls, imp, cold, sweeps, dup, classifier, package, costs) -> str:
    photo = calls["submit: 1 photo + Idempotency-Key"]
    lookup = photo[LOOKUP]
    rows = [
        ("submit (1 photo + key): AWS calls", f"{sum(photo.values())} ({lookup} lookup)", "<= 6 besides the lookup",
         sum(photo.values()) - lookup <= 6),
        ("Scan calls anywhere", "0", "0", True),
        ("import time vs bare Chalice app", f"{imp['ratio']:.2f}x", f"<= {IMPORT_RATIO_TARGET}x", imp["ratio"] <= IMPORT_RATIO_TARGET),
        ("cold start to first answer: POST /requests", f"{cold['subjects']['suqiu: POST /requests']['total_vs_bare']:.2f}x",
         "-", None),
        ("sweep requests at 100 / 10,000 / 100,000 stored",
         " / ".join(str(r["requests"]) for r in sweeps.values()), "flat",
         len({r["requests"] for r in sweeps.values()}) == 1),
        ("deployment package (zipped)", f"{package['mb']:.2f} MB", "< 10 MB", package["mb"] < 10),
        ("category suggestion, held-out top-1", f"{classifier['top1_accuracy']:.1%}", f">= {CLASSIFIER_TARGET:.0%}",
         classifier["top1_accuracy"] >= CLASSIFIER_TARGET),
        ("duplicates, test half: precision / recall",
         f"{dup['quality']['test']['precision']:.3f} / {dup['quality']['test']['recall']:.3f}", "-", None),
        ("duplicate lookup requests at 100 / 10,000 in the city",
         " / ".join(str(k["anonymous"]["requests"]) for k in dup["cost"].values()), "flat",
         len({k["anonymous"]["requests"] for k in dup["cost"].values()}) == 1),
        (f"AWS bill per {costs['requests']:,} requests (SMS not included)", f"${costs['usd_total']:.2f}", "-", None),
    ]
    width = max(len(r[0]) for r in rows) + 2
    lines = ["Summary"]
    lines.append(f"{'figure':<{width}}{'measured':>22}  {'target':<24}")
    for name, value, target, met in rows:
        verdict = "" if met is None else ("met" if met else "NOT MET")
        lines.append(f"{name:<{width}}{value:>22}  {target:<24}{verdict}")
    return "\n".join(lines)


def _git(*args: str) -> str:
    import subprocess

    return subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True).stdout.strip()


def package_size() -> dict:
    """The deployment zip as ``make package`` builds it, in a scratch folder."""
    import subprocess
    import tempfile

    with tempfile.TemporaryDirectory() as out:
        subprocess.run(
            [sys.executable, "-m", "infra.build", "--stage", "dev", "--out", out],
            cwd=PROJECT_DIR, check=True, capture_output=True,
        )
        size = (Path(out) / "deployment.zip").stat().st_size
    return {"bytes": size, "mb": round(size / 1e6, 2), "target_mb": 10}


def versions() -> dict[str, str]:
    found = {"python": platform.python_version()}
    for dist in ("boto3", "botocore", "chalice", "moto", "pynamodb", "aws-lambda-powertools", "pydantic"):
        try:
            found[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            found[dist] = "not installed"
    return found


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

    from infra.issuer import LocalIssuer

    issuer = LocalIssuer(audience=TEST_ENV["AUTH_AUDIENCE"]).start()
    os.environ["AUTH_ISSUER"] = issuer.issuer
    note(f"cold start to the first answer: {COLD_RUNS} fresh interpreters per route …")
    cold = coldstart.measure(
        PROJECT_DIR, TEST_ENV, issuer.mint("bench-dispatcher", "dispatcher"), COLD_RUNS
    )
    warnings.filterwarnings("ignore", message="No application metrics to publish")

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
        note("sweep cost: 100, 10,000 and 100,000 stored orders, 50 due (about 2 minutes) …")
        with stdout_to_devnull():
            sweeps = sweep.measure(counter)
        note("duplicate lookup: 100 and 10,000 requests in the city …")
        with stdout_to_devnull():
            dup = {"quality": duplicates.quality(), "cost": duplicates.lookup_cost(counter)}
    finally:
        issuer.stop()
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
