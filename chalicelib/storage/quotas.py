"""Capped counts of uses, kept by TTL: a phone's daily SMS, the rate limits' windows, and a duty
phone's digest windows.

A rate limit's window is one counter item (``name`` holds the limit, its subject and the
window's start), added to with a conditional ADD below its cap and deleted by TTL once the
window is over. The windows of one request (each cap it is under: its address's minute,
hour and day, the city's…) are taken in one transaction: all of them or, when one is full,
none, so a refused request uses up nothing.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pynamodb.exceptions import TransactWriteError, UpdateError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import Unavailable
from chalicelib.storage.models import connection
from chalicelib.storage.retries import TimingConflict, retry_conflicts
from chalicelib.storage.tables import CounterModel


def take_quota(name: str, cap: int, expires_at: dt.datetime) -> bool:
    """Count one more use of ``name`` unless it has reached ``cap``; False when it has."""
    counter = CounterModel(name)
    try:
        counter.update(
            actions=[CounterModel.value.add(1), CounterModel.expires_at.set(expires_at)],
            condition=CounterModel.value.does_not_exist() | (CounterModel.value < cap),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def give_back_quota(name: str) -> None:
    """Undo one ``take_quota``: the use it counted did not happen."""
    CounterModel(name).update(actions=[CounterModel.value.add(-1)])


def count_in_window(name: str, expires_at: dt.datetime) -> tuple[int, list[str]]:
    """Count one more new order in the digest window ``name``: the count now, and its numbers held so far."""
    window = CounterModel(name)
    window.update(actions=[CounterModel.value.add(1), CounterModel.expires_at.set(expires_at)])
    return int(window.value), list(window.held or [])


def hold_in_window(name: str, tracking_no: str) -> list[str]:
    """Add ``tracking_no`` to the window's numbers held for its digest; the numbers now, first held first."""
    window = CounterModel(name)
    window.update(actions=[CounterModel.held.set((CounterModel.held | []).append([tracking_no]))])
    return list(window.held)


def read_window(name: str) -> tuple[int, list[str]]:
    """The window's count and held numbers, as last written (a strongly consistent read)."""
    window = CounterModel.get(name, consistent_read=True)
    return int(window.value), list(window.held or [])


@dataclass(frozen=True)
class Quota:
    """One window of one cap: its counter item, the cap, and when the window (and the item) ends."""

    name: str
    cap: int
    ends_at: dt.datetime


# A window's counter is shared by every request of the window (the city's above all): a
# transaction that met another one on it is cancelled whole and simply tried again.
_CONFLICT_PAUSES = (0.01, 0.03, 0.08)  # the bounds of the random pauses (storage/retries.py)


def take_quotas(quotas: Sequence[Quota]) -> list[Quota]:
    """Count one use in every window at once, unless one of them is full; the full ones ([]: counted)."""
    if len(quotas) == 1:  # no transaction needed, nor its conflicts
        return [] if take_quota(quotas[0].name, quotas[0].cap, quotas[0].ends_at) else list(quotas)
    try:
        return retry_conflicts(lambda: _take_all(quotas), _CONFLICT_PAUSES)
    except TimingConflict:
        raise Unavailable("服务繁忙，请稍后重试") from None


def _take_all(quotas: Sequence[Quota]) -> list[Quota]:
    """The full windows ([]: every one counted); TimingConflict when the transaction met another one."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            for quota in quotas:  # pynamodb sends the updates in this order: the reasons come in it
                transaction.update(
                    CounterModel(quota.name),
                    actions=[CounterModel.value.add(1), CounterModel.expires_at.set(quota.ends_at)],
                    condition=CounterModel.value.does_not_exist() | (CounterModel.value < quota.cap),
                )
    except TransactWriteError as exc:
        reasons = [r.code if r is not None else None for r in exc.cancellation_reasons or ()]
        full = [quota for quota, reason in zip(quotas, reasons) if reason == "ConditionalCheckFailed"]
        if full:
            return full
        if exc.cause_response_code == "TransactionCanceledException" and "TransactionConflict" in reasons:
            raise TimingConflict() from None
        raise
    return []


def give_back_quotas(quotas: Sequence[Quota]) -> None:
    """Undo one ``take_quotas``: what it counted did not happen (a right query code is no wrong try)."""
    for quota in quotas:
        # The expiry again: an item TTL deleted already must not come back without one.
        CounterModel(quota.name).update(
            actions=[CounterModel.value.add(-1), CounterModel.expires_at.set(quota.ends_at)]
        )
