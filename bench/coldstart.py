"""Cold start to the first answer, in fresh interpreters.

Import time alone flatters an app that loads its route handlers on first use
(Suqiu's ``app.py`` does): what a caller waits for on a cold start is the import
plus the first request. Each sample here is a new process that imports an app
and answers one request through chalice.test's client. AWS is a moto server in
another process, so the measured process loads only what a Lambda would.

The bare Chalice app's one route makes one boto3 call (S3 ListBuckets); Suqiu's
routes make their real calls. The test client's own import and set-up are left
out of both figures.
"""
from __future__ import annotations

import json
import logging
import os
import socket
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.imports import BARE_APP

_PROBE = """
import json, sys, time
method, path, body, headers = json.loads(sys.argv[1])
t0 = time.perf_counter()
import app
t1 = time.perf_counter()
from chalice.test import Client
with Client(app.app) as client:
    t2 = time.perf_counter()
    answer = client.http.request(method, path, headers=headers, body=body.encode())
    t3 = time.perf_counter()
print(json.dumps({"import": t1 - t0, "first_request": t3 - t2, "status": answer.status_code}))
"""

_SETUP = "from infra.local import create_local_resources; create_local_resources()"

SUBMISSION = {
    "type": "complaint",
    "category": "sanitation",
    "description": "小区门口垃圾堆积三天没人清理",
    "location": {"lat": 42.9, "lng": 125.14},
    "area": "220402001001",
    "anonymous": True,
}


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(cwd: Path, env: dict, script: str, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", script, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"cold-start probe in {cwd} failed:\n{done.stderr[-3000:]}")
    return done.stdout


def measure(project_dir: Path, app_env: dict[str, str], dispatcher_token: str, runs: int = 7) -> dict:
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # the moto server's access log
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    env = {**os.environ, **app_env, "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}", "POWERTOOLS_METRICS_DISABLED": "true"}
    for name in ("PYTHONDONTWRITEBYTECODE", "PYTHONPATH"):
        env.pop(name, None)
    try:
        _run(project_dir, env, _SETUP)
        with tempfile.TemporaryDirectory(prefix="suqiu-bare-") as tmp:
            bare_dir = Path(tmp)
            (bare_dir / "app.py").write_text(BARE_APP)
            json_headers = {"Content-Type": "application/json"}
            subjects = {
                "bare app: GET / (S3 ListBuckets)": (bare_dir, ["GET", "/", "", {}]),
                "suqiu: GET /catalog": (project_dir, ["GET", "/api/v1/catalog", "", {}]),
                "suqiu: POST /requests": (project_dir, ["POST", "/api/v1/requests", json.dumps(SUBMISSION), json_headers]),
                "suqiu: GET /staff/requests": (
                    project_dir,
                    ["GET", "/api/v1/staff/requests", "", {"Authorization": f"Bearer {dispatcher_token}"}],
                ),
            }
            for cwd, request in subjects.values():  # warm-up: .pyc files
                _run(cwd, env, _PROBE, json.dumps(request))
            samples: dict[str, list[dict]] = {name: [] for name in subjects}
            for _ in range(runs):
                for name, (cwd, request) in subjects.items():
                    sample = json.loads(_run(cwd, env, _PROBE, json.dumps(request)).splitlines()[-1])
                    if sample["status"] >= 300:
                        raise RuntimeError(f"{name} answered {sample['status']}")
                    samples[name].append(sample)
    finally:
        server.stop()
    result = {}
    for name, values in samples.items():
        imported = statistics.median(v["import"] for v in values) * 1000
        first = statistics.median(v["first_request"] for v in values) * 1000
        total = statistics.median(v["import"] + v["first_request"] for v in values) * 1000
        result[name] = {"import_ms": imported, "first_request_ms": first, "total_ms": total}
    bare_total = result["bare app: GET / (S3 ListBuckets)"]["total_ms"]
    for values in result.values():
        values["total_vs_bare"] = values["total_ms"] / bare_total
    return {"runs": runs, "subjects": result}
