"""Import time of a Chalice app, in fresh interpreters.

Each sample is one new process running ``import app`` with the app's directory
as its working directory (so ``app`` is that directory's app.py), timed inside
the process with time.perf_counter: interpreter start-up is left out. Suqiu's
app and a bare Chalice app that imports boto3 are timed alternately, after one
unmeasured run of each so both have their .pyc files.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

_PROBE = "import time; t = time.perf_counter(); import app; print(time.perf_counter() - t)"

BARE_APP = textwrap.dedent(
    """\
    from chalice import Chalice
    import boto3

    app = Chalice(app_name="bare")


    @app.route("/")
    def index():
        return {"buckets": [b["Name"] for b in boto3.client("s3").list_buckets()["Buckets"]]}
    """
)


def _import_seconds(cwd: Path, env: dict[str, str]) -> float:
    done = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=cwd, env=env, capture_output=True, text=True, timeout=120
    )
    if done.returncode != 0:
        raise RuntimeError(f"importing app in {cwd} failed:\n{done.stderr}")
    return float(done.stdout.strip().splitlines()[-1])


def measure(project_dir: Path, app_env: dict[str, str], runs: int = 15) -> dict:
    env = {**os.environ, **app_env}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env.pop("PYTHONPATH", None)
    env.pop("AWS_ENDPOINT_URL", None)
    with tempfile.TemporaryDirectory(prefix="suqiu-bare-") as tmp:
        bare_dir = Path(tmp)
        (bare_dir / "app.py").write_text(BARE_APP)
        subjects = {"app": project_dir, "bare": bare_dir}
        for cwd in subjects.values():  # warm-up: writes the .pyc files
            _import_seconds(cwd, env)
        samples: dict[str, list[float]] = {name: [] for name in subjects}
        for _ in range(runs):
            for name, cwd in subjects.items():
                samples[name].append(_import_seconds(cwd, env))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "runs": runs,
        "interpreter": sys.executable,
        "app_median_s": medians["app"],
        "bare_median_s": medians["bare"],
        "ratio": medians["app"] / medians["bare"],
        "app_samples_s": samples["app"],
        "bare_samples_s": samples["bare"],
    }
