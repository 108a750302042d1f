"""Co-handling (协办) in the domain: how a handler stands to an order, the co-units' replies and what
ends them, the co-units' SMS, their figures and their queue items."""
from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from chalicelib.domain import stats
from chalicelib.domain.actions import Relation
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput
from chalicelib.domain.lifecycle import (
    Actor,
    Role,
    State,
    WorkOrder,
    allowed_actions,
    apply,
    pending_co_units,
    relation,
    replay,
    open_order,
)
from chalicelib.domain.notices import notices_for
from tests.domain.lifecycle_cases import CITY, CTX, NOW

S = State
D = Actor(Role.DISPATCHER, "test-dispatcher")
MAIN = Actor(Role.HANDLER, "test-cg", "lsq-cg")  # 龙山区城市管理局, the main unit
ABOVE_MAIN = Actor(Role.HANDLER, "test-lsq", "lsq")  # 龙山区, above it
WATER = Actor(Role.HANDLER, "test-water", "water")
XAQ = Actor(Role.HANDLER, "test-xaq", "xaq")  # 西安区, above the co-units xaq-cg and xaq-xc
OUTSIDER = Actor(Role.HANDLER, "test-heat", "heat")


def make_order(state: State = S.IN_PROGRESS, **fields) -> WorkOrder:
    base = WorkOrder(
        "LY202611200001", "complaint", "sanitation", "220402001001", created_at=NOW - dt.timedelta(days=1),
        state=state, version=3, unit="lsq-cg", co_units=("water", "xaq-cg"),
        due_from=NOW - dt.timedelta(days=1), due_at=NOW + dt.timedelta(days=5), signed_at=NOW,
    )
    return dataclasses.replace(base, **fields)


@pytest.mark.parametrize(
    ("who", "expected"),
    [(MAIN, Relation.MAIN), (ABOVE_MAIN, Relation.MAIN), (WATER, Relation.CO), (XAQ, Relation.CO),
     (OUTSIDER, None), (D, Relation.MAIN), (Actor(Role.HANDLER, "test-none"), None)],
)
def test_the_actor_stands_to_the_order_as_main_co_or_not_at_all(who, expected):
    assert relation(make_order(), who, CITY) is expected


def test_a_co_unit_handler_is_offered_progress_and_co_reply_and_refused_the_rest():
    order = make_order()
    assert set(allowed_actions(order, WATER, CTX)) == {"progress", "co_reply"}
    assert "co_reply" not in allowed_actions(order, MAIN, CTX)
    with pytest.raises(Forbidden, match="协办单位不能执行"):
        apply(order, "resolve", WATER, {"reply": "已办"}, CTX)
    with pytest.raises(Forbidden, match="不属于本单位"):
        apply(order, "co_reply", OUTSIDER, {"reply": "x"}, CTX)


def test_a_co_reply_is_kept_per_co_unit_and_replaced_by_the_next():
    order, _ = apply(make_order(), "co_reply", WATER, {"reply": "管线正常"}, CTX)
    order, event = apply(order, "co_reply", WATER, {"reply": "阀门已换"}, CTX)
    assert order.co_replies == {"water": "阀门已换"}
    assert pending_co_units(order) == ["xaq-cg"]
    assert event.note == "辽源市供水公司协办意见：阀门已换" and not event.public


def test_a_handler_above_several_co_units_names_the_one_it_answers_for():
    order = make_order(co_units=("xaq-cg", "xaq-xc"))
    with pytest.raises(InvalidInput) as refused:
        apply(order, "co_reply", XAQ, {"reply": "已协调"}, CTX)
    assert set(refused.value.fields) == {"unit"}
    with pytest.raises(InvalidInput):
        apply(order, "co_reply", XAQ, {"reply": "已协调", "unit": "water"}, CTX)
    changed, _ = apply(order, "co_reply", XAQ, {"reply": "已协调", "unit": "xaq-xc"}, CTX)
    assert changed.co_replies == {"xaq-xc": "已协调"}
    # With one co-unit below it, that one.
    changed, _ = apply(make_order(), "co_reply", XAQ, {"reply": "已协调"}, CTX)
    assert changed.co_replies == {"xaq-cg": "已协调"}


def test_resolve_with_a_reply_pending_needs_a_note_or_waits_where_the_city_says():
    order = make_order(co_replies={"water": "正常"})
    with pytest.raises(InvalidInput) as refused:
        apply(order, "resolve", MAIN, {"reply": "已办"}, CTX)
    assert set(refused.value.fields) == {"co_pending_note"}
    resolved, _ = apply(order, "resolve", MAIN, {"reply": "已办", "co_pending_note": "西安区未复"}, CTX)
    assert resolved.state is S.RESOLVED and resolved.co_pending_note == "西安区未复"
    strict = dataclasses.replace(CTX, city=CITY.model_copy(update={"co_reply_required": True}))
    with pytest.raises(Conflict, match="西安区城市管理局"):
        apply(order, "resolve", MAIN, {"reply": "已办", "co_pending_note": "x"}, strict)
    assert "resolve" not in allowed_actions(order, MAIN, strict)
    done = make_order(co_replies={"water": "正常", "xaq-cg": "配合"})
    resolved, _ = apply(done, "resolve", MAIN, {"reply": "已办"}, strict)
    assert resolved.co_pending_note is None


def test_a_new_round_or_a_new_unit_starts_without_the_old_replies():
    order = make_order(co_replies={"water": "正常"})
    resolved, _ = apply(order, "resolve", MAIN, {"reply": "已办", "co_pending_note": "未复"}, CTX)
    reopened, _ = apply(resolved, "rate", Actor(Role.RESIDENT, "resident"), {"stars": 1}, CTX)
    assert reopened.co_replies is None and reopened.co_pending_note is None and reopened.co_units == order.co_units
    reassigned, _ = apply(order, "reassign", Actor(Role.LEADER, "test-leader"), {"unit": "cgj", "reason": "调整"}, CTX)
    assert reassigned.co_units == () and reassigned.co_replies is None


def test_dropping_a_co_unit_drops_its_reply_and_forwarding_to_one_makes_it_the_main_unit():
    order = make_order(co_replies={"water": "正常", "xaq-cg": "配合"})
    changed, _ = apply(order, "co_handle", D, {"units": ["xaq-cg"]}, CTX)
    assert changed.co_replies == {"xaq-cg": "配合"}
    dispatched = make_order(S.DISPATCHED, unit="lsq", co_units=("lsq-cg", "water"), co_replies={"lsq-cg": "x"})
    forwarded, _ = apply(dispatched, "forward", ABOVE_MAIN, {"unit": "lsq-cg"}, CTX)
    assert forwarded.unit == "lsq-cg" and forwarded.co_units == ("water",) and forwarded.co_replies is None


def test_the_replies_replay_from_the_trail():
    order, first = open_order("LY202611200009", "complaint", "sanitation", None, Actor(Role.RESIDENT, "r"), NOW)
    events = [first]
    steps = [
        ("dispatch", D, {"unit": "lsq-cg"}), ("sign", MAIN, {}), ("co_handle", D, {"units": ["water"]}),
        ("co_reply", WATER, {"reply": "正常"}), ("resolve", MAIN, {"reply": "已办"}),
    ]
    for action, who, params in steps:
        order, event = apply(order, action, who, params, CTX)
        events.append(event)
    assert replay(events) == order


def test_only_the_co_units_just_added_hear_of_it():
    before = make_order(co_units=("water",))
    after, event = apply(before, "co_handle", D, {"units": ["water", "heat"]}, CTX)
    notices = notices_for(event, after, CITY, has_contact=True, before=before)
    assert [(n.template, n.audience) for n in notices] == [("staff_co_handle", "unit:heat")]


def test_a_co_unit_counts_the_order_co_handled_on_its_own_row():
    order = make_order()
    found = stats.contributions(order, CITY.zone)
    day = order.created_at.astimezone(CITY.zone).date()
    assert found[stats.TallyKey(day, "unit", "water")] == {"co_handled": 1}
    assert "co_handled" not in found[stats.TallyKey(day, "unit", "lsq-cg")]
    assert "co_handled" not in found[stats.TallyKey(day, "all", stats.ALL)]
    dropped = dataclasses.replace(order, co_units=("xaq-cg",))
    assert stats.deltas(order, dropped, CITY.zone) == {stats.TallyKey(day, "unit", "water"): {"co_handled": -1}}

