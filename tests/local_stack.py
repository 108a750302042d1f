"""A local stack (what `make run` starts) in a process of its own, for the tests that go over HTTP.

It runs on free ports with its own state directory, so it can run beside a developer's;
its console (SMS included: SMS_SENDER=console) goes to ``stack.log`` in that directory.
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
    origin: str  # http://127.0.0.1:<port>: the pages
    tokens: dict[str, str]  # the demo accounts' tokens
    log: Path

    @property
    def api(self) -> str:
        return f"{self.origin}/api/v1"

    def sms_codes(self, phone: str) -> list[str]:
        """The SMS codes sent to a mainland mobile so far, oldest first, as the stack printed them."""
        lines = [line for line in self.log.read_text().splitlines() if line.startswith(f"SMS +86{phone} ")]
        return [found.group(1) for line in lines if (found := otp_pattern().search(line))]

    def otp(self, phone: str) -> str:
        """Ask for a code and read it where the stack prints the SMS it sends."""
        seen = len(self.sms_codes(phone))
        answer = HTTP.post(f"{self.api}/otp", json={"phone": phone})
        assert answer.status_code == 200, answer.text
        [code] = self.sms_codes(phone)[seen:]  # printed, and flushed, before the answer was sent
        return code


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def local_stack(state: Path, **environment: str) -> Iterator[LocalStack]:
    """Start the stack, wait until it answers, stop it afterwards. ``environment``: extra settings."""
    ports = {"--port": _free_port(), "--aws-port": _free_port(), "--issuer-port": _free_port()}
    command = [sys.executable, "-m", "infra.local", "--state-dir", str(state)]
    for flag, port in ports.items():
        command += [flag, str(port)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AUTH_", "TABLE_", "MEDIA_", "MAP_"))}
    env.update(environment)
    log_path = state / "stack.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        origin = f"http://127.0.0.1:{ports['--port']}"
        deadline = time.monotonic() + 60
        while True:
            try:
                if requests.get(f"{origin}/api/v1/catalog", timeout=1).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the local stack did not start:\n" + log_path.read_text())
            time.sleep(0.2)
        try:
            yield LocalStack(origin, json.loads((state / "tokens.json").read_text()), log_path)
        finally:
            process.terminate()
            process.wait(timeout=10)
