"""The dashboard's counters: what an order adds, what a change adds, the rates and the ranking."""
from __future__ import annotations

import dataclasses
import datetime as dt

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.domain import stats
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput
from chalicelib.domain.lifecycle import Context, Role, allowed_actions, apply, open_order
from chalicelib.domain.stats import TallyKey
from tests.domain.lifecycle_cases import (
    ACTIONS,
    CITY,
    CLOCK_STEPS,
    CTX,
    KINDS,
    NOW,
    STEP_ACTORS,
    STEP_PARAMS,
    actor,
)

ZONE = CITY.zone
DAY = dt.date(2026, 11, 20)  # NOW is Friday 2026-11-20 10:00 in Liaoyuan


RESIDENT, SYSTEM, DISPATCHER = actor(Role.RESIDENT), actor(Role.SYSTEM), actor(Role.DISPATCHER)
HANDLER = actor(Role.HANDLER, "lsq-cg")


def opened():
    order, _ = open_order("LY202611200001", "complaint", "sanitation", "220402001001", RESIDENT, NOW)
    return order


def step(order, action: str, who, after: dt.timedelta = dt.timedelta(), **params):
    ctx = Context(CITY, CTX.calendar, NOW + after)
    return apply(order, action, who, params, ctx)[0]


def test_a_new_order_counts_once_under_each_of_its_dimensions():
    tallies = stats.deltas(None, opened(), ZONE)
    assert tallies == {
        TallyKey(DAY, "all", "-"): {"submitted": 1},
        TallyKey(DAY, "state", "submitted"): {"submitted": 1},
        TallyKey(DAY, "type", "complaint"): {"submitted": 1},
        TallyKey(DAY, "category", "sanitation"): {"submitted": 1},
        TallyKey(DAY, "area", "220402001001"): {"submitted": 1},
    }


def test_the_day_is_the_day_of_receipt_in_the_city():
    # 23:30 UTC on the 19th is 07:30 on the 20th in Liaoyuan.
    order = dataclasses.replace(opened(), created_at=dt.datetime(2026, 11, 19, 23, 30, tzinfo=dt.timezone.utc))
    assert {key.day for key in stats.deltas(None, order, ZONE)} == {DAY}


def test_a_submission_also_counts_its_grid_cell():
    tallies = stats.submission(opened(), ZONE, 125.1456, 42.9051)
    assert tallies[TallyKey(DAY, "cell", "wz8upf")] == {"submitted": 1}  # the hotspot alerts' cell there


def test_signing_moves_the_order_between_states_and_counts_it_signed():
    dispatched = step(opened(), "auto_dispatch", SYSTEM, unit="lsq-cg")
    signed = step(dispatched, "sign", HANDLER)
    tallies = stats.deltas(dispatched, signed, ZONE)
    assert tallies[TallyKey(DAY, "state", "dispatched")] == {"submitted": -1, "assigned": -1}
    assert tallies[TallyKey(DAY, "state", "in_progress")] == {"submitted": 1, "assigned": 1, "signed": 1}
    for dimension, value in (("all", "-"), ("unit", "lsq-cg"), ("type", "complaint"), ("area", "220402001001")):
        assert tallies[TallyKey(DAY, dimension, value)] == {"signed": 1}


def test_a_note_changes_no_counter():
    dispatched = step(opened(), "auto_dispatch", SYSTEM, unit="lsq-cg")
    signed = step(dispatched, "sign", HANDLER)
    noted = step(signed, "progress", HANDLER, note="已到现场")
    assert stats.deltas(signed, noted, ZONE) == {}


def test_resolution_on_time_then_a_bad_rating_then_a_good_one():
    order = step(opened(), "auto_dispatch", SYSTEM, unit="lsq-cg")
    order = step(order, "sign", HANDLER)
    order = step(order, "resolve", HANDLER, dt.timedelta(hours=2), reply="已清运")
    c = stats.counts(order)
    assert (c["resolved"], c["on_time"], c["replied"], c["handling_seconds"]) == (1, 1, 1, 7200)
    reopened = step(order, "rate", RESIDENT, dt.timedelta(hours=3), stars=1)
    c = stats.counts(reopened)
    assert (c["resolved"], c["redo"], c["rated"], c["stars"], c["satisfied"], c["replied"]) == (0, 1, 1, 1, 0, 1)
    order = step(reopened, "resolve", HANDLER, dt.timedelta(hours=4), reply="已彻底清理")
    closed = step(order, "rate", RESIDENT, dt.timedelta(hours=5), stars=4)
    c = stats.counts(closed)
    assert (c["resolved"], c["redo"], c["rated"], c["stars"], c["satisfied"]) == (1, 1, 1, 4, 1)


def test_a_late_resolution_is_not_on_time():
    order = step(opened(), "auto_dispatch", SYSTEM, unit="lsq-cg")
    order = step(order, "sign", HANDLER)
    late = step(order, "resolve", HANDLER, dt.timedelta(days=30), reply="已清运")
    assert stats.counts(late)["resolved"] == 1 and stats.counts(late)["on_time"] == 0


def test_a_merged_order_reaches_no_unit():
    merged = step(opened(), "merge", DISPATCHER, into="LY202611190001")
    assert stats.counts(merged) == stats.counts(opened())
    assert TallyKey(DAY, "state", "merged") in stats.contributions(merged, ZONE)


def test_rates_divide_by_what_they_are_rates_of():
    c = stats.empty() | {
        "submitted": 10, "assigned": 8, "signed": 6, "resolved": 4, "on_time": 3, "replied": 5, "redo": 1,
        "rated": 4, "stars": 14, "satisfied": 3, "handling_seconds": 4 * 36 * 3600,
    }
    assert stats.rates(c) == {
        "signing": 0.75, "on_time": 0.75, "satisfaction": 0.75, "redo": 0.2,
        "average_stars": 3.5, "average_handling_hours": 36.0,
    }
    assert set(stats.rates(stats.empty()).values()) == {None}


def test_the_score_is_the_mean_of_the_rates_a_unit_has():
    assert stats.score({"signing": 1.0, "on_time": 0.5, "satisfaction": None}) == 75.0
    assert stats.score({"signing": None, "on_time": None, "satisfaction": None}) is None


@settings(max_examples=150, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(KINDS), steps=st.integers(min_value=1, max_value=40), rnd=st.randoms(use_true_random=True))
def test_the_deltas_of_a_life_add_up_to_what_the_order_contributes_at_its_end(kind, steps, rnd):
    calendar = WorkingCalendar(CITY)
    order, _ = open_order("LY202611200002", *kind, "220403001", RESIDENT, NOW)
    total: dict = {}
    for key, added in stats.deltas(None, order, ZONE).items():
        stats.add(total.setdefault(key, {}), added)
    now = NOW
    for _ in range(steps):
        now += rnd.choice(CLOCK_STEPS)
        ctx = Context(CITY, calendar, now)
        offered = [(who, action) for who in STEP_ACTORS for action in allowed_actions(order, who, ctx)]
        who, action = rnd.choice(offered) if offered else (rnd.choice(STEP_ACTORS), rnd.choice(ACTIONS))
        try:
            changed, _ = apply(order, action, who, rnd.choice(STEP_PARAMS[action]), ctx)
        except (InvalidInput, Forbidden, Conflict):
            continue
        for key, added in stats.deltas(order, changed, ZONE).items():
            assert all(added.values()), "a delta is never zero"
            stats.add(total.setdefault(key, {}), added)
        order = changed
    kept = {key: row for key, row in total.items() if any(row.values())}
    expected = stats.contributions(order, ZONE)
    assert {key: {k: n for k, n in row.items() if n} for key, row in kept.items()} == expected
    # Exactly one state, and the unit that holds it, if any, and its co-units (协办) counting it co-handled.
    assert [key.value for key in expected if key.dimension == "state"] == [order.state.value]
    assert [key.value for key in expected if key.dimension == "unit"] == (
        ([order.unit] if order.unit else []) + list(order.co_units)
    )
    assert [key.value for key in expected if expected[key].get("co_handled")] == list(order.co_units)
