"""The work-order state machine checked against the lifecycle described in the spec."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib.api.http import STATUS
from chalicelib.domain import deadlines
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.errors import Conflict, DomainError, Forbidden, InvalidInput
from chalicelib.domain.lifecycle import (
    RULES,
    Actor,
    Context,
    Level,
    OPEN_STATES,
    Role,
    State,
    WorkOrder,
    allowed_actions,
    apply,
    open_order,
    replay,
)
from tests.domain.lifecycle_cases import (
    ACTIONS, CITY, CLOCK_STEPS, CST, CTX, DEADLINE_ACTIONS, KINDS, NOW, STEP_ACTORS, STEP_PARAMS,
    A, D, H, L, OP, R, Y, actor,
)

S = State

# Every allowed (action, role, from_state) → to_state, written from the spec, not from RULES.
# The spec does not name the source states of priority / co_handle / instruction / reassign;
# read here as: priority on any open order, co_handle and reassign while a unit handles it
# (dispatched, in_progress), instruction on any open or resolved order.
ALLOWED: dict[tuple[str, Role, State], State] = {
    ("auto_dispatch", Y, S.SUBMITTED): S.DISPATCHED,
    ("dispatch", D, S.SUBMITTED): S.DISPATCHED,
    ("reject", D, S.SUBMITTED): S.REJECTED,
    ("merge", D, S.SUBMITTED): S.MERGED,
    # A suspected duplicate is auto-dispatched like any request: merged before a unit signs for it.
    ("merge", D, S.DISPATCHED): S.MERGED,
    ("sign", H, S.DISPATCHED): S.IN_PROGRESS,
    ("return", H, S.DISPATCHED): S.SUBMITTED,
    ("forward", H, S.DISPATCHED): S.DISPATCHED,
    ("progress", H, S.IN_PROGRESS): S.IN_PROGRESS,
    ("request_extension", H, S.IN_PROGRESS): S.IN_PROGRESS,
    ("approve_extension", D, S.IN_PROGRESS): S.IN_PROGRESS,
    ("refuse_extension", D, S.IN_PROGRESS): S.IN_PROGRESS,
    ("resolve", H, S.IN_PROGRESS): S.RESOLVED,
    ("approve", D, S.AWAITING_REVIEW): S.RESOLVED,
    ("send_back", D, S.AWAITING_REVIEW): S.IN_PROGRESS,
    ("rate", R, S.RESOLVED): S.CLOSED,  # with 5 stars; 1–2 stars: see test_low_rating_*
    # The deadlines' system actions; each also needs its threshold to have passed.
    ("auto_close", Y, S.RESOLVED): S.CLOSED,
    ("remind_signing", Y, S.DISPATCHED): S.DISPATCHED,
    ("return_unsigned", Y, S.DISPATCHED): S.SUBMITTED,
    ("warn", Y, S.DISPATCHED): S.DISPATCHED,
    ("warn", Y, S.IN_PROGRESS): S.IN_PROGRESS,
    ("urge", Y, S.DISPATCHED): S.DISPATCHED,
    ("urge", Y, S.IN_PROGRESS): S.IN_PROGRESS,
    ("supervise", Y, S.DISPATCHED): S.DISPATCHED,
    ("supervise", Y, S.IN_PROGRESS): S.IN_PROGRESS,
    ("priority", D, S.SUBMITTED): S.SUBMITTED,
    ("priority", D, S.DISPATCHED): S.DISPATCHED,
    ("priority", D, S.IN_PROGRESS): S.IN_PROGRESS,
    ("priority", D, S.AWAITING_REVIEW): S.AWAITING_REVIEW,
    ("co_handle", D, S.DISPATCHED): S.DISPATCHED,
    ("co_handle", D, S.IN_PROGRESS): S.IN_PROGRESS,
    ("instruction", L, S.SUBMITTED): S.SUBMITTED,
    ("instruction", L, S.DISPATCHED): S.DISPATCHED,
    ("instruction", L, S.IN_PROGRESS): S.IN_PROGRESS,
    ("instruction", L, S.AWAITING_REVIEW): S.AWAITING_REVIEW,
    ("instruction", L, S.RESOLVED): S.RESOLVED,
    ("reassign", L, S.DISPATCHED): S.DISPATCHED,
    ("reassign", L, S.IN_PROGRESS): S.DISPATCHED,
    # The case library (典型案例库): a closed order, put in once and taken out again.
    ("publish", D, S.CLOSED): S.CLOSED,
    ("unpublish", D, S.CLOSED): S.CLOSED,
    # The main order's side of a merge (并单), taken in the merge's transaction: any open order.
    ("absorb", Y, S.SUBMITTED): S.SUBMITTED,
    ("absorb", Y, S.DISPATCHED): S.DISPATCHED,
    ("absorb", Y, S.IN_PROGRESS): S.IN_PROGRESS,
    ("absorb", Y, S.AWAITING_REVIEW): S.AWAITING_REVIEW,
    # 承办人: a handler of the unit (or above it) or the dispatcher gives it to a person of the unit.
    ("assign", H, S.DISPATCHED): S.DISPATCHED,
    ("assign", H, S.IN_PROGRESS): S.IN_PROGRESS,
    ("assign", D, S.DISPATCHED): S.DISPATCHED,
    ("assign", D, S.IN_PROGRESS): S.IN_PROGRESS,
    # 回访: the rating by phone (with 5 stars: closed), and on a closed order a follow-up note.
    ("callback", OP, S.RESOLVED): S.CLOSED,
    ("callback", D, S.RESOLVED): S.CLOSED,
    ("callback", OP, S.CLOSED): S.CLOSED,
    ("callback", D, S.CLOSED): S.CLOSED,
}
ROLES_OF = {action: {role for (a, role, _) in ALLOWED if a == action} for action in ACTIONS}

VALID_PARAMS = {
    "auto_dispatch": {"unit": "lsq-cg"},
    "dispatch": {"unit": "cgj"},
    "reject": {"reason": "不属于受理范围"},
    "merge": {"into": "LY202611190001"},
    "sign": {},
    "return": {"reason": "不属于本单位职责"},
    "forward": {"unit": "lsq-xy"},
    "progress": {"note": "已到现场查看", "public": True},
    "request_extension": {"days": 2, "reason": "需协调施工队"},
    "approve_extension": {},
    "refuse_extension": {"note": "请按期办结"},
    "resolve": {"reply": "已清理完毕", "result_media": ["results/a.jpg"]},
    "approve": {},
    "send_back": {"reason": "答复不完整"},
    "rate": {"stars": 5, "comment": "很满意"},
    "auto_close": {},
    "priority": {"on": True},
    "co_handle": {"units": ["water"]},
    "instruction": {"note": "请尽快办理"},
    "reassign": {"unit": "cgj", "reason": "职责调整"},
    "publish": {"title": "小区垃圾清运不及时"},
    "unpublish": {},
    "absorb": {"merged": "LY202611200002"},
    "assign": {"assignee": "sub-wang"},
    "callback": {"reached": True, "stars": 5},
    "co_reply": {"reply": "已协调供水单位"},
    "answer": {"reply": "需携带身份证和户口簿"},  # at intake only (test_intake_roles_act_only_at_intake)
    **{action: {} for action in DEADLINE_ACTIONS},
}

DUE = dt.datetime(2026, 11, 27, 10, 0, tzinfo=CST)
PUBLISHED = {"published_at": NOW - dt.timedelta(days=1), "case_title": "垃圾清运"}


def cst(month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, 0, tzinfo=CST)


# Fields that make exactly one deadline action due at NOW (Friday 2026-11-20 10:00),
# each threshold counted by hand on the calendar (one working day = 9 office hours).
DUE_FIELDS = {
    # Signing limit passed an hour ago; the return comes a working day later.
    "remind_signing": {"sign_due_at": NOW - dt.timedelta(hours=1)},
    # Signing limit Wednesday 10:00, return after one more working day: Thursday 10:00.
    "return_unsigned": {"sign_due_at": cst(11, 18)},
    # 5 working days from Monday 16th 10:00 to Monday 23rd 10:00: 80% of it is Friday 10:00.
    "warn": {"due_from": cst(11, 16), "due_at": cst(11, 23)},
    # Due yesterday; red only on Monday (two working days after).
    "urge": {"due_from": cst(11, 12), "due_at": cst(11, 19)},
    # Due Tuesday 17th 10:00, red two working days later: Thursday 10:00.
    "supervise": {"due_from": cst(11, 10), "due_at": cst(11, 17)},
    # Resolved eight days ago, the rating period is seven.
    "auto_close": {"resolved_at": NOW - dt.timedelta(days=8)},
}


def make_order(state: State = S.SUBMITTED, **fields) -> WorkOrder:
    base = WorkOrder(
        "LY202611200001", "complaint", "sanitation", "220402001001",
        created_at=NOW - dt.timedelta(days=1), version=3, unit="lsq", due_at=DUE,
    )
    return dataclasses.replace(base, state=state, **fields)


def order_for(action: str, state: State) -> WorkOrder:
    """An order in ``state`` whose guards let ``action`` through when the state is right."""
    if action in ("approve_extension", "refuse_extension"):
        return make_order(state, pending_extension_days=2)
    if action == "unpublish":
        return make_order(state, **PUBLISHED)
    return make_order(state, **DUE_FIELDS.get(action, {}))


def ctx_with(**city_changes) -> Context:
    city = CITY.model_copy(update=city_changes)
    return Context(city, WorkingCalendar(city), NOW)


# ---- the full matrix ----------------------------------------------------------

def test_rules_name_exactly_the_actions_of_the_spec():
    assert set(RULES) == set(ACTIONS)


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("role", list(Role))
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_role_and_state(action, role, state):
    order = order_for(action, state)
    who = actor(role)
    expected = ALLOWED.get((action, role, state))
    if expected is not None:
        changed, event = apply(order, action, who, VALID_PARAMS[action], CTX)
        assert changed.state is expected
        assert (event.action, event.from_state, event.to_state) == (action, state, expected)
        assert changed.version == event.seq == order.version + 1
    elif role in ROLES_OF[action]:
        with pytest.raises(Conflict) as caught:
            apply(order, action, who, VALID_PARAMS[action], CTX)
        assert STATUS[caught.value.kind] == 409  # the one map of kinds to statuses (api/http.py)
    else:
        with pytest.raises(Forbidden) as caught:
            apply(order, action, who, VALID_PARAMS[action], CTX)
        assert STATUS[caught.value.kind] == 403  # the one map of kinds to statuses (api/http.py)


@pytest.mark.parametrize(("action", "role"), [("dispatch", Role.OPERATOR), ("answer", Role.OPERATOR), ("answer", D)])
def test_intake_roles_act_only_at_intake(action, role):
    """An operator dispatches or answers the order they take down, in its own step, and nothing later."""
    order, _ = open_order("LY202611200001", "consult", "other", None, actor(Role.OPERATOR), NOW)
    changed, event = apply(order, action, actor(role), VALID_PARAMS[action], CTX, at_intake=True)
    assert (event.action, event.actor.role, changed.state) == (action, role, RULES[action].target)
    with pytest.raises(Forbidden):
        apply(order, action, actor(role), VALID_PARAMS[action], CTX)
    assert action not in allowed_actions(order, actor(role), CTX)


def test_an_answer_rated_badly_goes_back_to_the_dispatcher():
    order, _ = open_order("LY202611200001", "consult", "other", None, actor(Role.OPERATOR), NOW)
    answered, _ = apply(order, "answer", actor(Role.OPERATOR), VALID_PARAMS["answer"], CTX, at_intake=True)
    assert (answered.reply, answered.resolved_at, answered.unit) == ("需携带身份证和户口簿", NOW, None)
    reopened, _ = apply(answered, "rate", actor(R), {"stars": 1}, CTX)
    assert (reopened.state, reopened.unit, reopened.round, reopened.resolved_at) == (S.SUBMITTED, None, 2, None)
    assert "dispatch" in allowed_actions(reopened, actor(D), CTX)


def _accepted_by_apply(order: WorkOrder, who: Actor) -> set[str]:
    accepted = set()
    for action in ACTIONS:
        try:
            apply(order, action, who, VALID_PARAMS[action], CTX)
        except DomainError:
            continue
        accepted.add(action)
    return accepted


# An order's situations besides its state: nothing special, an extension pending, or one
# deadline action due.
SITUATIONS = {"plain": {}, "pending": {"pending_extension_days": 2}, "published": PUBLISHED} | {
    f"{action}_due": fields for action, fields in DUE_FIELDS.items()
}


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("role", list(Role))
def test_allowed_actions_lists_exactly_what_apply_accepts(role, state, situation):
    order = make_order(state, **SITUATIONS[situation])
    who = actor(role)
    assert set(allowed_actions(order, who, CTX)) == _accepted_by_apply(order, who)


@pytest.mark.parametrize(
    ("state", "role", "situation", "expected"),
    [
        (S.SUBMITTED, D, "plain", {"dispatch", "reject", "merge", "priority"}),
        (S.SUBMITTED, Y, "plain", {"auto_dispatch"}),
        (S.DISPATCHED, H, "plain", {"sign", "return", "forward", "assign"}),
        (S.DISPATCHED, L, "plain", {"instruction", "reassign"}),
        (S.DISPATCHED, Y, "plain", set()),
        (S.DISPATCHED, Y, "remind_signing_due", {"remind_signing"}),
        (S.DISPATCHED, Y, "return_unsigned_due", {"return_unsigned"}),
        (S.DISPATCHED, Y, "supervise_due", {"supervise"}),
        (S.IN_PROGRESS, H, "plain", {"progress", "request_extension", "resolve", "assign"}),
        (S.IN_PROGRESS, H, "pending", {"progress", "resolve", "assign"}),
        (S.IN_PROGRESS, H, "urge_due", {"progress", "request_extension", "resolve", "assign"}),
        (S.IN_PROGRESS, D, "plain", {"priority", "co_handle", "assign"}),
        (S.IN_PROGRESS, D, "pending", {"approve_extension", "refuse_extension", "priority", "co_handle", "assign"}),
        (S.IN_PROGRESS, Role.OPERATOR, "plain", set()),
        (S.IN_PROGRESS, Y, "plain", set()),
        (S.IN_PROGRESS, Y, "remind_signing_due", set()),  # signed: no signing reminder
        (S.IN_PROGRESS, Y, "warn_due", {"warn"}),
        (S.IN_PROGRESS, Y, "urge_due", {"urge"}),
        (S.AWAITING_REVIEW, D, "plain", {"approve", "send_back", "priority"}),
        (S.AWAITING_REVIEW, Y, "supervise_due", set()),  # the unit has done its part
        (S.RESOLVED, R, "plain", {"rate"}),
        (S.RESOLVED, Y, "plain", set()),
        (S.RESOLVED, Y, "auto_close_due", {"auto_close"}),
        (S.CLOSED, L, "plain", set()),
        (S.RESOLVED, D, "plain", {"callback"}),
        (S.RESOLVED, OP, "plain", {"callback"}),  # an operator's one order action (回访)
        (S.IN_PROGRESS, OP, "plain", set()),
        (S.CLOSED, OP, "plain", {"callback"}),
        (S.CLOSED, D, "plain", {"publish", "callback"}),
        (S.CLOSED, D, "published", {"unpublish", "callback"}),
        (S.CLOSED, H, "published", set()),
        (S.CLOSED, Y, "auto_close_due", set()),
        (S.IN_PROGRESS, A, "plain", set()),
    ],
)
def test_allowed_actions_matches_the_spec(state, role, situation, expected):
    order = make_order(state, **SITUATIONS[situation])
    if role is Y and state in OPEN_STATES:
        expected = expected | {"absorb"}  # the main order's side of a merge: any open order
    assert set(allowed_actions(order, actor(role), CTX)) == expected


def test_unknown_action_is_invalid_input():
    with pytest.raises(InvalidInput):
        apply(make_order(), "delete", actor(D), {}, CTX)


# ---- effects and guards -------------------------------------------------------

def test_dispatch_starts_the_clock_with_the_category_limit():
    # complaint + sanitation: 5 working days from Friday 10:00.
    order = make_order(S.SUBMITTED, unit=None, due_at=None)
    changed, event = apply(order, "dispatch", actor(D), {"unit": "lsq-cg"}, CTX)
    assert (changed.unit, changed.dispatched_at) == ("lsq-cg", NOW)
    assert changed.due_at == dt.datetime(2026, 11, 27, 10, 0, tzinfo=CST)
    assert event.public


def test_return_takes_the_order_back_from_the_unit():
    order = make_order(S.DISPATCHED, co_units=("water",), dispatched_at=NOW)
    changed, _ = apply(order, "return", actor(H), {"reason": "不属于本单位"}, CTX)
    assert (changed.state, changed.unit, changed.co_units, changed.due_at) == (S.SUBMITTED, None, (), None)


def test_forward_keeps_the_deadline():
    changed, _ = apply(make_order(S.DISPATCHED), "forward", actor(H), {"unit": "lsq-xy"}, CTX)
    assert (changed.unit, changed.due_at, changed.dispatched_at) == ("lsq-xy", DUE, NOW)


@pytest.mark.parametrize("unit", ["lsq", "xaq-xc", "cgj", "nowhere", None])
def test_forward_only_to_a_unit_below(unit):
    with pytest.raises(InvalidInput):
        apply(make_order(S.DISPATCHED), "forward", actor(H), {"unit": unit}, CTX)


@pytest.mark.parametrize(
    ("action", "state", "params"),
    [
        ("reject", S.SUBMITTED, {}),
        ("merge", S.SUBMITTED, {}),
        ("merge", S.SUBMITTED, {"into": "LY202611200001"}),  # itself
        ("dispatch", S.SUBMITTED, {"unit": "nowhere"}),
        ("return", S.DISPATCHED, {"reason": "   "}),
        ("progress", S.IN_PROGRESS, {}),
        ("progress", S.IN_PROGRESS, {"note": ""}),
        ("request_extension", S.IN_PROGRESS, {"days": 2}),
        ("resolve", S.IN_PROGRESS, {}),
        ("resolve", S.IN_PROGRESS, {"reply": " \n "}),
        ("send_back", S.AWAITING_REVIEW, {}),
        ("instruction", S.DISPATCHED, {"note": None}),
        ("reassign", S.DISPATCHED, {"unit": "cgj"}),
        ("reassign", S.DISPATCHED, {"unit": "lsq", "reason": "同一单位"}),
        ("co_handle", S.DISPATCHED, {"units": ["nowhere"]}),
        ("co_handle", S.DISPATCHED, {"units": ["lsq"]}),
        ("co_handle", S.DISPATCHED, {"units": ["water", "water"]}),
        ("priority", S.DISPATCHED, {"on": "yes"}),
        ("publish", S.CLOSED, {"title": "   "}),
        ("publish", S.CLOSED, {"title": "长" * 61}),
        ("publish", S.CLOSED, {"title": 42}),
    ],
)
def test_missing_or_wrong_params_are_invalid_input(action, state, params):
    who = actor(next(iter(ROLES_OF[action])))
    with pytest.raises(InvalidInput) as caught:
        apply(make_order(state), action, who, params, CTX)
    assert STATUS[caught.value.kind] == 422  # the one map of kinds to statuses (api/http.py)


@pytest.mark.parametrize("days", [0, 4, -1, "2", 2.0, True, None])
def test_extension_days_must_be_one_to_three_working_days(days):
    with pytest.raises(InvalidInput):
        apply(make_order(S.IN_PROGRESS), "request_extension", actor(H), {"days": days, "reason": "r"}, CTX)


def test_only_one_extension_request_may_be_pending():
    order, _ = apply(make_order(S.IN_PROGRESS), "request_extension", actor(H), VALID_PARAMS["request_extension"], CTX)
    assert order.pending_extension_days == 2
    with pytest.raises(Conflict):
        apply(order, "request_extension", actor(H), VALID_PARAMS["request_extension"], CTX)


def test_no_more_extension_requests_after_the_maximum_is_approved():
    order = make_order(S.IN_PROGRESS)
    for _ in range(CITY.extensions.max_count):
        order, _ = apply(order, "request_extension", actor(H), {"days": 1, "reason": "r"}, CTX)
        order, _ = apply(order, "approve_extension", actor(D), {}, CTX)
    assert order.extensions_used == 3
    with pytest.raises(Conflict):
        apply(order, "request_extension", actor(H), {"days": 1, "reason": "r"}, CTX)


def test_refused_extensions_do_not_count():
    order = make_order(S.IN_PROGRESS)
    for _ in range(CITY.extensions.max_count + 1):
        order, _ = apply(order, "request_extension", actor(H), {"days": 1, "reason": "r"}, CTX)
        order, _ = apply(order, "refuse_extension", actor(D), {}, CTX)
    assert (order.extensions_used, order.pending_extension_days, order.due_at) == (0, None, DUE)


@pytest.mark.parametrize("action", ["approve_extension", "refuse_extension"])
def test_deciding_on_an_extension_needs_a_pending_request(action):
    with pytest.raises(Conflict):
        apply(make_order(S.IN_PROGRESS), action, actor(D), {}, CTX)


def test_approved_extension_moves_the_deadline_by_working_days():
    # Due Friday 2026-11-27 10:00; two working days later is Tuesday 2026-12-01 10:00.
    order = make_order(S.IN_PROGRESS, pending_extension_days=2)
    changed, event = apply(order, "approve_extension", actor(D), {}, CTX)
    assert changed.due_at == dt.datetime(2026, 12, 1, 10, 0, tzinfo=CST)
    assert (changed.extensions_used, changed.pending_extension_days) == (1, None)
    assert event.public


@pytest.mark.parametrize(
    ("handler_unit", "order_unit", "allowed"),
    [
        ("lsq-cg", "lsq-cg", True),
        ("lsq-xy", "lsq-xy-ls", True),  # a street acts on its community's orders
        ("lsq", "lsq-xy-ls", True),
        ("lsq-cg", "xaq-cg", False),
        ("lsq-xy-ls", "lsq-xy", False),  # not upwards
        ("lsq-xy", "lsq-nk-nk", False),  # not sideways
    ],
)
def test_handler_acts_only_within_its_unit(handler_unit, order_unit, allowed):
    order = make_order(S.DISPATCHED, unit=order_unit)
    who = actor(H, handler_unit)
    if allowed:
        assert apply(order, "sign", who, {}, CTX)[0].state is S.IN_PROGRESS
        assert "sign" in allowed_actions(order, who, CTX)
    else:
        with pytest.raises(Forbidden):
            apply(order, "sign", who, {}, CTX)
        assert allowed_actions(order, who, CTX) == []


def test_handler_without_unit_may_act_on_nothing():
    with pytest.raises(Forbidden):
        apply(make_order(S.DISPATCHED), "sign", Actor(H, "no-unit"), {}, CTX)


@pytest.mark.parametrize("stars", [1, 2])
def test_low_rating_reopens_the_order_for_a_new_round(stars):
    later = NOW + dt.timedelta(days=3)  # Monday 2026-11-23 10:00 in Liaoyuan
    order = make_order(S.RESOLVED, unit="lsq-cg", reply="已办", resolved_at=NOW, pending_extension_days=None)
    changed, event = apply(order, "rate", actor(R), {"stars": stars}, dataclasses.replace(CTX, now=later))
    assert changed.state is S.IN_PROGRESS
    assert (changed.round, changed.rating, changed.unit, changed.resolved_at) == (2, stars, "lsq-cg", None)
    # complaint + sanitation: 5 working days from Monday 10:00 → next Monday 10:00.
    assert changed.due_at == dt.datetime(2026, 11, 30, 10, 0, tzinfo=CST)
    assert (event.from_state, event.to_state) == (S.RESOLVED, S.IN_PROGRESS)


@pytest.mark.parametrize("stars", [3, 4, 5])
def test_good_rating_closes_the_order(stars):
    changed, _ = apply(make_order(S.RESOLVED), "rate", actor(R), {"stars": stars}, CTX)
    assert (changed.state, changed.rating, changed.closed_at, changed.round) == (S.CLOSED, stars, NOW, 1)


@pytest.mark.parametrize("stars", [0, 6, "5", True, None, 4.5])
def test_rating_must_be_one_to_five_stars(stars):
    with pytest.raises(InvalidInput):
        apply(make_order(S.RESOLVED), "rate", actor(R), {"stars": stars}, CTX)


def test_resolve_goes_to_review_when_the_city_requires_it():
    ctx = ctx_with(review_required=True)
    reviewed, event = apply(make_order(S.IN_PROGRESS), "resolve", actor(H), {"reply": "已修复"}, ctx)
    assert (reviewed.state, reviewed.reply, reviewed.resolved_at) == (S.AWAITING_REVIEW, "已修复", None)
    assert event.to_state is S.AWAITING_REVIEW
    approved, _ = apply(reviewed, "approve", actor(D), {}, ctx)
    assert (approved.state, approved.resolved_at) == (S.RESOLVED, NOW)
    sent_back, _ = apply(reviewed, "send_back", actor(D), {"reason": "不完整"}, ctx)
    assert (sent_back.state, sent_back.reply) == (S.IN_PROGRESS, None)


def test_resolve_without_review_resolves_at_once():
    changed, _ = apply(make_order(S.IN_PROGRESS), "resolve", actor(H), VALID_PARAMS["resolve"], CTX)
    assert (changed.state, changed.reply, changed.result_media) == (S.RESOLVED, "已清理完毕", ("results/a.jpg",))
    assert changed.resolved_at == NOW


def test_reassign_restarts_the_clock_at_the_new_unit():
    order = make_order(S.IN_PROGRESS, co_units=("water",), signed_at=NOW)
    changed, _ = apply(order, "reassign", actor(L), {"unit": "cgj", "reason": "职责调整"}, CTX)
    assert (changed.state, changed.unit, changed.co_units, changed.signed_at) == (S.DISPATCHED, "cgj", (), None)
    assert changed.due_at == dt.datetime(2026, 11, 27, 10, 0, tzinfo=CST)


def test_reassign_drops_the_old_units_pending_extension_request():
    order = make_order(S.IN_PROGRESS, pending_extension_days=2)
    changed, _ = apply(order, "reassign", actor(L), {"unit": "cgj", "reason": "职责调整"}, CTX)
    assert changed.pending_extension_days is None
    signed, _ = apply(changed, "sign", actor(H, "cgj"), {}, CTX)
    with pytest.raises(Conflict):
        apply(signed, "approve_extension", actor(D), {}, CTX)
    requested, _ = apply(signed, "request_extension", actor(H, "cgj"), {"days": 1, "reason": "r"}, CTX)
    assert requested.pending_extension_days == 1


# ---- the case library (典型案例库) ----------------------------------------------

def test_publish_records_when_and_under_which_title():
    changed, event = apply(make_order(S.CLOSED), "publish", actor(D), {"title": "  垃圾清运不及时  "}, CTX)
    assert (changed.state, changed.published_at, changed.case_title) == (S.CLOSED, NOW, "垃圾清运不及时")
    assert event.changes == {"published_at": NOW.isoformat(), "case_title": "垃圾清运不及时"}
    assert not event.public


@pytest.mark.parametrize(
    ("area", "title"),
    [("220402001001", "环境卫生（龙山社区）"), ("220403", "环境卫生（西安区）"), (None, "环境卫生")],
)
def test_publish_without_a_title_names_the_category_and_the_area(area, title):
    changed, _ = apply(make_order(S.CLOSED, area=area), "publish", actor(D), {}, CTX)
    assert changed.case_title == title


def test_publishing_twice_is_a_conflict_and_unpublishing_clears_the_case():
    published, _ = apply(make_order(S.CLOSED), "publish", actor(D), {}, CTX)
    with pytest.raises(Conflict):
        apply(published, "publish", actor(D), {}, CTX)
    withdrawn, _ = apply(published, "unpublish", actor(D), {}, CTX)
    assert (withdrawn.state, withdrawn.published_at, withdrawn.case_title) == (S.CLOSED, None, None)
    with pytest.raises(Conflict):
        apply(withdrawn, "unpublish", actor(D), {}, CTX)


def test_publish_and_unpublish_replay_from_the_trail():
    order, first = _opened()
    events = [first]
    for who, action, params in (
        (actor(D), "dispatch", {"unit": "heat"}),
        (actor(H, "heat"), "sign", {}),
        (actor(H, "heat"), "resolve", {"reply": "已修复"}),
        (actor(R), "rate", {"stars": 5}),
        (actor(D), "publish", {"title": "供暖不热"}),
    ):
        order, event = apply(order, action, who, params, CTX)
        events.append(event)
    assert replay(events) == order and order.published_at == NOW
    order, event = apply(order, "unpublish", actor(D), {}, CTX)
    assert replay([*events, event]) == order and order.published_at is None


# ---- the deadlines' system actions --------------------------------------------

SYSTEM_ALLOWED = sorted((a, state) for (a, role, state) in ALLOWED if a in DEADLINE_ACTIONS)


@pytest.mark.parametrize("situation", SITUATIONS)
@pytest.mark.parametrize(("action", "state"), SYSTEM_ALLOWED)
def test_a_deadline_action_is_taken_only_when_it_is_the_one_due(action, state, situation):
    order = make_order(state, **SITUATIONS[situation])
    if situation == f"{action}_due":
        assert apply(order, action, actor(Y), {}, CTX)[0].version == order.version + 1
    else:
        with pytest.raises(Conflict) as caught:
            apply(order, action, actor(Y), {}, CTX)
        assert caught.value.message == "尚未到期"


@pytest.mark.parametrize(
    ("action", "state", "expected"),
    [
        ("remind_signing", S.DISPATCHED, {"sign_reminded": True, "unit": "lsq"}),
        ("return_unsigned", S.DISPATCHED, {"unit": None, "sign_due_at": None, "due_at": None, "next_check_at": None}),
        ("warn", S.IN_PROGRESS, {"level": Level.WARNING, "supervised_at": None}),
        ("urge", S.DISPATCHED, {"level": Level.YELLOW, "supervised_at": None}),
        ("supervise", S.IN_PROGRESS, {"level": Level.RED, "supervised_at": NOW}),
        ("auto_close", S.RESOLVED, {"closed_at": NOW, "rating": None, "next_check_at": None}),
    ],
)
def test_deadline_actions_record_what_they_did(action, state, expected):
    order = make_order(state, **DUE_FIELDS[action])
    changed, event = apply(order, action, actor(Y), {}, CTX)
    assert {name: getattr(changed, name) for name in expected} == expected
    assert event.actor == actor(Y) and event.note
    # Each action moves the next check past its own threshold: it is not due again.
    assert deadlines.due_action(changed, CTX) is None
    assert changed.next_check_at == deadlines.next_check(changed, CTX)
    assert changed.next_check_at is None or changed.next_check_at > NOW


def test_approved_extension_takes_the_level_back_to_normal():
    order = make_order(S.IN_PROGRESS, **DUE_FIELDS["urge"], level=Level.YELLOW, pending_extension_days=3)
    changed, event = apply(order, "approve_extension", actor(D), {}, CTX)
    # Due Thursday 19th 10:00 + 3 working days = Tuesday 24th 10:00: no longer late.
    assert (changed.due_at, changed.level) == (cst(11, 24), Level.NORMAL)
    assert event.changes["level"] == "normal"


# ---- the audit trail ----------------------------------------------------------

def _opened():
    return open_order("LY202611200002", "help", "utilities", "220403001", actor(R), NOW)


def test_open_order_starts_a_trail_that_replays_to_it():
    order, event = _opened()
    assert (order.state, order.version, event.seq, event.from_state, event.to_state) == (
        S.SUBMITTED, 1, 1, None, S.SUBMITTED,
    )
    assert replay([event]) == order


def test_replay_refuses_a_gap_in_the_trail():
    order, first = _opened()
    second_order, second = apply(order, "dispatch", actor(D), {"unit": "heat"}, CTX)
    _, third = apply(second_order, "sign", actor(H, "heat"), {}, CTX)
    with pytest.raises(ValueError, match="gap"):
        replay([first, third])
    with pytest.raises(ValueError, match="gap"):
        replay([second, third])


def test_replay_refuses_an_empty_trail():
    with pytest.raises(ValueError, match="empty"):
        replay([])




@settings(max_examples=200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(review_required=st.booleans(), kind=st.sampled_from(KINDS), steps=st.integers(min_value=1, max_value=40),
       rnd=st.randoms(use_true_random=True))
def test_random_sequences_keep_the_trail_and_the_order_in_step(review_required, kind, steps, rnd):
    city = CITY.model_copy(update={"review_required": review_required})
    calendar = WorkingCalendar(city)
    order, first = open_order("LY202611200002", *kind, "220403001", actor(R), NOW)
    events = [first]
    now = NOW
    for _ in range(steps):
        now += rnd.choice(CLOCK_STEPS)
        ctx = Context(city, calendar, now)
        # Mostly an action some actor is offered, so that sequences get far; else anything at all.
        offered = [(who, action) for who in STEP_ACTORS for action in allowed_actions(order, who, ctx)]
        if offered and rnd.random() < 0.75:
            who, action = rnd.choice(offered)
        else:
            who, action = rnd.choice(STEP_ACTORS), rnd.choice(ACTIONS)
        params = rnd.choice(STEP_PARAMS[action])
        due = deadlines.due_action(order, ctx)
        try:
            changed, event = apply(order, action, who, params, ctx)
        except (InvalidInput, Forbidden, Conflict):
            assert replay(events) == order
            continue
        if action in DEADLINE_ACTIONS:
            assert action == due
        assert changed.version == order.version + 1 == event.seq
        assert (event.from_state, event.to_state, event.at) == (order.state, changed.state, ctx.now)
        # The order always knows when it next needs the sweep (the index is keyed on it).
        assert changed.next_check_at == deadlines.next_check(changed, ctx)
        events.append(event)
        order = changed
        # Level, thresholds and next check included: the trail alone gives the order back.
        assert replay(events) == order
    assert order.version == len(events)
