"""What the bench measures in-process: the AWS calls of one of each operation, and latencies;
and, outside the app, the deployment package's size and the versions measured with."""
from __future__ import annotations

import json
import platform
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from bench import PROJECT_DIR
from bench.awscalls import scans
from bench.harness import Bench

LATENCY_RUNS = 200
LATENCY_WARMUP = 10


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


# ---- outside the app ---------------------------------------------------------------

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
