"""Retries of a transaction that DynamoDB cancelled for its timing alone (TransactionConflict).

Such a transaction met another one writing the same item (a day's counters, a rate limit's
window): nothing in it failed, so it is simply sent again, its conditions checked afresh. Each
pause is random between 0 and its bound ("full jitter"): writers that met once, paused alike,
would meet again in step.
"""
from __future__ import annotations

import random
import time
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")


class TimingConflict(Exception):
    """Nothing failed in the transaction but the timing (TransactionConflict only)."""


def retry_conflicts(attempt: Callable[[], T], bounds: Sequence[float]) -> T:
    """``attempt()``, tried again after a pause of at most each bound while it raises TimingConflict;
    the last try's TimingConflict is the caller's."""
    for bound in bounds:
        try:
            return attempt()
        except TimingConflict:
            time.sleep(random.uniform(0, bound))
    return attempt()
