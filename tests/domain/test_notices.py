"""Who hears of each change by SMS, and when the quiet hours hold a message back."""
from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.city import QuietHours, load_city
from chalicelib.domain.lifecycle import RULES
from chalicelib.domain.notices import digest_window, notices_for, quiet_until
from chalicelib.domain.orders import SYSTEM, Event, State, WorkOrder

CITY = load_city("liaoyuan.yaml")
ZONE = CITY.zone
S = State
NOW = dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZONE)


def order(
    unit: str | None = "lsq-cg", type: str = "complaint", category: str = "sanitation", followers: tuple[str, ...] = ()
) -> WorkOrder:
    return WorkOrder("LY202611200001", type, category, "220402", created_at=NOW, unit=unit, followers=followers)


def event(action: str, to_state: State, from_state: State | None = S.IN_PROGRESS) -> Event:
    return Event(2, NOW, action, SYSTEM, from_state, to_state, None, {}, public=False)


def told(action: str, to_state: State, has_contact: bool = True, **order_fields) -> list[tuple[str, str, bool]]:
    notices = notices_for(event(action, to_state), order(**order_fields), CITY, has_contact)
    return [(n.template, n.audience, n.urgent) for n in notices]


RESIDENT, UNIT, PARENT, LEADER = "resident", "unit:lsq-cg", "unit:lsq", "leader"


@pytest.mark.parametrize(
    ("action", "to_state", "expected"),
    [
        ("submit", S.SUBMITTED, [("received", RESIDENT, False)]),
        ("auto_dispatch", S.DISPATCHED, [("dispatched", RESIDENT, False), ("staff_new_order", UNIT, False)]),
        ("dispatch", S.DISPATCHED, [("dispatched", RESIDENT, False), ("staff_new_order", UNIT, False)]),
        ("reassign", S.DISPATCHED, [("dispatched", RESIDENT, False), ("staff_new_order", UNIT, False)]),
        ("forward", S.DISPATCHED, [("staff_new_order", UNIT, False)]),
        ("approve_extension", S.IN_PROGRESS, [("extension_granted", RESIDENT, False)]),
        ("resolve", S.RESOLVED, [("resolved", RESIDENT, False)]),
        ("resolve", S.AWAITING_REVIEW, []),  # the resident hears when the review approves it
        ("approve", S.RESOLVED, [("resolved", RESIDENT, False)]),
        ("answer", S.RESOLVED, [("answered", RESIDENT, False)]),  # 当场答复, at intake
        ("rate", S.IN_PROGRESS, [("reopened", RESIDENT, False), ("staff_reopened", UNIT, False)]),
        ("rate", S.CLOSED, []),
        ("callback", S.IN_PROGRESS, [("reopened", RESIDENT, False), ("staff_reopened", UNIT, False)]),
        ("callback", S.CLOSED, []),
        ("remind_signing", S.DISPATCHED, [("staff_sign_reminder", UNIT, False)]),
        ("warn", S.IN_PROGRESS, [("staff_warning", UNIT, False)]),
        ("urge", S.IN_PROGRESS, [("staff_yellow", UNIT, False), ("staff_yellow", PARENT, False)]),
        ("supervise", S.IN_PROGRESS, [("leader_red", LEADER, True)]),
        ("merge", S.MERGED, [("merged", RESIDENT, False)]),
    ],
)
def test_who_hears_of_each_change(action, to_state, expected):
    assert told(action, to_state) == expected


@pytest.mark.parametrize(
    "action",
    sorted(set(RULES) - {"auto_dispatch", "dispatch", "reassign", "forward", "approve_extension", "resolve",
                         "approve", "answer", "rate", "callback", "priority", "remind_signing", "warn", "urge", "supervise", "merge"}),
)
def test_other_changes_send_nothing(action):
    target = RULES[action].target or S.IN_PROGRESS
    assert told(action, target) == []


FOLLOWERS = ("LY202611200007", "LY202611200009")


@pytest.mark.parametrize(
    ("action", "to_state", "template"),
    [
        ("dispatch", S.DISPATCHED, "dispatched"),
        ("approve_extension", S.IN_PROGRESS, "extension_granted"),
        ("resolve", S.RESOLVED, "resolved"),
    ],
)
def test_the_residents_of_merged_orders_hear_what_the_main_orders_resident_hears(action, to_state, template):
    heard = [(t, a) for t, a, _ in told(action, to_state, followers=FOLLOWERS) if t == template]
    assert heard == [(template, RESIDENT), (template, "follower:LY202611200007"), (template, "follower:LY202611200009")]


def test_followers_are_told_even_when_the_main_order_is_anonymous():
    assert told("resolve", S.RESOLVED, has_contact=False, followers=FOLLOWERS[:1]) == [
        ("resolved", "follower:LY202611200007", False)
    ]


def test_only_the_rating_resident_hears_that_their_rating_sent_the_order_back():
    assert [a for _, a, _ in told("rate", S.IN_PROGRESS, followers=FOLLOWERS)] == [RESIDENT, UNIT]


def test_an_anonymous_order_tells_only_staff():
    assert told("submit", S.SUBMITTED, has_contact=False) == []
    assert told("dispatch", S.DISPATCHED, has_contact=False) == [("staff_new_order", UNIT, False)]


def test_a_unit_without_a_parent_is_urged_alone():
    assert told("urge", S.IN_PROGRESS, unit="cgj") == [("staff_yellow", "unit:cgj", False)]


def test_an_order_with_a_round_the_clock_limit_is_urgent_for_staff_only():
    utilities_help = {"unit": "heat", "type": "help", "category": "utilities"}  # 24 hours
    assert told("dispatch", S.DISPATCHED, **utilities_help) == [
        ("dispatched", RESIDENT, False),
        ("staff_new_order", "unit:heat", True),
    ]


def test_an_order_without_a_unit_tells_no_unit():
    assert told("rate", S.IN_PROGRESS, unit=None) == [("reopened", RESIDENT, False)]


# ---- quiet hours -------------------------------------------------------------------

def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=ZONE)


NIGHT = QuietHours(start=dt.time(22, 0), end=dt.time(7, 30))
LUNCH = QuietHours(start=dt.time(12, 0), end=dt.time(13, 0))


@pytest.mark.parametrize(
    ("quiet", "now", "until"),
    [
        (NIGHT, at(20, 21, 59), None),
        (NIGHT, at(20, 22, 0), at(21, 7, 30)),
        (NIGHT, at(20, 23, 0), at(21, 7, 30)),
        (NIGHT, at(21, 0, 30), at(21, 7, 30)),
        (NIGHT, at(21, 7, 29), at(21, 7, 30)),
        (NIGHT, at(21, 7, 30), None),
        (NIGHT, at(21, 12, 0), None),
        (LUNCH, at(20, 11, 59), None),
        (LUNCH, at(20, 12, 30), at(20, 13, 0)),
        (LUNCH, at(20, 13, 0), None),
    ],
)
def test_quiet_hours_end_at_the_next_end_of_the_span(quiet, now, until):
    assert quiet_until(now, quiet, ZONE) == until


def test_quiet_hours_are_the_citys_local_time_whatever_the_clocks_zone():
    utc_23h_local = dt.datetime(2026, 11, 20, 15, 0, tzinfo=dt.timezone.utc)  # 23:00 in Liaoyuan
    assert quiet_until(utc_23h_local, NIGHT, ZONE) == at(21, 7, 30)


# ---- digest windows ---------------------------------------------------------------------

@pytest.mark.parametrize(
    ("at", "start"),
    [
        (dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZONE), dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZONE)),
        (dt.datetime(2026, 11, 20, 10, 9, 59, 999999, tzinfo=ZONE), dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZONE)),
        (dt.datetime(2026, 11, 20, 10, 10, tzinfo=ZONE), dt.datetime(2026, 11, 20, 10, 10, tzinfo=ZONE)),
        (dt.datetime(2026, 11, 20, 2, 5, tzinfo=dt.timezone.utc), dt.datetime(2026, 11, 20, 10, 0, tzinfo=ZONE)),
    ],
)
def test_a_digest_window_is_the_same_for_every_process_whatever_its_zone(at, start):
    assert digest_window(at, 10) == (start, start + dt.timedelta(minutes=10))


def test_the_unit_hears_when_an_order_becomes_priority_and_only_then():
    def told_of(changes: dict, unit: str | None = "lsq-cg") -> list[str]:
        made = Event(3, NOW, "priority", SYSTEM, S.IN_PROGRESS, S.IN_PROGRESS, None, changes, public=False)
        return [(n.template, n.audience) for n in notices_for(made, order(unit=unit), CITY, True)]

    assert told_of({"priority": True}) == [("staff_priority", UNIT)]
    assert told_of({"priority": False}) == []  # taken off the list
    assert told_of({}) == []  # it was priority already
    assert told_of({"priority": True}, unit=None) == []  # no unit yet: dispatch tells it


def test_praise_reaches_its_unit_without_a_deadline_to_announce():
    assert told("auto_dispatch", S.DISPATCHED, type="praise") == [
        ("information_dispatched", RESIDENT, False), ("staff_information", UNIT, False),
    ]
