"""When an order is due for a reminder, an escalation or closing, on the official calendar.

Every expected time is counted by hand: a working day is one office day (08:30–17:30,
9 hours) on the official calendar, so "80% of 3 working days" is 21 h 36 min of office
time. November 2026 has no holidays; the National Day test uses the official 2026
days (holiday 1–7 October, 调休 workday Saturday 10 October).
"""
from __future__ import annotations

import dataclasses
import datetime as dt

import chinese_calendar
import pytest

from chalicelib.city import load_city
from chalicelib.domain import deadlines
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.errors import Conflict
from chalicelib.domain.lifecycle import RESIDENT, SYSTEM, Actor, Context, Level, Role, State, apply, open_order

CITY = load_city("liaoyuan.yaml")
CALENDAR = WorkingCalendar(CITY)
CST = dt.timezone(dt.timedelta(hours=8))

CONSULT = ("consult", "traffic", "jj")  # 3 working days
SANITATION = ("complaint", "sanitation", "lsq")  # 5 working days
UTILITIES = ("help", "utilities", "heat")  # 24 hours

DISPATCHER = Actor(Role.DISPATCHER, "d")


def cst(month: int, day: int, hour: int = 10, minute: int = 0, second: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, second, tzinfo=CST)


def ctx(now: dt.datetime) -> Context:
    return Context(CITY, CALENDAR, now)


def dispatched(kind: tuple[str, str, str], at: dt.datetime):
    type_, category, unit = kind
    order, _ = open_order("LY202611160001", type_, category, None, RESIDENT, at)
    order, _ = apply(order, "dispatch", DISPATCHER, {"unit": unit}, ctx(at))
    return order


def act(order, action: str, at: dt.datetime, role: Role = Role.HANDLER, **params):
    return apply(order, action, Actor(role, role.value, order.unit), params, ctx(at))[0]


def signed(kind, dispatched_at: dt.datetime, signed_at: dt.datetime):
    return act(dispatched(kind, dispatched_at), "sign", signed_at)


def sweep(order, at: dt.datetime):
    """What the sweep does with one order at ``at``: every due action, in turn."""
    taken = []
    while (action := deadlines.due_action(order, ctx(at))) is not None:
        order = apply(order, action, SYSTEM, {}, ctx(at))[0]
        taken.append(action)
    return order, taken


# ---- thresholds ---------------------------------------------------------------

@pytest.mark.parametrize(
    ("kind", "at", "expected"),
    [
        pytest.param(
            CONSULT, cst(11, 16),
            {
                "sign_due_at": cst(11, 17),  # one working day
                "unsigned_return_at": cst(11, 18),  # one more
                "warning_at": cst(11, 18, 13, 36),  # 80% of 27 office hours = 21h36m
                "due_at": cst(11, 19),
                "red_at": cst(11, 23),  # two working days later, over the weekend
            },
            id="working-days",
        ),
        pytest.param(
            UTILITIES, cst(11, 20, 20),  # Friday evening
            {
                "sign_due_at": cst(11, 23, 17, 30),  # signing is counted in working days
                "unsigned_return_at": cst(11, 24, 17, 30),
                "warning_at": cst(11, 21, 15, 12),  # 80% of 24 clock hours
                "due_at": cst(11, 21, 20),  # round the clock, Saturday evening
                "red_at": cst(11, 24, 17, 30),  # grace in working days: Monday and Tuesday
            },
            id="hours",
        ),
        pytest.param(
            SANITATION, cst(9, 30, 16),  # the eve of National Day
            {
                "sign_due_at": cst(10, 8, 16),  # 1.5 h on 30 September, 7.5 h on 8 October
                "unsigned_return_at": cst(10, 9, 16),
                "warning_at": cst(10, 12, 16),  # 36 h: 30th, 8th, 9th, Saturday 10th, Monday 7.5 h
                "due_at": cst(10, 13, 16),
                "red_at": cst(10, 15, 16),
            },
            id="working-days-across-national-day",
        ),
    ],
)
def test_thresholds_follow_the_limit_and_the_calendar(kind, at, expected):
    order = dispatched(kind, at)
    assert {
        "sign_due_at": order.sign_due_at,
        "unsigned_return_at": deadlines.unsigned_return_at(order, ctx(at)),
        "warning_at": deadlines.warning_at(order, ctx(at)),
        "due_at": order.due_at,
        "red_at": deadlines.red_at(order, ctx(at)),
    } == expected
    assert (order.due_from, order.level) == (at, Level.NORMAL)
    assert order.next_check_at == min(expected.values())


def _just_before(moment: dt.datetime) -> dt.datetime:
    return moment - dt.timedelta(seconds=1)


@pytest.mark.parametrize(
    ("moment", "action"),
    [
        (cst(11, 17), "remind_signing"),
        (cst(11, 18), "return_unsigned"),
    ],
)
def test_an_unsigned_order_is_reminded_then_returned(moment, action):
    order = dispatched(CONSULT, cst(11, 16))
    assert deadlines.due_action(order, ctx(_just_before(moment))) != action
    assert deadlines.due_action(order, ctx(moment)) == action


@pytest.mark.parametrize(
    ("moment", "action"),
    [
        (cst(11, 18, 13, 36), "warn"),
        (cst(11, 19), "urge"),
        (cst(11, 23), "supervise"),
    ],
)
@pytest.mark.parametrize("state", ["dispatched", "signed"])
def test_each_level_comes_due_at_its_threshold(moment, action, state):
    order = dispatched(CONSULT, cst(11, 16))
    if state == "signed":
        order = act(order, "sign", cst(11, 16, 11))
    else:  # reminded already, so that the signing clock does not get in the way before the return
        order = dataclasses.replace(order, sign_due_at=cst(12, 1), sign_reminded=True)
    assert deadlines.due_action(order, ctx(_just_before(moment))) != action
    assert deadlines.due_action(order, ctx(moment)) == action


def test_an_unrated_order_closes_after_the_rating_period_in_calendar_days():
    order = act(signed(SANITATION, cst(9, 28), cst(9, 28, 11)), "resolve", cst(9, 30), reply="已清运")
    # Seven calendar days, holidays included.
    assert order.next_check_at == cst(10, 7)
    assert deadlines.due_action(order, ctx(_just_before(cst(10, 7)))) is None
    assert deadlines.due_action(order, ctx(cst(10, 7))) == "auto_close"


# ---- several due at once --------------------------------------------------------

@pytest.mark.parametrize(
    ("signed_at", "level", "at", "taken"),
    [
        # A sweep that was away jumps straight to the level that is due, in one step.
        (cst(11, 16, 11), Level.NORMAL, cst(11, 25), ["supervise"]),
        (cst(11, 16, 11), Level.NORMAL, cst(11, 20), ["urge"]),
        (cst(11, 16, 11), Level.WARNING, cst(11, 24), ["supervise"]),
        (cst(11, 16, 11), Level.RED, cst(11, 30), []),
        # Unsigned: a reminder once the signing limit has passed.
        (None, Level.NORMAL, cst(11, 17, 17), ["remind_signing"]),
        # Unsigned past the return: back to the dispatcher, and nothing else is due.
        (None, Level.NORMAL, cst(11, 18), ["return_unsigned"]),
        (None, Level.NORMAL, cst(11, 30), ["return_unsigned"]),
    ],
)
def test_a_sweep_takes_the_most_advanced_action_once(signed_at, level, at, taken):
    order = dispatched(CONSULT, cst(11, 16))
    if signed_at:
        order = act(order, "sign", signed_at)
    order = dataclasses.replace(order, level=level)
    assert sweep(order, at)[1] == taken


def test_a_level_that_is_due_comes_before_the_signing_reminder():
    # 24 h limit, Friday evening: due Saturday 20:00, signing due Monday 17:30.
    order, taken = sweep(dispatched(UTILITIES, cst(11, 20, 20)), cst(11, 23, 18))
    assert taken == ["urge", "remind_signing"]
    assert (order.level, order.sign_reminded, order.state) == (Level.YELLOW, True, State.DISPATCHED)


def test_the_return_beats_every_reminder_and_takes_the_order_off_the_clock():
    order, taken = sweep(dispatched(UTILITIES, cst(11, 20, 20)), cst(11, 24, 17, 30))
    assert taken == ["return_unsigned"]
    assert (order.state, order.unit, order.level, order.due_at, order.next_check_at) == (
        State.SUBMITTED, None, Level.NORMAL, None, None,
    )


def test_the_action_that_is_not_the_most_advanced_is_refused():
    order = signed(CONSULT, cst(11, 16), cst(11, 16, 11))
    with pytest.raises(Conflict):
        apply(order, "warn", SYSTEM, {}, ctx(cst(11, 25)))


# ---- the next check ---------------------------------------------------------------

def test_the_next_check_is_the_earliest_threshold_still_ahead():
    order = dispatched(CONSULT, cst(11, 16))
    assert order.next_check_at == cst(11, 17)  # signing
    order, _ = sweep(order, cst(11, 17))
    assert order.next_check_at == cst(11, 18)  # the return
    order = act(order, "sign", cst(11, 17, 11))
    assert order.next_check_at == cst(11, 18, 13, 36)  # warning
    for moment, following in (
        (cst(11, 18, 13, 36), cst(11, 19)),
        (cst(11, 19), cst(11, 23)),
        (cst(11, 23), None),  # red: nothing further to escalate
    ):
        order, _ = sweep(order, moment)
        assert order.next_check_at == following == deadlines.next_check(order, ctx(moment))


@pytest.mark.parametrize("action", ["reject", "merge"])
def test_an_order_that_leaves_the_queue_has_no_next_check(action):
    order, _ = open_order("LY202611160001", "consult", "other", None, RESIDENT, cst(11, 16))
    changed = act(order, action, cst(11, 16), Role.DISPATCHER, reason="重复", into="LY202611150001")
    assert changed.next_check_at is None and deadlines.next_check(changed, ctx(cst(11, 16))) is None


def test_submitted_awaiting_review_and_closed_orders_have_no_next_check():
    submitted, _ = open_order("LY202611160001", "consult", "traffic", None, RESIDENT, cst(11, 16))
    order = signed(CONSULT, cst(11, 16), cst(11, 16, 11))
    review = CITY.model_copy(update={"review_required": True})
    awaiting = apply(order, "resolve", Actor(Role.HANDLER, "h", "jj"), {"reply": "已答复"},
                     Context(review, WorkingCalendar(review), cst(11, 17)))[0]
    resolved = act(order, "resolve", cst(11, 17), reply="已答复")
    closed = apply(resolved, "rate", RESIDENT, {"stars": 5}, ctx(cst(11, 18)))[0]
    returned = act(dispatched(CONSULT, cst(11, 16)), "return", cst(11, 16, 11), reason="非本单位")
    for finished in (submitted, awaiting, closed, returned):
        assert finished.next_check_at is None
        assert deadlines.next_check(finished, ctx(cst(11, 30))) is None
        assert deadlines.due_action(finished, ctx(cst(12, 30))) is None


# ---- time left --------------------------------------------------------------------

@pytest.mark.parametrize(
    ("kind", "dispatched_at", "now", "left"),
    [
        # Due Thursday 10:00: 5.5 h on Monday, 9 on Tuesday and Wednesday, 1.5 on Thursday.
        (CONSULT, cst(11, 16), cst(11, 16, 12), dt.timedelta(hours=25)),
        (CONSULT, cst(11, 16), cst(11, 19), dt.timedelta()),
        # Saturday noon: overdue by the office time since (7.5 h Thursday, 9 h Friday).
        (CONSULT, cst(11, 16), cst(11, 21, 12), -dt.timedelta(hours=16.5)),
        # 24 hours from Friday 20:00, on the clock.
        (UTILITIES, cst(11, 20, 20), cst(11, 21, 15), dt.timedelta(hours=5)),
        (UTILITIES, cst(11, 20, 20), cst(11, 22, 2), -dt.timedelta(hours=6)),
    ],
)
def test_time_left_counts_the_limits_own_clock(kind, dispatched_at, now, left):
    order = act(dispatched(kind, dispatched_at), "sign", dispatched_at)
    assert deadlines.time_left(order, ctx(now)) == left


def test_no_time_left_once_out_of_the_units_hands():
    order = signed(CONSULT, cst(11, 16), cst(11, 16, 11))
    resolved = act(order, "resolve", cst(11, 17), reply="已答复")
    submitted, _ = open_order("LY202611160001", "consult", "traffic", None, RESIDENT, cst(11, 16))
    assert deadlines.time_left(resolved, ctx(cst(11, 17))) is None
    assert deadlines.time_left(submitted, ctx(cst(11, 17))) is None


# ---- changes that move the clocks ----------------------------------------------------

def test_an_approved_extension_resets_the_level_and_moves_every_threshold():
    order, _ = sweep(signed(CONSULT, cst(11, 16), cst(11, 16, 11)), cst(11, 20))
    assert order.level is Level.YELLOW
    order = act(order, "request_extension", cst(11, 20), days=3, reason="需协调")
    order = act(order, "approve_extension", cst(11, 20), Role.DISPATCHER)
    now = ctx(cst(11, 20))
    assert (order.level, order.due_from, order.due_at) == (Level.NORMAL, cst(11, 16), cst(11, 24))
    # 80% of the 6 working days from Monday 16th 10:00 = 43h12m: Friday 20th 17:12.
    assert deadlines.warning_at(order, now) == order.next_check_at == cst(11, 20, 17, 12)
    assert deadlines.red_at(order, now) == cst(11, 26)
    assert deadlines.due_action(order, now) is None
    assert sweep(order, cst(11, 24))[1] == ["urge"]


def test_forwarding_restarts_only_the_signing_clock():
    order, taken = sweep(dispatched(SANITATION, cst(11, 16)), cst(11, 17))
    assert taken == ["remind_signing"]
    forwarded = act(order, "forward", cst(11, 17, 15), unit="lsq-xy")
    assert (forwarded.unit, forwarded.dispatched_at, forwarded.sign_due_at, forwarded.sign_reminded) == (
        "lsq-xy", cst(11, 17, 15), cst(11, 18, 15), False,
    )
    assert (forwarded.due_from, forwarded.due_at, forwarded.level) == (order.due_from, order.due_at, order.level)
    assert forwarded.next_check_at == cst(11, 18, 15)
    assert deadlines.unsigned_return_at(forwarded, ctx(cst(11, 17, 15))) == cst(11, 19, 15)


@pytest.mark.parametrize("stars", [1, 2])
def test_reopening_restarts_every_clock(stars):
    order, _ = sweep(signed(CONSULT, cst(11, 16), cst(11, 16, 11)), cst(11, 24))
    assert order.level is Level.RED
    resolved = act(order, "resolve", cst(11, 24, 12), reply="已答复")
    # A city that does not supervise the dissatisfied at once (不满意专项督办: test_callbacks.py).
    unsupervised = Context(CITY.model_copy(update={"supervise_dissatisfied": False}), CALENDAR, cst(11, 25))
    reopened = apply(resolved, "rate", RESIDENT, {"stars": stars}, unsupervised)[0]
    assert (reopened.state, reopened.round, reopened.level) == (State.IN_PROGRESS, 2, Level.NORMAL)
    # Three fresh working days from Wednesday 25th 10:00; warning after 21h36m of them.
    assert (reopened.due_from, reopened.due_at) == (cst(11, 25), cst(11, 30))
    assert reopened.next_check_at == cst(11, 27, 13, 36)
    assert sweep(reopened, cst(11, 30))[1] == ["urge"]


# ---- time travel across the 2026 National Day holiday ----------------------------------

def test_the_official_2026_calendar_is_the_one_assumed_here():
    holiday = [dt.date(2026, 10, d) for d in range(1, 8)]
    assert not any(chinese_calendar.is_workday(day) for day in holiday)
    assert chinese_calendar.is_workday(dt.date(2026, 10, 10))  # Saturday, worked in lieu
    assert chinese_calendar.is_workday(dt.date(2026, 9, 28))
    assert not chinese_calendar.is_workday(dt.date(2026, 10, 11))


# A sanitation complaint (5 working days = 45 office hours) dispatched Monday 28
# September 10:00 and signed at once. Office hours used: 7.5 on the 28th, 9 on each of
# the 29th and 30th (25.5), none from 1 to 7 October, 9 on the 8th (34.5), 9 on the 9th
# (43.5), 1.5 on Saturday the 10th.
NATIONAL_DAY = [
    # (moment, actions the sweep takes, level after, next check, office time left)
    (cst(9, 30, 17, 30), [], Level.NORMAL, cst(10, 9), dt.timedelta(hours=19.5)),
    (cst(10, 5, 12), [], Level.NORMAL, cst(10, 9), dt.timedelta(hours=19.5)),  # the holiday does not count
    (_just_before(cst(10, 9)), [], Level.NORMAL, cst(10, 9), dt.timedelta(hours=9, seconds=1)),
    # 80% = 36 h: 1.5 h into Friday 9 October.
    (cst(10, 9), ["warn"], Level.WARNING, cst(10, 10), dt.timedelta(hours=9)),
    # Due on the 调休 Saturday, not on the Monday after it.
    (_just_before(cst(10, 10)), [], Level.WARNING, cst(10, 10), dt.timedelta(seconds=1)),
    (cst(10, 10), ["urge"], Level.YELLOW, cst(10, 13), dt.timedelta()),
    # Red two working days later: the rest of Saturday (7.5 h), Monday (9 h), 1.5 h on Tuesday.
    (cst(10, 11, 12), [], Level.YELLOW, cst(10, 13), -dt.timedelta(hours=7.5)),
    (_just_before(cst(10, 13)), [], Level.YELLOW, cst(10, 13), -dt.timedelta(hours=18, seconds=-1)),
    (cst(10, 13), ["supervise"], Level.RED, None, -dt.timedelta(hours=18)),
]


def test_one_order_through_warning_yellow_and_red_across_national_day():
    order = signed(SANITATION, cst(9, 28), cst(9, 28, 10, 5))
    assert order.due_at == cst(10, 10)
    events = 0
    for moment, taken, level, next_check, left in NATIONAL_DAY:
        order, actions = sweep(order, moment)
        events += len(actions)
        assert (actions, order.level, order.next_check_at) == (taken, level, next_check), moment
        assert deadlines.time_left(order, ctx(moment)) == left, moment
    assert order.supervised_at == cst(10, 13)
    assert (order.version, events) == (3 + 3, 3)  # submit, dispatch, sign + one event per level
