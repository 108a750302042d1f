"""The co-units' queue items (storage/co_handling.py): put for the co-units added, deleted for those dropped."""
from __future__ import annotations

import dataclasses
import datetime as dt

from chalicelib.domain.orders import State, WorkOrder
from chalicelib.storage.co_handling import co_unit_writes

NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc)


def make_order(co_units: tuple[str, ...]) -> WorkOrder:
    return WorkOrder(
        "LY202611200001", "complaint", "sanitation", None, created_at=NOW, state=State.IN_PROGRESS, version=3,
        unit="lsq-cg", co_units=co_units,
    )


def test_the_queue_items_follow_the_co_units_added_and_dropped():
    before = make_order(("water", "xaq-cg"))
    after = dataclasses.replace(before, co_units=("xaq-cg", "heat"))
    puts, deletes = co_unit_writes(before, after)
    assert [(i.co_unit, i.tracking_no) for i in puts] == [("heat", before.tracking_no)]
    assert [i.co_unit for i in deletes] == ["water"]
    assert puts[0].created_key == deletes[0].created_key
    assert co_unit_writes(before, dataclasses.replace(before, level="red")) == ([], [])

