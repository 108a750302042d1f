"""The lifecycle's cases shared by its tests (test_lifecycle.py) and the statistics' (test_stats.py):
the city, the moment, the actions of the spec and the random walk's actors, parameters and clock steps.

A helper module, not a test module: importing it runs no tests (tests/test_imports.py).
"""
from __future__ import annotations

import datetime as dt

from chalicelib.city import load_city
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.lifecycle import Actor, Context, Role

CITY = load_city("liaoyuan.yaml")
CALENDAR = WorkingCalendar(CITY)
UTC = dt.timezone.utc
CST = dt.timezone(dt.timedelta(hours=8))
# Friday 2026-11-20 10:00 in Liaoyuan.
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=UTC)
# The people of the order's unit, as the service reads them for assign (承办人).
PEOPLE = {"sub-wang": "王五", "sub-zhao": "赵六"}
CTX = Context(CITY, CALENDAR, NOW, people=PEOPLE)

D, H, L, A, R, Y = Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.ADMIN, Role.RESIDENT, Role.SYSTEM
OP = Role.OPERATOR

ACTIONS = (
    "auto_dispatch", "dispatch", "reject", "merge", "sign", "return", "forward", "progress",
    "request_extension", "approve_extension", "refuse_extension", "resolve", "approve", "send_back",
    "rate", "auto_close", "priority", "co_handle", "instruction", "reassign",
    "remind_signing", "return_unsigned", "warn", "urge", "supervise", "publish", "unpublish", "absorb",
    "assign",
    "callback",
    "co_reply",
    "answer",
)
DEADLINE_ACTIONS = ("auto_close", "remind_signing", "return_unsigned", "warn", "urge", "supervise")


def actor(role: Role, unit: str | None = None) -> Actor:
    if role is Role.HANDLER and unit is None:
        unit = "lsq"
    return Actor(role, f"test-{role}", unit)


# The random walk's cast: every role, handlers of units at each level and of another district.
STEP_ACTORS = (
    actor(D), actor(H, "lsq"), actor(H, "lsq-cg"), actor(H, "xaq-cg"), actor(H, "heat"),
    actor(H, "water"), actor(L), actor(A), actor(R), actor(Y), actor(OP),
)
STEP_PARAMS = {
    "auto_dispatch": [{"unit": "lsq"}, {"unit": "heat"}],
    "dispatch": [{"unit": "lsq"}, {"unit": "lsq-cg"}, {"unit": "xaq-cg"}, {"unit": "nowhere"}],
    "reject": [{"reason": "重复"}, {}],
    "merge": [{"into": "LY202611190001"}, {"into": "LY202611200002"}],
    "sign": [{}],
    "return": [{"reason": "非本单位"}, {}],
    "forward": [{"unit": "lsq-xy"}, {"unit": "lsq-cg"}, {"unit": "cgj"}],
    "progress": [{"note": "进展", "public": True}, {}],
    "request_extension": [{"days": 1, "reason": "r"}, {"days": 3, "reason": "r"}, {"days": 9, "reason": "r"}],
    "approve_extension": [{}],
    "refuse_extension": [{}],
    "resolve": [{"reply": "已办"}, {"reply": "已办", "result_media": ["r/1.jpg"]}, {}],
    "approve": [{}],
    "send_back": [{"reason": "不完整"}, {}],
    "rate": [{"stars": 1}, {"stars": 2}, {"stars": 4}, {"stars": 5, "comment": "好"}, {"stars": 0}],
    "auto_close": [{}],
    "priority": [{"on": True}, {"on": False}],
    "co_handle": [{"units": ["water"]}, {"units": []}, {"units": ["lsq"]}],
    "instruction": [{"note": "尽快"}],
    "reassign": [{"unit": "lsq", "reason": "r"}, {"unit": "lsq-cg", "reason": "r"}, {"unit": "heat", "reason": "r"}],
    "publish": [{}, {"title": "供热案例"}, {"title": ""}],
    "unpublish": [{}],
    "absorb": [{"merged": "LY202611200003"}, {"merged": "LY202611200004"}, {}],
    "assign": [{"assignee": "sub-wang"}, {"assignee": "sub-zhao"}, {"assignee": "sub-nobody"}],
    "callback": [
        {"reached": True, "stars": 1}, {"reached": True, "stars": 4}, {"reached": False}, {"reached": False},
        {"reached": True}, {"reached": False, "stars": 3},
    ],
    "co_reply": [{"reply": "已协调供水"}, {}],
    "answer": [{"reply": "已当场答复"}, {}],
    **{action: [{}] for action in DEADLINE_ACTIONS},
}
# Between two steps the clock stands still or moves on, by hours, working days or
# up to a week (the rating period), so that the deadlines come due along the way.
CLOCK_STEPS = tuple(dt.timedelta(hours=h) for h in (0, 1, 5, 20, 50, 170))
# An hour limit (24 h) and a working-day limit (5 working days).
KINDS = (("help", "utilities"), ("complaint", "sanitation"))
