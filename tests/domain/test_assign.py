"""Assignment to a person of the unit (承办人): who, to whom, and what leaving the unit does."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.city import load_city
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.domain.lifecycle import Actor, Context, Role, State, WorkOrder, apply, open_order, replay

S = State
CITY = load_city("liaoyuan.yaml")
NOW = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc)  # Friday 10:00 in Liaoyuan
# The people of the order's unit, as the service reads them from the identity provider.
CTX = Context(CITY, WorkingCalendar(CITY), NOW, people={"sub-wang": "王五", "sub-zhao": "赵六"})


def make_order(state: State, **fields) -> WorkOrder:
    return WorkOrder(
        "LY202611200001", "complaint", "sanitation", "220402001001", created_at=NOW - dt.timedelta(days=1),
        state=state, version=3, unit="lsq", due_from=NOW - dt.timedelta(days=1), due_at=NOW + dt.timedelta(days=5),
        **fields,
    )


def actor(role: Role, unit: str | None = None) -> Actor:
    return Actor(role, f"test-{role}", unit or ("lsq" if role is Role.HANDLER else None))


def assigned(state=S.IN_PROGRESS, **fields):
    return make_order(state, assignee_id="sub-wang", assignee_name="王五", **fields)


def test_assign_records_the_person_and_names_them_on_the_trail():
    changed, event = apply(make_order(S.DISPATCHED), "assign", actor(Role.HANDLER), {"assignee": "sub-zhao"}, CTX)
    assert (changed.assignee_id, changed.assignee_name, changed.state) == ("sub-zhao", "赵六", S.DISPATCHED)
    assert event.note == "交由赵六承办" and not event.public  # staff names are not the resident's business
    assert {"assignee_id": "sub-zhao", "assignee_name": "赵六"}.items() <= event.changes.items()


def test_reassigning_within_the_unit_is_the_same_action():
    changed, _ = apply(assigned(), "assign", actor(Role.DISPATCHER), {"assignee": "sub-zhao"}, CTX)
    assert (changed.assignee_id, changed.assignee_name) == ("sub-zhao", "赵六")


@pytest.mark.parametrize("assignee", ["sub-nobody", "", "   ", None, 42])
def test_someone_not_of_the_unit_is_refused_on_the_field(assignee):
    with pytest.raises(InvalidInput) as caught:
        apply(make_order(S.IN_PROGRESS), "assign", actor(Role.HANDLER), {"assignee": assignee}, CTX)
    assert set(caught.value.fields) == {"assignee"}


def test_without_the_units_people_read_nobody_can_be_assigned():
    unread = dataclasses.replace(CTX, people=None)
    with pytest.raises(InvalidInput):
        apply(make_order(S.IN_PROGRESS), "assign", actor(Role.HANDLER), {"assignee": "sub-wang"}, unread)


def test_the_same_person_again_is_refused():
    with pytest.raises(InvalidInput):
        apply(assigned(), "assign", actor(Role.HANDLER), {"assignee": "sub-wang"}, CTX)


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.LEADER, Role.ADMIN])
def test_others_may_not_assign(role):
    with pytest.raises(Forbidden):
        apply(make_order(S.IN_PROGRESS), "assign", actor(role), {"assignee": "sub-wang"}, CTX)


def test_a_handler_of_another_unit_may_not_assign():
    with pytest.raises(Forbidden):
        apply(make_order(S.IN_PROGRESS), "assign", actor(Role.HANDLER, "xaq"), {"assignee": "sub-wang"}, CTX)


@pytest.mark.parametrize(
    ("state", "action", "who", "params"),
    [
        (S.DISPATCHED, "forward", Role.HANDLER, {"unit": "lsq-xy"}),
        (S.DISPATCHED, "return", Role.HANDLER, {"reason": "不属于本单位"}),
        (S.IN_PROGRESS, "reassign", Role.LEADER, {"unit": "cgj", "reason": "职责调整"}),
    ],
)
def test_leaving_the_unit_leaves_the_person(state, action, who, params):
    changed, _ = apply(assigned(state), action, actor(who), params, CTX)
    assert (changed.assignee_id, changed.assignee_name) == (None, None)


def test_redone_after_a_bad_rating_stays_with_the_person():
    changed, _ = apply(assigned(S.RESOLVED, resolved_at=NOW), "rate", actor(Role.RESIDENT), {"stars": 1}, CTX)
    assert (changed.state, changed.assignee_id) == (S.IN_PROGRESS, "sub-wang")


def test_the_trail_replays_to_the_assignee():
    order, first = open_order("LY202611200009", "complaint", "sanitation", None, actor(Role.RESIDENT), NOW)
    events = [first]
    for action, who, params in [
        ("dispatch", Role.DISPATCHER, {"unit": "lsq"}),
        ("assign", Role.HANDLER, {"assignee": "sub-wang"}),
        ("sign", Role.HANDLER, {}),
        ("assign", Role.HANDLER, {"assignee": "sub-zhao"}),
    ]:
        order, event = apply(order, action, actor(who), params, CTX)
        events.append(event)
    assert replay(events) == order and order.assignee_name == "赵六"
