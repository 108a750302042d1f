"""The command centre's dashboard (一屏观全市): a period's figures, read from the counters.

The counters (domain/stats.py) are kept up to date by every change, in its own
transaction; a page view reads one Query per dimension over the period's days from
the ``stats`` table and never the orders. The period is a range of days of receipt,
both included, at most ``MAX_DAYS`` long; by default the last 30 days.

Areas are counted under the order's own area; a district's figures are the sum of its
own and those of every area below it, added up here from the city's area tree. Units
are counted under the unit that holds the order now, and ranked (红黑榜) by
``domain.stats.score``; a unit that only co-handles orders of the period is listed with them.
"""
from __future__ import annotations

import datetime as dt

from chalicelib import storage
from chalicelib.answers import (
    AreaStats,
    Counters,
    DailyCounters,
    HeatCell,
    HeatCells,
    Period,
    Rates,
    StateCount,
    Stats,
    StatsEntry,
    UnitStats,
)
from chalicelib.commands.queries import StatsQuery
from chalicelib.city import City
from chalicelib.domain import geocells, stats
from chalicelib.domain.duplicates import CELL_PRECISION
from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.domain.lifecycle import STATE_LABELS, Actor, Role, State
from chalicelib.services import runtime

MAX_DAYS = 366
DEFAULT_DAYS = 30
VIEWERS = frozenset({Role.DISPATCHER, Role.LEADER, Role.ADMIN})


def period(query: StatsQuery, today: dt.date) -> tuple[dt.date, dt.date]:
    last = query.created_to or today
    default_span = dt.timedelta(days=DEFAULT_DAYS - 1)
    # The calendar's first days have fewer before them than the default period (to=0001-01-01).
    first = query.created_from or (last - default_span if last - dt.date.min >= default_span else dt.date.min)
    if first > last:
        raise InvalidInput("开始日期晚于结束日期", {"from": "开始日期晚于结束日期"})
    if (last - first).days + 1 > MAX_DAYS:
        raise InvalidInput(f"统计周期最长{MAX_DAYS}天", {"from": f"统计周期最长{MAX_DAYS}天"})
    return first, last


def summary(actor: Actor, query: StatsQuery) -> Stats:
    if actor.role not in VIEWERS:
        raise Forbidden("统计数据仅向指挥中心、领导和管理员开放")
    city = runtime.city()
    first, last = period(query, runtime.now().astimezone(city.zone).date())
    rows = {dimension: list(storage.tallies(dimension, first, last)) for dimension in (*stats.DIMENSIONS, stats.CELL)}
    by = {dimension: _sum_by_value(found) for dimension, found in rows.items()}
    daily = {key.day: counters for key, counters in rows["all"]}
    totals = by["all"].get(stats.ALL, stats.empty())
    days = (last - first).days + 1
    return Stats(
        period=Period(from_=first, to=last, days=days),
        totals=Counters(**totals),
        rates=Rates(**stats.rates(totals)),
        daily=[_day(first + dt.timedelta(days=n), daily) for n in range(days)],
        by_state=[
            StateCount(code=state, name=STATE_LABELS[state], count=by["state"].get(state.value, {}).get("submitted", 0))
            for state in State
        ],
        by_type=_entries(by["type"], {t.code: t.name for t in city.types}),
        by_category=_entries(by["category"], {c.code: c.name for c in city.categories}),
        by_area=_areas(by["area"], city),
        by_unit=_ranking(by["unit"], city),
        # The hotspot alerts' cells (geohash, about 900 m × 610 m here), each at its centre.
        cells=HeatCells(
            precision=CELL_PRECISION,
            items=[
                HeatCell(cell=cell, lng=round(lng, 6), lat=round(lat, 6), count=counters["submitted"])
                for cell, counters in sorted(by[stats.CELL].items())
                for lng, lat in [geocells.centre(cell)]
            ],
        ),
    )


def _sum_by_value(rows) -> dict[str, dict[str, int]]:
    summed: dict[str, dict[str, int]] = {}
    for key, counters in rows:
        stats.add(summed.setdefault(key.value, stats.empty()), counters)
    return summed


def _day(day: dt.date, daily: dict[dt.date, dict[str, int]]) -> DailyCounters:
    return DailyCounters(day=day, **daily.get(day, stats.empty()))


def _entry(code: str, name: str, counters: dict[str, int]) -> dict:
    """The fields of a ``StatsEntry``: its code and name, its counts and its rates."""
    return {"code": code, "name": name, "counts": Counters(**counters), "rates": Rates(**stats.rates(counters))}


def _entries(summed: dict[str, dict[str, int]], names: dict[str, str]) -> list[StatsEntry]:
    """Every code the city has (zeros included), then any the city file no longer lists."""
    codes = [*names, *sorted(set(summed) - set(names))]
    return [StatsEntry(**_entry(code, names.get(code, code), summed.get(code, stats.empty()))) for code in codes]


def _areas(summed: dict[str, dict[str, int]], city: City) -> list[AreaStats]:
    """Every area of the city with its own orders and those of the areas below it."""
    rolled = {code: stats.empty() for code in city.area_parent}
    for code, counters in summed.items():
        if code in city.area_parent:
            for ancestor in city.area_path(code):
                stats.add(rolled[ancestor], counters)
    return [
        AreaStats(**_entry(code, city.area_name[code], rolled[code]), parent=parent, depth=len(city.area_path(code)))
        for code, parent in city.area_parent.items()
    ]


def _ranking(summed: dict[str, dict[str, int]], city: City) -> list[UnitStats]:
    """The units that hold orders of the period, best first: by score, then by how many they hold."""
    entries = []
    for code, counters in summed.items():
        if not counters["submitted"] and not counters["co_handled"]:  # a co-unit's own figures count too
            continue
        unit = city.unit_by_code.get(code)
        entry = _entry(code, unit.name if unit else code, counters)
        entries.append(UnitStats(**entry, score=stats.score(dict(entry["rates"]))))
    entries.sort(key=lambda e: (e.score is None, -(e.score or 0), -e.counts.submitted, e.code))
    return entries
