"""The staff desk and orders in a known state (START: Monday 10:00, tests/api/staff_helpers.py)."""
from __future__ import annotations

import pytest

from tests.api.queue_cases import QUEUE
from tests.api.staff_helpers import DISPATCHER, HANDLER_CG, Desk


@pytest.fixture
def desk(api, staff) -> Desk:
    return Desk(api, staff)


@pytest.fixture
def dispatched(desk) -> str:
    """A sanitation complaint in 龙山区, auto-dispatched to lsq-cg (version 2)."""
    return desk.submit("sanitation", "220402")["tracking_no"]


@pytest.fixture
def in_progress(desk, dispatched) -> str:
    desk.done(dispatched, HANDLER_CG, "sign")
    return dispatched


@pytest.fixture
def waiting(desk) -> str:
    """An order no rule routes: it waits in the dispatcher's queue (version 1)."""
    return desk.submit()["tracking_no"]


@pytest.fixture
def queue(desk, clock) -> dict[str, str]:
    """The orders of queue_cases.QUEUE, a minute apart, oldest first: label → tracking number."""
    numbers = {}
    for label, (category, area, type_, unit) in QUEUE.items():
        clock.tick(60)
        submitted = desk.submit(category, area, type_)
        if label == "community":
            submitted = desk.done(submitted["tracking_no"], DISPATCHER, "dispatch", unit=unit)
        assert (submitted["unit"] or {}).get("code") == unit, label
        numbers[label] = submitted["tracking_no"]
    return numbers
