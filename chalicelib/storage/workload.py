"""The open orders of units, for the workload per person (承办人): one Query per unit on ``by-unit``.

The index projects the assignee and the level (LIST_FIELDS), so nothing is read from the table
itself, and the state is a filter on the unit's partition: never a Scan.
"""
from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from chalicelib.storage.models import OrderModel

_READ = ["assignee_id", "assignee_name", "level"]


@dataclass(frozen=True)
class OpenOrder:
    assignee_id: str | None
    assignee_name: str | None
    level: str


def open_orders_of_units(units: Iterable[str], open_states: Iterable[str]) -> Iterator[OpenOrder]:
    states = sorted(open_states)
    for unit in sorted(units):
        for item in OrderModel.by_unit.query(
            unit, filter_condition=OrderModel.state.is_in(*states), attributes_to_get=_READ
        ):
            yield OpenOrder(item.assignee_id, item.assignee_name, item.level or "normal")
