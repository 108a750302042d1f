"""Capped counts of uses (a phone's daily SMS) and a duty phone's digest windows, kept by TTL."""
from __future__ import annotations

import datetime as dt

from pynamodb.exceptions import UpdateError

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
