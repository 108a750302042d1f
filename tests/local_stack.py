"""The local stack that `make run` starts, run by a test over HTTP (tests/test_e2e.py, tests/test_fuzz.py).

The stack runs in its own process on free ports with its own state directory,
so it can run beside a developer's: the API, moto, the token issuer, the demo
staff tokens in ``tokens.json``, the SMS it sends printed to its log.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from tests.api.resident_helpers import otp_pattern

ROOT = Path(__file__).resolve().parent.parent


class Http(requests.Session):
    """Every call with a timeout: a hung stack must fail the test, not hang the suite."""

    def request(self, *args, **kwargs):
        kwargs.setdefault("timeout", 30)
        return super().request(*args, **kwargs)


HTTP = Http()


@dataclass(frozen=True)
class LocalStack:
    root: str  # http://127.0.0.1:<port>
    tokens: dict[str, str]  # the demo staff tokens and the hotline's API key, by name
    log: Path  # what the stack printed, the SMS it sent among it

    @property
    def api(self) -> str:
        return f"{self.root}/api/v1"

    def otp(self, phone: str) -> str:
        """Ask for a code and read it where the stack prints the SMS it sends (SMS_SENDER=console)."""

        def codes() -> list[str]:
            lines = [line for line in self.log.read_text().splitlines() if line.startswith(f"SMS +86{phone} ")]
            return [found.group(1) for line in lines if (found := otp_pattern().search(line))]

        seen = len(codes())
        answer = HTTP.post(f"{self.api}/otp", json={"phone": phone})
        assert answer.status_code == 200, answer.text
        [code] = codes()[seen:]  # printed, and flushed, before the answer was sent
        return code


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def local_stack(state: Path) -> Iterator[LocalStack]:
    ports = {"--port": _free_port(), "--aws-port": _free_port(), "--issuer-port": _free_port()}
    command = [sys.executable, "-m", "infra.local", "--state-dir", str(state)]
    for flag, port in ports.items():
        command += [flag, str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AUTH_", "TABLE_", "MEDIA_"))}
    log = (state / "stack.log").open("w")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    root = f"http://127.0.0.1:{ports['--port']}"
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(f"{root}/api/v1/catalog", timeout=1).status_code == 200:
                break
        except requests.ConnectionError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail("the local stack did not start:\n" + (state / "stack.log").read_text())
        time.sleep(0.2)
    try:
        yield LocalStack(root, json.loads((state / "tokens.json").read_text()), state / "stack.log")
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
