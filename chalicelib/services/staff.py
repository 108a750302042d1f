"""What staff do: list the queue, open an order, act on it.

A handler sees its own unit's orders and those of the units below it, and those
they co-handle (协办: ``?involvement=co`` lists them); any other order answers 404,
as if it did not exist. Every change goes through the
lifecycle's ``apply`` and is stored with its audit event in one transaction,
on condition that nobody changed the order since the version the actor saw.
"""
from __future__ import annotations

import datetime as dt

from chalicelib import storage
from chalicelib.answers import ActionResult, QueuePage, StaffDetail
from chalicelib.commands.queries import StaffListQuery
from chalicelib.domain.codes import parse_tracking_number
from chalicelib.domain.errors import Conflict, InvalidInput, NotFound, StaleWrite
from chalicelib.domain.lifecycle import HANDLING_STATES, OPEN_STATES, Actor, Role, State, check, relation
from chalicelib.domain.reports import StoredOrder
from chalicelib.observability import count, logger
from chalicelib.services import changes, runtime, views

def _order(tracking_no: str):
    canonical = parse_tracking_number(tracking_no)
    return storage.get_order(canonical) if canonical else None


def _visible(actor: Actor, tracking_no: str):
    stored = _order(tracking_no)
    if stored is None:
        raise NotFound("工单不存在")
    if relation(stored.order, actor, runtime.city()) is None:
        raise NotFound("工单不存在")
    return stored


def list_orders(actor: Actor, query: StaffListQuery) -> QueuePage:
    return views.queue_page(queue_page(actor, query), runtime.city())


def queue_page(actor: Actor, query: StaffListQuery) -> storage.Page:
    """The orders ``query`` selects among those ``actor`` may see, in the order it asks (the queue, the CSV export)."""
    flt = _filter(actor, query)
    if flt is None:
        return storage.Page([], None)
    return storage.list_orders(flt, [s.value for s in State], query.cursor, query.limit, query.sort)


def _filter(actor: Actor, query: StaffListQuery) -> storage.ListFilter | None:
    """None when the actor can see none of what is asked."""
    city = runtime.city()
    problems = {}
    for name, value, known in (
        ("state", query.state, {s.value for s in State}),
        ("unit", query.unit, city.unit_by_code),
        ("category", query.category, city.category_by_code),
        ("area", query.area, city.area_parent),
        ("type", query.type, city.type_by_code),
    ):
        if value is not None and value not in known:
            problems[name] = "不存在"
    if query.created_from and query.created_to and query.created_from > query.created_to:
        problems["from"] = "开始日期晚于结束日期"
    if problems:
        raise InvalidInput("筛选条件有误", problems)

    units = city.unit_subtree(query.unit) if query.unit else set()
    if actor.role is Role.HANDLER:
        scope = city.unit_subtree(actor.unit)
        units = units & scope if query.unit else scope
        if not units:
            return None
    main, co = query.involvement != "co", query.involvement != "main"
    # A co-unit's partition per unit asked about (or, for the command centre, per unit of the city).
    co_units = (units or {u.code for u in city.units}) if co else set()
    return storage.ListFilter(
        main=main,
        co_units=frozenset(co_units),
        states=_states(query),
        units=frozenset(units),
        categories=frozenset({query.category} if query.category else ()),
        areas=frozenset(city.area_subtree(query.area) if query.area else ()),
        types=frozenset({query.type} if query.type else ()),
        levels=frozenset({query.level} if query.level else ()),
        verified=query.verified,
        assignees=frozenset({actor.id if query.assignee == "me" else query.assignee} if query.assignee else ()),
        priority=query.priority,
        created_from=_day_start(query.created_from, city),
        created_to=_day_start(query.created_to, city, days_after=1),
    )


def _states(query: StaffListQuery) -> frozenset[str]:
    if query.state:
        return frozenset({query.state})
    if query.level:
        # A level filter asks about work in hand (?level=red is the leaders' list): an order
        # that was red and is now resolved keeps its colour as history, not on the list.
        return frozenset(s.value for s in HANDLING_STATES)
    return frozenset()


def _day_start(day: dt.date | None, city, days_after: int = 0) -> dt.datetime | None:
    """Midnight ``days_after`` days after ``day`` in the city's time, as UTC.

    None when there is no day, or when that midnight lies past either end of the calendar
    (from=0001-01-01 is before year 1 in UTC, to=9999-12-31 ends after 9999): no bound.
    """
    if day is None:
        return None
    try:
        midnight = dt.datetime.combine(day + dt.timedelta(days=days_after), dt.time.min, tzinfo=city.zone)
        return midnight.astimezone(dt.timezone.utc)
    except OverflowError:
        return None


def detail(actor: Actor, tracking_no: str) -> StaffDetail:
    stored = _visible(actor, tracking_no)
    order = stored.order
    return views.staff_detail(stored.report, order, storage.trail(order.tracking_no), actor, runtime.domain_context())


_STALE = {"version": "工单已被他人修改"}


def act(actor: Actor, tracking_no: str, action) -> ActionResult:
    stored = _visible(actor, tracking_no)
    order = stored.order
    if action.version != order.version:
        raise Conflict(
            "工单已被他人修改，请刷新后重试", {"version": f"当前版本为 {order.version}"}
        )
    ctx = runtime.domain_context()
    params = action.model_dump(exclude={"action", "version"})
    # Role and state first (403/409): what the parameters name is looked at only for an
    # action that may be taken. Otherwise a refused caller could learn from the answer
    # whether an order it cannot see exists (merge), or make us copy uploads (resolve).
    check(order, action.action, actor, ctx)
    try:
        changed = changes.take(stored, action.action, actor, params, ctx)
    except StaleWrite as exc:
        # Someone wrote between our read and our write: the caller's version is stale too.
        # (The result photos' copies stay: their keys are the ones a retry of this resolve uses,
        # and those a concurrent identical resolve, which may have won, points at.)
        raise Conflict(exc.message, dict(_STALE)) from None
    count("OrderAction")
    logger.info(
        "order action",
        tracking_no=order.tracking_no,
        action=action.action,
        role=actor.role.value,
        from_state=order.state.value,
        to_state=changed.state.value,
    )
    return views.action_result(changed, ctx.city)
