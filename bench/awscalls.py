"""Counting AWS API calls with botocore's own event hooks.

botocore emits ``before-call.<service>.<Operation>`` on a client's event
emitter just before it sends each API request (after parameter validation,
before retries), and not for presigned URLs or POSTs, which are signed
locally. Every client in the process (pynamodb's, the ones boto3's default
session makes, Powertools' own) is made by ``botocore.session.Session
.create_client``, so wrapping that one method to register a handler on each new
client's ``meta.events`` sees every call without touching any client method.
"""
from __future__ import annotations

import contextlib
import functools
from collections import Counter
from collections.abc import Iterator

import botocore.session


class AwsCallCounter:
    def __init__(self) -> None:
        self.clients = 0
        self.total: Counter[str] = Counter()  # everything since install(), set-up included
        self._window: Counter[str] | None = None
        # Called with (operation, parsed response) after each call, when set.
        self.on_response = None
        # Called with (operation, API parameters) before each call, when set.
        self.on_params = None

    def install(self) -> None:
        """Hook every botocore client created from now on. Call before importing the app."""
        session_class = botocore.session.Session
        if getattr(session_class.create_client, "_suqiu_bench_hook", False):
            return
        original = session_class.create_client
        counter = self

        @functools.wraps(original)
        def create_client(session, *args, **kwargs):
            client = original(session, *args, **kwargs)
            client.meta.events.register("before-parameter-build", counter._before_parameter_build)
            client.meta.events.register("before-call", counter._before_call)
            client.meta.events.register("after-call", counter._after_call)
            counter.clients += 1
            return client

        create_client._suqiu_bench_hook = True
        session_class.create_client = create_client

    def _before_call(self, event_name: str, **_kwargs) -> None:
        _, service, operation = event_name.split(".", 2)
        name = f"{service}.{operation}"
        self.total[name] += 1
        if self._window is not None:
            self._window[name] += 1
        # Returning None lets the call proceed (emit_until_response wants no answer).

    def _before_parameter_build(self, event_name: str, params=None, **_kwargs) -> None:
        if self.on_params is not None and isinstance(params, dict):
            self.on_params(event_name.split(".", 2)[2], params)

    def _after_call(self, event_name: str, parsed=None, **_kwargs) -> None:
        if self.on_response is not None and isinstance(parsed, dict):
            self.on_response(event_name.split(".", 2)[2], parsed)

    @contextlib.contextmanager
    def window(self) -> Iterator[Counter[str]]:
        """The calls made inside the ``with`` block."""
        if self._window is not None:
            raise RuntimeError("call-count windows do not nest")
        self._window = calls = Counter()
        try:
            yield calls
        finally:
            self._window = None


def scans(calls: Counter[str]) -> int:
    return sum(n for name, n in calls.items() if name.split(".", 1)[1] == "Scan")  # a parallel scan is a Scan too
