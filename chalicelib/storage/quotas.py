"""Capped counts of uses (a phone's daily SMS), kept by TTL."""
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
