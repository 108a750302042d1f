"""The dashboard's counters: what a change adds to them (in its transaction) and a period's read."""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

from chalicelib.domain.stats import COUNTERS, TallyKey
from chalicelib.storage.tables import StatsModel


def tally_item(key: TallyKey) -> StatsModel:
    return StatsModel(key.dimension, f"{key.day.isoformat()}#{key.value}")


def tally_actions(added: dict[str, int]) -> list:
    # ADD, not SET: concurrent changes of one day each add their own part.
    return [getattr(StatsModel, name).add(n) for name, n in sorted(added.items())]


def tallies(dimension: str, first: dt.date, last: dt.date) -> Iterator[tuple[TallyKey, dict[str, int]]]:
    """Every counter item of ``dimension`` for the days ``first`` to ``last``: one Query."""
    # "$" sorts right after "#": the upper bound holds every value of the last day.
    days = StatsModel.day_value.between(f"{first.isoformat()}#", f"{last.isoformat()}$")
    for item in StatsModel.query(dimension, range_key_condition=days):
        day, _, value = item.day_value.partition("#")
        counters = {name: int(getattr(item, name) or 0) for name in COUNTERS}
        yield TallyKey(dt.date.fromisoformat(day), dimension, value), counters
