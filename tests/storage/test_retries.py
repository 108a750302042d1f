"""The retries of a transaction cancelled by timing alone (TransactionConflict): few, and each
after a random pause ("full jitter"), so two writers that met once do not meet again in step."""
from __future__ import annotations

import datetime as dt
import time

import pytest

from chalicelib.domain.errors import StaleWrite, Unavailable
from chalicelib.storage import orders, quotas
from chalicelib.storage.quotas import Quota, take_quotas
from chalicelib.storage.retries import TimingConflict, retry_conflicts
from tests.aws_faults import refuse

BOUNDS = (0.02, 0.05, 0.1)


@pytest.fixture
def pauses(monkeypatch) -> list[float]:
    """Every pause asked for, none of them slept (the test needs no time to pass)."""
    asked: list[float] = []
    monkeypatch.setattr(time, "sleep", asked.append)
    return asked


def always_meeting(tries: list[int]):
    def attempt():
        tries.append(1)
        raise TimingConflict()
    return attempt


def test_a_transaction_that_keeps_meeting_others_is_tried_once_per_bound_plus_one(pauses):
    tries: list[int] = []

    with pytest.raises(TimingConflict):
        retry_conflicts(always_meeting(tries), BOUNDS)

    assert len(tries) == len(BOUNDS) + 1
    assert len(pauses) == len(BOUNDS)  # no pause after the last try


def test_a_transaction_that_gets_through_is_not_tried_again(pauses):
    tries: list[int] = []

    def attempt():
        tries.append(1)
        if len(tries) < 2:
            raise TimingConflict()
        return "written"

    assert retry_conflicts(attempt, BOUNDS) == "written"
    assert len(tries) == 2 and len(pauses) == 1


def test_each_pause_is_random_between_zero_and_its_bound(pauses):
    runs = 200
    for _ in range(runs):
        with pytest.raises(TimingConflict):
            retry_conflicts(always_meeting([]), BOUNDS)

    by_retry = [pauses[i :: len(BOUNDS)] for i in range(len(BOUNDS))]
    for bound, asked in zip(BOUNDS, by_retry):
        assert len(asked) == runs
        assert all(0 <= p <= bound for p in asked)
        # Spread over the whole range, not the bound itself: (1/2)^200 that this fails by chance.
        assert min(asked) < bound / 2 < max(asked)


def test_an_order_change_meeting_others_is_tried_four_times_each_after_a_random_pause(monkeypatch, pauses):
    tries: list[int] = []
    monkeypatch.setattr(orders, "_transact", lambda *args: always_meeting(tries)())
    runs = 20

    for _ in range(runs):
        with pytest.raises(StaleWrite):
            orders._write([])

    assert len(tries) == runs * (len(orders._CONFLICT_PAUSES) + 1)
    bounds = orders._CONFLICT_PAUSES * runs
    assert len(pauses) == len(bounds)
    assert all(0 <= p <= b for p, b in zip(pauses, bounds))
    assert pauses != list(bounds)


def test_windows_that_keep_meeting_others_are_tried_four_times_each_after_a_random_pause(aws, monkeypatch, pauses):
    ends = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    windows = [Quota("test#a", 5, ends), Quota("test#b", 5, ends)]
    runs = 20
    refusal = refuse(monkeypatch, "TransactWriteItems", "TransactionCanceledException",
                     reasons=("TransactionConflict", "None"), times=None)

    for _ in range(runs):
        with pytest.raises(Unavailable):
            take_quotas(windows)

    assert refusal.refused == runs * (len(quotas._CONFLICT_PAUSES) + 1)
    assert len(pauses) == runs * len(quotas._CONFLICT_PAUSES)
    bounds = quotas._CONFLICT_PAUSES * runs
    assert all(0 <= p <= b for p, b in zip(pauses, bounds))
    assert pauses != list(bounds)  # the fixed pauses were the same for every writer
