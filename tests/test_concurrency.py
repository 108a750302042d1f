"""Races: requests, staff and sweeps arriving at the same moment, each decided exactly once.

In Lambda, concurrent requests run in separate containers that share nothing but AWS.
Here they are threads in one process against moto, so what a process shares is made
per thread or atomic first (the ``racing`` fixture), and nothing else:

- moto's backends are plain Python objects, not made for threads: each AWS request is
  processed under one lock, as DynamoDB processes each request atomically. The app's
  own code between its requests interleaves freely, and that is where races are.
- Chalice keeps the request it serves on the app object (``app.current_request``), one
  per container: here one per thread. Powertools' metric set is one per container
  too: adding to it and flushing it are made atomic.
- chalice.test's client swaps ``os.environ`` around each request, which threads would
  leave swapped: the config's variables are set once instead.

``race`` lines the racers up on a barrier, so they start together; where a test needs
the racers to have read before any writes, it holds them at a second barrier there.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext

import boto3
import botocore.client
import pytest
from chalice.app import Chalice
import chalice.test
from moto.core.botocore_stubber import BotocoreStubber

from app import app
from chalicelib import storage
from chalicelib.observability import metrics
from infra.drivers import ScheduleDriver
from tests.api.resident_helpers import (
    FRIDAY_DAY,
    OTP_TABLE,
    PHONE,
    REQUESTS,
    act,
    assert_error,
    body,
    counter,
    order_count,
    request_otp,
    verified,
)
from tests.sms_loop import Loop, outbox, sms

WAIT_SECONDS = 30  # a racer held longer than this is a hang: the barrier breaks and the test fails


def race(n: int, attempt: Callable[[int], object]) -> list:
    """``attempt(i)`` for i in 0..n-1, each in its own thread, all released at once; their results."""
    start = threading.Barrier(n, timeout=WAIT_SECONDS)

    def racer(i: int):
        start.wait()
        return attempt(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(racer, i) for i in range(n)]
        return [future.result(timeout=WAIT_SECONDS * 2) for future in futures]


class _PerThread(Chalice):
    """The app with its current request and Lambda context kept per thread (per container)."""

    _local = threading.local()

    current_request = property(
        lambda self: getattr(self._local, "request", None),
        lambda self, value: setattr(self._local, "request", value),
    )
    lambda_context = property(
        lambda self: getattr(self._local, "context", None),
        lambda self, value: setattr(self._local, "context", value),
    )


def _atomic(method, lock: threading.Lock):
    def locked(*args, **kwargs):
        with lock:
            return method(*args, **kwargs)

    return locked


@pytest.fixture
def racing(api, monkeypatch):
    """``api``, safe to call from several threads at once (see the module's docstring)."""
    moto_lock, metrics_lock = threading.Lock(), threading.RLock()
    monkeypatch.setattr(BotocoreStubber, "process_request", _atomic(BotocoreStubber.process_request, moto_lock))
    for name in ("add_metric", "flush_metrics"):
        monkeypatch.setattr(metrics.provider, name, _atomic(getattr(metrics.provider, name), metrics_lock))
    config = api.http._config
    for name, value in config.scope(config.chalice_stage, "api_handler").environment_variables.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setattr(chalice.test.TestHTTPClient, "_patched_env_vars", lambda self, variables: nullcontext())
    monkeypatch.setattr(app, "__class__", _PerThread)
    return api


# ---- submissions -----------------------------------------------------------------

def test_fifty_submissions_at_once_get_fifty_tracking_numbers(racing, clock):
    anonymous = body(anonymous=True, drop=("contact",))

    # From fifty addresses: one address gets ten a minute (tests/api/test_limits.py).
    answers = race(50, lambda i: racing.post(REQUESTS, anonymous, ip=f"10.0.{i}.1"))

    assert [a.status for a in answers] == [201] * 50, [a for a in answers if a.status != 201]
    numbers = sorted(a.json["tracking_no"] for a in answers)
    assert numbers == [f"LY{FRIDAY_DAY}{n:04d}" for n in range(1, 51)]
    assert order_count() == 50
    assert counter(FRIDAY_DAY) == 50


STAFF = "/api/v1/staff/requests"
KEY = {"Idempotency-Key": "5b0e8f7a-3c21-4d9e-a6b4-0f1e2d3c4b5a"}


def test_ten_submissions_with_one_key_make_one_request(racing, clock):
    named = verified(racing, body())  # one SMS code: only one order can use it

    answers = race(10, lambda i: racing.post(REQUESTS, named, KEY))

    made = [a for a in answers if a.status == 201]
    waiting = [a for a in answers if a.status != 201]
    assert made, answers
    assert all(a.json == made[0].json for a in made)  # a racer that came after the first finished: its answer
    for answer in waiting:  # one that came while it ran: told to retry shortly
        assert_error(answer, 409, "in_progress", "Idempotency-Key")
        assert answer.headers["Retry-After"] == "1"
    assert order_count() == 1
    assert counter(FRIDAY_DAY) == 1  # the others never took a number
    assert racing.post(REQUESTS, named, KEY).json == made[0].json  # and their retry gets the first answer


# ---- SMS codes guessed in parallel ------------------------------------------------------

OTP_VERIFY = "/api/v1/otp/verify"
WRONG_GUESSES = 11


def _wrong(code: str, n: int) -> str:
    return f"{(int(code) + 1 + n) % 10**6:06d}"


def _guesses_reach_dynamodb_first(monkeypatch) -> Callable[[Callable[[], object]], object]:
    """The wrong guesses' first write to the codes' table all happen before the right code's first.

    Each wrong guess, once its first such write is done, waits until the right one has been
    answered: so whatever a guess does after its first write (counting the try, say) comes too late
    for the right code, as when a burst of guesses is checked before any is counted.
    """
    passing = botocore.client.BaseClient._make_api_call
    first_writes_done = threading.Semaphore(0)
    right_answered = threading.Event()
    mine = threading.local()

    def on_codes_table(operation: str, params: dict) -> bool:
        if operation == "UpdateItem":
            return params["TableName"] == OTP_TABLE
        if operation == "TransactWriteItems":
            return any(next(iter(i.values()))["TableName"] == OTP_TABLE for i in params["TransactItems"])
        return False

    def watched(client, operation, params):
        if getattr(mine, "right", False) or getattr(mine, "written", False) or not on_codes_table(operation, params):
            return passing(client, operation, params)
        mine.written = True
        try:
            return passing(client, operation, params)
        finally:
            first_writes_done.release()
            assert right_answered.wait(WAIT_SECONDS)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", watched)

    def guess(i: int, wrong_attempt: Callable[[int], object], right_attempt: Callable[[], object]):
        if i < WRONG_GUESSES:
            return wrong_attempt(i)
        mine.right = True
        for _ in range(WRONG_GUESSES):
            assert first_writes_done.acquire(timeout=WAIT_SECONDS)
        try:
            return right_attempt()
        finally:
            right_answered.set()

    return guess


def test_a_burst_of_guesses_tries_a_code_at_most_five_times(racing, clock, monkeypatch):
    code = request_otp(racing)
    guess = _guesses_reach_dynamodb_first(monkeypatch)

    answers = race(
        WRONG_GUESSES + 1,
        lambda i: guess(
            i,
            lambda n: racing.post(OTP_VERIFY, {"phone": PHONE, "code": _wrong(code, n)}),
            lambda: racing.post(OTP_VERIFY, {"phone": PHONE, "code": code}),
        ),
    )

    assert [a.status for a in answers] == [422] * (WRONG_GUESSES + 1)  # five tries spent before the right one
    assert _otp_attempts() == 5


def test_a_burst_of_submissions_tries_a_code_at_most_five_times(racing, clock, monkeypatch):
    named = body()
    code = request_otp(racing)
    guess = _guesses_reach_dynamodb_first(monkeypatch)

    def submission(otp: str, n: int):  # each guess from an address of its own: the per-address cap is not what is tested
        return racing.post(REQUESTS, {**named, "contact": {**named["contact"], "otp": otp}}, ip=f"198.51.100.{n + 1}")

    answers = race(
        WRONG_GUESSES + 1,
        lambda i: guess(i, lambda n: submission(_wrong(code, n), n), lambda: submission(code, WRONG_GUESSES)),
    )

    for answer in answers:
        assert_error(answer, 422, "validation_failed", "contact.otp")
    assert order_count() == 0 and counter(FRIDAY_DAY) is None  # and no number was taken
    assert _otp_attempts() == 5


def _otp_attempts() -> int:
    from chalicelib.services import verification

    key = {"phone_hash": {"S": verification.phone_hash("+86" + PHONE)}}
    item = boto3.client("dynamodb").get_item(TableName=OTP_TABLE, Key=key, ConsistentRead=True)["Item"]
    return int(item["attempts"]["N"])
def test_a_burst_of_wrong_query_codes_gets_ten_compared(racing, clock, monkeypatch):
    from chalicelib.services import residents

    order = racing.post(REQUESTS, body(anonymous=True, drop=("contact",))).json
    compared = []
    code_hash = residents.query_code_hash
    monkeypatch.setattr(residents, "query_code_hash", lambda *args: compared.append(args) or code_hash(*args))
    track = f"{REQUESTS}/{order['tracking_no']}?code="

    # Forty guesses at once, each from an address of its own: only the number's count stops them.
    answers = race(40, lambda i: racing.get(f"{track}WRONG{i:03d}", ip=f"10.3.{i}.1"))

    assert sorted(a.status for a in answers) == [404] * 10 + [429] * 30
    assert len(compared) == 10  # counted before compared: the thirty refused were never tried
    assert all(a.headers["Retry-After"] == "3600" for a in answers if a.status == 429)


# ---- staff and the sweep -------------------------------------------------------------

def held_after_reading(monkeypatch, parties: int) -> None:
    """The first ``parties`` reads of an order wait for each other: every racer has read
    the same version before any of them writes, so the conditional write decides."""
    read = storage.get_order
    together = threading.Barrier(parties, timeout=WAIT_SECONDS)
    calls = iter(range(parties))

    def get_order(tracking_no):
        item = read(tracking_no)
        if next(calls, None) is not None:
            together.wait()
        return item

    monkeypatch.setattr(storage, "get_order", get_order)


def test_two_staff_acting_on_one_order_at_once_one_wins(racing, staff, clock, monkeypatch):
    no = racing.post(REQUESTS, body(anonymous=True, drop=("contact",))).json["tracking_no"]  # dispatched to lsq-cg
    version = racing.get(f"{STAFF}/{no}", staff("handler", "lsq-cg")).json["version"]
    attempts = [  # the unit signs for it while the command centre marks it 重点
        ({"action": "sign"}, staff("handler", "lsq-cg")),
        ({"action": "priority", "on": True}, staff("dispatcher")),
    ]
    held_after_reading(monkeypatch, 2)

    def attempt(i: int):
        action, headers = attempts[i]
        return racing.post(f"{STAFF}/{no}/actions", {**action, "version": version}, headers)

    answers = race(2, attempt)

    [won] = [n for n, a in enumerate(answers) if a.status == 200]
    lost = answers[1 - won]
    assert_error(lost, 409, "conflict", "version")
    trail = storage.trail(no)
    assert [e.action for e in trail] == ["submit", "auto_dispatch", attempts[won][0]["action"]]
    assert int(storage.get_order(no).version) == version + 1 == trail[-1].seq


def test_two_sweeps_at_once_escalate_once(racing, staff, clock, monkeypatch):
    no = racing.post(REQUESTS, body(anonymous=True, drop=("contact",))).json["tracking_no"]  # due 27 November
    act(racing, staff, no, "sign")
    Loop().run()
    clock.move_to("2026-11-26T12:00:00+08:00")  # a day before: the warning (临期) is due
    sweeps = [ScheduleDriver(app, "escalate") for _ in range(2)]
    held_after_reading(monkeypatch, 2)

    taken = race(2, lambda i: sweeps[i].poll())

    assert sorted(taken, key=len) == [{}, {"warn": 1}]
    assert [e.action for e in storage.trail(no)] == ["submit", "auto_dispatch", "sign", "warn"]
    assert [i["template"] for i in outbox()].count("staff_warning") == 1
    before = len(sms())
    Loop().run()
    [(phone, text)] = sms()[before:]
    assert phone == "+8613700000016" and "【临期】" in text  # lsq-cg's duty phone, once
