"""The command centre's figures, kept as counters that every change brings up to date.

Every order adds to counters keyed by (day, dimension, value):

- day: the day the order was received, in the city's time. The figures of a period are
  those of the orders received in it, as they stand now (a cohort): "of the requests
  received in March, 92% are resolved, 88% of those on time";
- dimension and value: ``all`` (value ``-``), ``state``, ``type``, ``category``, ``area``
  (the order's own area; the pages sum a district's streets and communities),
  ``unit`` (the unit that holds it now), and ``cell`` (where it was reported: the geohash
  cell of its WGS-84 point, as the hotspot alerts count; the dashboard's heat map);
- counters (``COUNTERS``): how many were received, reached a unit, were signed for,
  resolved, resolved by their due time, replied to at least once, reopened by a bad
  rating (重办), rated, with how many stars, rated 3 to 5 (满意), the seconds from
  receipt to resolution, made 重点办 (priority), put on the red list (督办: long overdue, or
  rated 1–2 stars), rated by a callback (回访), and praise (表扬, under the praised unit);
  and, on the ``unit`` rows of its co-units alone, that it is co-handled there
  (``co_handled``, 协办): a co-unit's own figure, not the handling's.

What an order adds is a function of the order as it stands (``contributions``), so a
change adds the difference between the order after it and before it (``deltas``). The
counters therefore always equal a recount of the stored orders, whatever the action —
there is no bookkeeping per action to get wrong, and an action that changes nothing
counted (a progress note) writes no counter. Storage writes the deltas in the change's
own transaction, so a change is counted exactly when it is stored.

The location never changes, so the ``cell`` dimension is counted at submission only
(``submission``), and counts received requests.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from chalicelib.domain import geocells
from chalicelib.domain.bounds import SATISFIED_FROM
from chalicelib.domain.duplicates import CELL_PRECISION
from chalicelib.domain.orders import RATED_BY_CALLBACK, WorkOrder

PRAISE = "praise"  # the request type of 表扬 (city.REQUIRED_TYPE_CODES): counted per unit as praise

COUNTERS = (
    "submitted",
    "assigned",
    "signed",
    "resolved",
    "on_time",
    "replied",
    "redo",
    "rated",
    "stars",
    "satisfied",
    "handling_seconds",
    "priority",
    "supervised",
    "rated_by_callback",
    "praise",
    "co_handled",
)
DIMENSIONS = ("all", "state", "type", "category", "area", "unit")
CELL = "cell"
ALL = "-"


@dataclass(frozen=True, order=True)
class TallyKey:
    day: dt.date
    dimension: str
    value: str


Tallies = dict[TallyKey, dict[str, int]]


def counts(order: WorkOrder) -> dict[str, int]:
    """What one order adds to each counter of every key it falls under."""
    resolved = order.resolved_at is not None
    on_time = resolved and order.due_at is not None and order.resolved_at <= order.due_at
    rated = order.rating is not None
    return {
        "submitted": 1,
        "assigned": int(order.unit is not None),
        "signed": int(order.unit is not None and order.signed_at is not None),
        "resolved": int(resolved),
        "on_time": int(on_time),
        "replied": int(resolved or order.round > 1),
        "redo": int(order.round > 1),
        "rated": int(rated),
        "stars": order.rating if rated else 0,
        "satisfied": int(rated and order.rating >= SATISFIED_FROM),
        "handling_seconds": int((order.resolved_at - order.created_at).total_seconds()) if resolved else 0,
        "priority": int(order.priority),
        "supervised": int(order.supervised_at is not None),
        "rated_by_callback": int(rated and order.rating_source == RATED_BY_CALLBACK),
        "praise": int(order.type == PRAISE),
    }


def day_of(order: WorkOrder, zone: dt.tzinfo) -> dt.date:
    return order.created_at.astimezone(zone).date()


def keys(order: WorkOrder, zone: dt.tzinfo) -> list[TallyKey]:
    day = day_of(order, zone)
    values = [
        ("all", ALL),
        ("state", order.state.value),
        ("type", order.type),
        ("category", order.category),
        ("area", order.area),
        ("unit", order.unit),
    ]
    return [TallyKey(day, dimension, value) for dimension, value in values if value is not None]


def contributions(order: WorkOrder, zone: dt.tzinfo) -> Tallies:
    added = {name: n for name, n in counts(order).items() if n}
    result = {key: dict(added) for key in keys(order, zone)}
    day = day_of(order, zone)
    for unit in order.co_units:  # never the order's own unit (lifecycle's co_handle)
        result.setdefault(TallyKey(day, "unit", unit), {})["co_handled"] = 1
    return result


def deltas(before: WorkOrder | None, after: WorkOrder, zone: dt.tzinfo) -> Tallies:
    """What the counters must add for ``before`` to become ``after``: only the non-zero."""
    result: Tallies = {}
    for key, added in contributions(after, zone).items():
        result[key] = dict(added)
    if before is not None:
        for key, taken in contributions(before, zone).items():
            row = result.setdefault(key, {})
            for name, n in taken.items():
                row[name] = row.get(name, 0) - n
    return {key: kept for key, row in sorted(result.items()) if (kept := {k: n for k, n in row.items() if n})}


def combined(parts: Iterable[Tallies]) -> Tallies:
    """Several changes' deltas as one (a transaction may update each counter item only once)."""
    result: Tallies = {}
    for part in parts:
        for key, added in part.items():
            add(result.setdefault(key, {}), added)
    return {key: kept for key, row in sorted(result.items()) if (kept := {k: n for k, n in row.items() if n})}


def submission(order: WorkOrder, zone: dt.tzinfo, lng: float, lat: float) -> Tallies:
    """A new order's counters, and its grid cell at (lng, lat), WGS-84."""
    tallies = deltas(None, order, zone)
    tallies[TallyKey(day_of(order, zone), CELL, cell_of(lng, lat))] = {"submitted": 1}
    return tallies


def cell_of(lng: float, lat: float) -> str:
    """The geohash cell holding the point: the grid the hotspot alerts count in, so the map's
    cells are the alerts' cells."""
    return geocells.encode(lng, lat, CELL_PRECISION)


# ---- reading the counters ---------------------------------------------------------

def add(total: dict[str, int], more: Mapping[str, int]) -> dict[str, int]:
    for name, n in more.items():
        total[name] = total.get(name, 0) + n
    return total


def empty() -> dict[str, int]:
    return dict.fromkeys(COUNTERS, 0)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def rates(c: Mapping[str, int]) -> dict[str, float | None]:
    """The rates the dashboard shows; None where there is nothing to divide by.

    签收率 signed / reached a unit; 按时办结率 resolved by the due time / resolved;
    满意率 rated 3–5 / rated; 重办率 reopened by a bad rating / replied at least once;
    average stars; average hours from receipt to resolution.
    """
    return {
        "signing": _share(c["signed"], c["assigned"]),
        "on_time": _share(c["on_time"], c["resolved"]),
        "satisfaction": _share(c["satisfied"], c["rated"]),
        "redo": _share(c["redo"], c["replied"]),
        "average_stars": round(c["stars"] / c["rated"], 2) if c["rated"] else None,
        "average_handling_hours": round(c["handling_seconds"] / c["resolved"] / 3600, 1) if c["resolved"] else None,
    }


RANKED_RATES = ("signing", "on_time", "satisfaction")


def score(unit_rates: Mapping[str, float | None]) -> float | None:
    """A unit's place in the ranking (红黑榜): the mean of its signing, on-time and satisfaction
    rates, out of 100, over those it has; None with none of them."""
    known = [unit_rates[name] for name in RANKED_RATES if unit_rates[name] is not None]
    return round(100 * sum(known) / len(known), 1) if known else None
