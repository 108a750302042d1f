"""The lifecycle of a work order (工单): every state, every transition, who may take it.

    submitted ──auto_dispatch / dispatch──▶ dispatched ──sign──▶ in_progress ──resolve──▶ resolved ──rate 3–5 / auto_close──▶ closed
        │  ▲                                  │    │                 │  ▲  │                           │
        │  └──────────────return──────────────┘    forward           │  │  └▶ awaiting_review ──approve┘ (when the city requires review)
        ├──reject──▶ rejected                                        │  └──────send_back───────┘
        └──merge───▶ merged (并单; also from dispatched)              └◀──────────── rate 1–2 (不满意重办) ──── resolved

A merge changes two orders at once: the merged one goes to ``merged``, and the
main one (any open state) records it among its ``followers`` (``absorb``), whose
residents then hear what the main one's resident hears.

plus actions that keep the state: progress, request/approve/refuse_extension,
priority, co_handle, instruction; and reassign (leader) back to dispatched.
A callback (回访, operator or dispatcher) on a resolved order is the resident's rating
taken by phone, with the rating's effect (and, where the city supervises the dissatisfied,
1–2 stars put the order on the red list at once); tries that reach nobody are counted, and
the city's ``callback_attempts`` of them close it unrated. On a closed order it is a note.
An information-only request (表扬) has no deadline: signing it closes it, and unsigned it
closes by itself (auto_close from dispatched).
A closed order may be published to the case library (典型案例库) by the
dispatcher, and unpublished again; neither changes its state.

``apply`` checks the actor's role (403), the order's state and guards (409) and
the parameters (422), then returns the new order and the event that records the
change. The event's ``changes`` hold every field that changed, so the audit trail
alone replays to the order (``replay``).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from chalicelib.city import City
from chalicelib.domain import deadlines
from chalicelib.domain.actions import (
    NEW_ORDER, Action, Audience, Effect, Guard, Input, Kind, Lookup, Notify, Outcome, Relation, Rule,
)
from chalicelib.domain.bounds import CASE_TITLE_MAX, CODE_MAX, EXTENSION_DAYS_MAX, MAX_STARS, MIN_STARS, SATISFIED_FROM
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput
from chalicelib.domain.orders import (  # noqa: F401 - the lifecycle's vocabulary, re-exported
    DISSATISFIED,
    HANDLING_STATES,
    OPEN_STATES,
    OVERDUE,
    PUBLIC_STATUS,
    RATED_BY_CALLBACK,
    RATED_ONLINE,
    RESIDENT,
    DATETIME_FIELDS,
    ROLE_LABELS,
    STATE_LABELS,
    SYSTEM,
    TUPLE_FIELDS,
    Actor,
    Context,
    Event,
    Level,
    Role,
    State,
    WorkOrder,
)




# ---- effects --------------------------------------------------------------

def _text(params: Mapping[str, Any], name: str, label: str) -> str:
    value = params.get(name)
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"请填写{label}", {name: f"请填写{label}"})
    return value.strip()


def _unit(params: Mapping[str, Any], ctx: Context, name: str = "unit") -> str:
    code = params.get(name)
    if not isinstance(code, str) or code not in ctx.city.unit_by_code:
        raise InvalidInput("承办单位不存在", {name: "承办单位不存在"})
    return code


def _handling_starts(order: WorkOrder, unit: str, ctx: Context) -> dict[str, Any]:
    """A unit gets the order with a fresh handling limit (dispatch, reassignment, 重办)."""
    if deadlines.information_only(order, ctx):
        return _arrives_at(order, unit, ctx) | {"due_from": None, "due_at": None, "level": Level.NORMAL}
    limit = ctx.city.time_limit(order.type, order.category)
    return _arrives_at(order, unit, ctx) | {
        "due_from": ctx.now,
        "due_at": ctx.calendar.due(ctx.now, limit),
        "level": Level.NORMAL,
    }


_UNASSIGNED = {"assignee_id": None, "assignee_name": None}


def _arrives_at(order: WorkOrder, unit: str, ctx: Context) -> dict[str, Any]:
    """The order reaches ``unit``, which must sign for it within the signing limit (information, 表扬:
    none); a person of another unit no longer handles it."""
    informed = deadlines.information_only(order, ctx)
    return ({} if unit == order.unit else _UNASSIGNED) | {
        "unit": unit,
        "dispatched_at": ctx.now,
        "sign_due_at": None if informed else ctx.calendar.due(ctx.now, ctx.city.deadlines.signing_limit),
        "sign_reminded": False,
        "signed_at": None,
    }


# A new unit, or a new round, starts without the co-units' replies of the old one.
_NO_CO_REPLIES = {"co_replies": None, "co_pending_note": None}

_OFF_THE_CLOCK = {
    "unit": None,
    "co_units": (),
    **_NO_CO_REPLIES,
    "dispatched_at": None,
    "sign_due_at": None,
    "sign_reminded": False,
    "due_from": None,
    "due_at": None,
    "level": Level.NORMAL,
    **_UNASSIGNED,
}


def _unit_name(ctx: Context, code: str) -> str:
    return ctx.city.unit_by_code[code].name


def _dispatch(order, actor, params, ctx):
    unit = _unit(params, ctx)
    return Outcome(_handling_starts(order, unit, ctx), note=f"派至{_unit_name(ctx, unit)}", public=True)


def _reject(order, actor, params, ctx):
    reason = _text(params, "reason", "不予受理的理由")
    return Outcome({"closed_at": ctx.now}, note=reason, public=True)


def _merge(order, actor, params, ctx):
    into = _text(params, "into", "主工单编号")
    if into == order.tracking_no:
        raise InvalidInput("不能并入自身", {"into": "不能并入自身"})
    # Merged before a unit signed for it: the unit's clock stops, the main order is the work.
    return Outcome({**_OFF_THE_CLOCK, "merged_into": into, "closed_at": ctx.now}, note=f"并入{into}", public=True)


def _absorb(order, actor, params, ctx):
    """The other side of a merge: the main order takes the merged one's resident as a follower."""
    merged = _text(params, "merged", "被并工单编号")
    if merged in order.followers:
        raise Conflict(f"{merged}已并入本工单")
    return Outcome({"followers": (*order.followers, merged)}, note=f"{merged}并入本工单")


def _sign(order, actor, params, ctx):
    if deadlines.information_only(order, ctx):
        # 表扬: the unit has read it; there is nothing to handle.
        note = f"{_unit_name(ctx, order.unit)}已签收，阅知归档"
        return Outcome({"signed_at": ctx.now, "closed_at": ctx.now}, to_state=State.CLOSED, note=note, public=True)
    return Outcome({"signed_at": ctx.now}, note=f"{_unit_name(ctx, order.unit)}已签收", public=True)


def _return(order, actor, params, ctx):
    reason = _text(params, "reason", "退单理由")
    return Outcome(dict(_OFF_THE_CLOCK), note=reason)


def _return_unsigned(order, actor, params, ctx):
    note = f"{_unit_name(ctx, order.unit)}超时未签收，退回重新派单"
    return Outcome(dict(_OFF_THE_CLOCK), note=note)


def _forward(order, actor, params, ctx):
    unit = _unit(params, ctx)
    if unit == order.unit or not ctx.city.is_within(unit, order.unit):
        raise InvalidInput("只能转派给下级单位", {"unit": "只能转派给下级单位"})
    # The handling deadline stays (its clock started at dispatch); the signing one restarts. A co-unit
    # it goes to handles it now: it helps no longer.
    changes = _arrives_at(order, unit, ctx)
    if unit in order.co_units:
        replies = {u: r for u, r in (order.co_replies or {}).items() if u != unit} or None
        changes |= {"co_units": tuple(u for u in order.co_units if u != unit), "co_replies": replies}
    return Outcome(changes, note=f"转派至{_unit_name(ctx, unit)}")


def _progress(order, actor, params, ctx):
    return Outcome(note=_text(params, "note", "办理进展"), public=bool(params.get("public")))


def _extension_can_be_requested(order, ctx):
    if order.pending_extension_days is not None:
        return "已有待审批的延期申请"
    if order.extensions_used >= ctx.city.extensions.max_count:
        return f"延期次数已达上限（{ctx.city.extensions.max_count}次）"
    return None


def _extension_is_pending(order, ctx):
    return None if order.pending_extension_days is not None else "没有待审批的延期申请"


def _request_extension(order, actor, params, ctx):
    days = params.get("days")
    most = ctx.city.extensions.max_working_days
    if not isinstance(days, int) or isinstance(days, bool) or not 1 <= days <= most:
        raise InvalidInput(f"延期天数须为1至{most}个工作日", {"days": f"1至{most}个工作日"})
    return Outcome({"pending_extension_days": days}, note=_text(params, "reason", "延期理由"))


def _approve_extension(order, actor, params, ctx):
    due = ctx.calendar.add_working_days(order.due_at, order.pending_extension_days)
    return Outcome(
        {
            "due_at": due,
            "level": Level.NORMAL,  # the new deadline is judged afresh
            "extensions_used": order.extensions_used + 1,
            "pending_extension_days": None,
        },
        note=f"同意延期{order.pending_extension_days}个工作日",
        public=True,
    )


def _refuse_extension(order, actor, params, ctx):
    return Outcome({"pending_extension_days": None}, note=params.get("note") or "不同意延期")


def pending_co_units(order: WorkOrder) -> list[str]:
    """The co-units that have not given their part of the answer this round."""
    return [u for u in order.co_units if u not in (order.co_replies or {})]


def _co_replies_in(order, ctx):
    """Where the city requires them, the main unit resolves only once every co-unit has replied."""
    pending = pending_co_units(order)
    if ctx.city.co_reply_required and pending:
        return f"协办单位尚未回复：{'、'.join(_unit_name(ctx, u) for u in pending)}"
    return None


def _resolve(order, actor, params, ctx):
    reply = _text(params, "reply", "办理结果答复")
    media = tuple(params.get("result_media") or ())
    # Resolving without a co-unit's part says why (the command centre reads it, the resident does not).
    note = None
    if pending_co_units(order):
        note = _text(params, "co_pending_note", "协办单位未回复的说明")
    changes = {"reply": reply, "result_media": media, "co_pending_note": note}
    if ctx.city.review_required:
        return Outcome(changes, to_state=State.AWAITING_REVIEW, note=reply)
    return Outcome(changes | {"resolved_at": ctx.now}, note=reply, public=True)


def _answer(order, actor, params, ctx):
    """当场答复: the operator answered the caller on the line; resolved, to be rated and closed as any."""
    reply = _text(params, "reply", "答复内容")
    return Outcome({"reply": reply, "resolved_at": ctx.now}, note=f"当场答复：{reply}", public=True)


def _approve(order, actor, params, ctx):
    return Outcome({"resolved_at": ctx.now}, note=order.reply, public=True)


def _send_back(order, actor, params, ctx):
    return Outcome({"reply": None, "result_media": ()}, note=_text(params, "reason", "退回理由"))


def _stars(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not MIN_STARS <= value <= MAX_STARS:
        raise InvalidInput(f"评价须为{MIN_STARS}至{MAX_STARS}星", {"stars": f"{MIN_STARS}至{MAX_STARS}星"})
    return value


def _comment(params: Mapping[str, Any]) -> str | None:
    return (params.get("comment") or "").strip() or None


def _rated(order: WorkOrder, stars: int, comment: str | None, source: str, ctx: Context) -> Outcome:
    """A rating's effect, whether the resident rated online or told a callback (回访) by phone."""
    if stars < SATISFIED_FROM and order.unit is None:
        # Answered at intake (当场答复), no unit had it: back to the dispatcher for one.
        changes = _OFF_THE_CLOCK | {"rating": stars, "rating_source": source, "round": order.round + 1, "resolved_at": None}
        return Outcome(changes, to_state=State.SUBMITTED, note=comment or "不满意，重新派单办理", public=True)
    if stars < SATISFIED_FROM:
        # 不满意重办: back to the same unit, a new round with a fresh deadline.
        changes = _handling_starts(order, order.unit, ctx) | {
            "signed_at": ctx.now,
            "rating": stars,
            "rating_source": source,
            "round": order.round + 1,
            "resolved_at": None,
            "pending_extension_days": None,
            **_NO_CO_REPLIES,
        }
        if order.callback_misses:
            changes["callback_misses"] = 0  # the new round's callbacks count afresh
        note = comment or "不满意，重新办理"
        if ctx.city.supervise_dissatisfied:
            # 不满意专项督办: on the leaders' red list at once, not after the new deadline runs out.
            changes |= {"level": Level.RED, "supervised_at": ctx.now, "supervision_reason": DISSATISFIED}
            note = comment or "不满意，重新办理，列入督办"
        return Outcome(changes, to_state=State.IN_PROGRESS, note=note, public=True)
    changes = {"rating": stars, "rating_source": source, "closed_at": ctx.now}
    return Outcome(changes, to_state=State.CLOSED, note=comment, public=True)


def _rate(order, actor, params, ctx):
    return _rated(order, _stars(params.get("stars")), _comment(params), RATED_ONLINE, ctx)


def _callback(order, actor, params, ctx):
    """回访: the resident's rating taken by phone; unreached tries are counted, and close the order
    as unrated after the city's ``callback_attempts``. On a closed order, a follow-up note only."""
    reached = params.get("reached")
    if not isinstance(reached, bool):
        raise InvalidInput("请说明是否联系上群众", {"reached": "true 或 false"})
    stars = params.get("stars")
    if stars is not None:
        stars = _stars(stars)
        if not reached:
            raise InvalidInput("未联系上群众，不能填写满意度", {"stars": "未联系上群众时不填"})
    comment = _comment(params)
    if order.state is State.CLOSED:
        said = "回访：未联系上" if not reached else f"回访：{stars}星" if stars else "回访：已联系"
        return Outcome(note=f"{said}；{comment}" if comment else said)
    if reached:
        if stars is None:
            raise InvalidInput("联系上群众时请填写满意度", {"stars": f"{MIN_STARS}至{MAX_STARS}星"})
        return _rated(order, stars, comment, RATED_BY_CALLBACK, ctx)
    misses = order.callback_misses + 1
    if misses >= ctx.city.callback_attempts:
        note = f"回访{misses}次未联系上，按未评价办结"
        return Outcome({"callback_misses": misses, "closed_at": ctx.now}, to_state=State.CLOSED, note=note, public=True)
    said = f"回访未联系上（第{misses}次）"
    return Outcome({"callback_misses": misses}, note=f"{said}；{comment}" if comment else said)


def _auto_close(order, actor, params, ctx):
    if order.state is State.DISPATCHED:  # information (表扬) the unit has not signed
        note = f"已送达{_unit_name(ctx, order.unit)}，{ctx.city.information_close_days}天未签收，自动归档"
        return Outcome({"closed_at": ctx.now}, note=note, public=True)
    return Outcome({"closed_at": ctx.now}, note="超过评价期限，按未评价办结", public=True)


def _remind_signing(order, actor, params, ctx):
    return Outcome({"sign_reminded": True}, note="超过签收时限，已提醒签收")


def _escalation(level: Level, note: str) -> Effect:
    def effect(order, actor, params, ctx):
        changes: dict[str, Any] = {"level": level}
        if level is Level.RED:
            changes |= {"supervised_at": ctx.now, "supervision_reason": OVERDUE}
        return Outcome(changes, note=note)

    return effect


def _is_due(action: str) -> Guard:
    """System actions of the deadlines happen only once their threshold has passed."""

    def guard(order, ctx):
        return None if deadlines.due_action(order, ctx) == action else "尚未到期"

    return guard


def _priority(order, actor, params, ctx):
    on = params.get("on")
    if not isinstance(on, bool):
        raise InvalidInput("请说明是否重点督办", {"on": "true 或 false"})
    # Only a change is a change: the unit hears of 重点办 once, when the order becomes one.
    return Outcome({"priority": on} if on != order.priority else {}, note="列为重点办理" if on else "取消重点办理")


def _co_handle(order, actor, params, ctx):
    units = params.get("units")
    if not isinstance(units, list) or any(u not in ctx.city.unit_by_code for u in units):
        raise InvalidInput("协办单位不存在", {"units": "协办单位不存在"})
    if order.unit in units or len(set(units)) != len(units):
        raise InvalidInput("协办单位不能重复或与主办单位相同", {"units": "不能重复或与主办单位相同"})
    names = "、".join(_unit_name(ctx, u) for u in units) or "无"
    # A unit no longer co-handling takes its reply with it; the others keep theirs.
    kept = {u: reply for u, reply in (order.co_replies or {}).items() if u in units} or None
    return Outcome({"co_units": tuple(units), "co_replies": kept}, note=f"协办单位：{names}")


def _co_unit_of(order: WorkOrder, actor: Actor, params: Mapping[str, Any], ctx: Context) -> str:
    """The co-unit a handler answers for: its own unit, else the one co-unit below it, else the one it names."""
    mine = [u for u in order.co_units if actor.unit and ctx.city.is_within(u, actor.unit)]
    if actor.unit in mine:
        return actor.unit
    named = params.get("unit")
    if named is None and len(mine) == 1:
        return mine[0]
    if named not in mine:
        raise InvalidInput("请选择答复的协办单位", {"unit": "本单位及下级的协办单位之一"})
    return named


def _co_reply(order, actor, params, ctx):
    unit = _co_unit_of(order, actor, params, ctx)
    reply = _text(params, "reply", "协办意见")
    # Once per round and per co-unit: a second reply replaces the first until the main unit resolves.
    replies = {**(order.co_replies or {}), unit: reply}
    return Outcome({"co_replies": replies}, note=f"{_unit_name(ctx, unit)}协办意见：{reply}")


def _instruction(order, actor, params, ctx):
    return Outcome(note=_text(params, "note", "批示内容"))


def _reassign(order, actor, params, ctx):
    unit = _unit(params, ctx)
    if unit == order.unit:
        raise InvalidInput("新承办单位与原单位相同", {"unit": "与原单位相同"})
    reason = _text(params, "reason", "改派理由")
    # A fresh deadline for the new unit: the old unit's pending extension request lapses.
    changes = _handling_starts(order, unit, ctx) | {"co_units": (), "pending_extension_days": None, **_NO_CO_REPLIES}
    return Outcome(changes, note=f"改派至{_unit_name(ctx, unit)}：{reason}", public=True)


def _assign(order, actor, params, ctx):
    assignee = _text(params, "assignee", "承办人")
    # The service read the unit's people (ctx.people); anyone else is refused, as is an unread list.
    name = (ctx.people or {}).get(assignee)
    if name is None:
        raise InvalidInput("承办人不是本单位人员", {"assignee": "不是本单位人员"})
    if assignee == order.assignee_id:
        raise InvalidInput(f"工单已由{name}承办", {"assignee": "已是该承办人"})
    return Outcome({"assignee_id": assignee, "assignee_name": name}, note=f"交由{name}承办")


def _not_published(order, ctx):
    return "该工单已在典型案例库中" if order.published_at is not None else None


def _is_published(order, ctx):
    return None if order.published_at is not None else "该工单未在典型案例库中"


def _publish(order, actor, params, ctx):
    title = params.get("title")
    if title is None:
        category = ctx.city.category_by_code[order.category].name
        area = ctx.city.area_name.get(order.area) if order.area else None
        title = f"{category}（{area}）" if area else category
    elif not isinstance(title, str) or not title.strip() or len(title.strip()) > CASE_TITLE_MAX:
        raise InvalidInput(f"案例标题须为1至{CASE_TITLE_MAX}个字", {"title": f"1至{CASE_TITLE_MAX}个字"})
    title = title.strip()[:CASE_TITLE_MAX]
    return Outcome({"published_at": ctx.now, "case_title": title}, note=f"列入典型案例库：{title}")


def _unpublish(order, actor, params, ctx):
    return Outcome({"published_at": None, "case_title": None}, note="移出典型案例库")


def _all_units(order: WorkOrder, city: City) -> list[str]:
    return [u.code for u in city.units]


def _other_units(order: WorkOrder, city: City) -> list[str]:
    return [u.code for u in city.units if u.code != order.unit]


def _units_below(order: WorkOrder, city: City) -> list[str]:
    if order.unit is None:
        return []
    return [u.code for u in city.units if u.code != order.unit and city.is_within(u.code, order.unit)]


SHORT_TEXT, LONG_TEXT = 500, 2000  # the characters of a reason, of a reply or a note


def _reason(label: str) -> Input:
    return Input("reason", label, Kind.LONG_TEXT, max_length=SHORT_TEXT)


_D, _H, _L, _SYS, _OP = Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.SYSTEM, Role.OPERATOR
_MAIN_OR_CO = frozenset({Relation.MAIN, Relation.CO})
_S, _A = State, Action
_TO_RESIDENT_AND_UNIT = (Notify("dispatched", Audience.RESIDENT), Notify(NEW_ORDER, Audience.UNIT))
# 1–2 stars, online or by callback (重办). "You were not satisfied": only the resident who rated hears it.
_REOPENED = (
    Notify("reopened", Audience.OWN_RESIDENT, when=State.IN_PROGRESS),
    Notify("staff_reopened", Audience.UNIT, when=State.IN_PROGRESS),
)
_DISPATCH_TO = Input("unit", "承办单位", Kind.UNIT, max_length=CODE_MAX, choices=_all_units)


def _states(*states: State) -> frozenset[State]:
    return frozenset(states)


# Every action, declared once (domain/actions.py says what is made from it).
RULES: dict[Action, Rule] = {
    _A.AUTO_DISPATCH: Rule(
        "自动派单", frozenset({_SYS}), _states(_S.SUBMITTED), _S.DISPATCHED, _dispatch,
        notices=_TO_RESIDENT_AND_UNIT,
    ),
    _A.DISPATCH: Rule(
        "派单", frozenset({_D}), _states(_S.SUBMITTED), _S.DISPATCHED, _dispatch,
        inputs=(_DISPATCH_TO,), notices=_TO_RESIDENT_AND_UNIT, intake_roles=frozenset({_OP}),
    ),
    # Taken only at intake (services/operators.py), by the operator or dispatcher who took the call.
    _A.ANSWER: Rule(
        "当场答复", frozenset(), _states(_S.SUBMITTED), _S.RESOLVED, _answer,
        inputs=(Input("reply", "答复内容（将告知群众）", Kind.LONG_TEXT, max_length=LONG_TEXT),),
        notices=(Notify("answered", Audience.RESIDENT),), intake_roles=frozenset({_OP, _D}),
    ),
    _A.REJECT: Rule(
        "不予受理", frozenset({_D}), _states(_S.SUBMITTED), _S.REJECTED, _reject,
        inputs=(_reason("理由（将告知群众）"),),
    ),
    _A.MERGE: Rule(
        "并单", frozenset({_D}), _states(_S.SUBMITTED, _S.DISPATCHED), _S.MERGED, _merge,
        inputs=(Input("into", "主工单编号", Kind.TEXT, max_length=CODE_MAX, lookup=Lookup.ORDER),),
        notices=(Notify("merged", Audience.RESIDENT),),
        then=(_A.ABSORB, "merged"),
    ),
    # Taken with "merge", on the order merged into, in the same transaction.
    _A.ABSORB: Rule("并入", frozenset({_SYS}), OPEN_STATES, None, _absorb),
    _A.SIGN: Rule("签收", frozenset({_H}), _states(_S.DISPATCHED), _S.IN_PROGRESS, _sign),
    _A.RETURN: Rule(
        "退单", frozenset({_H}), _states(_S.DISPATCHED), _S.SUBMITTED, _return, inputs=(_reason("退单理由"),)
    ),
    _A.FORWARD: Rule(
        "转派", frozenset({_H}), _states(_S.DISPATCHED), _S.DISPATCHED, _forward,
        inputs=(Input("unit", "转派给下级单位", Kind.UNIT, max_length=CODE_MAX, choices=_units_below),),
        notices=(Notify(NEW_ORDER, Audience.UNIT),),
    ),
    _A.PROGRESS: Rule(
        "办理进展", frozenset({_H}), _states(_S.IN_PROGRESS), None, _progress,
        inputs=(
            Input("note", "进展情况", Kind.LONG_TEXT, max_length=LONG_TEXT),
            Input("public", "向群众公开", Kind.BOOLEAN, required=False),
        ),
        relations=_MAIN_OR_CO,
    ),
    _A.REQUEST_EXTENSION: Rule(
        "申请延期", frozenset({_H}), _states(_S.IN_PROGRESS), None, _request_extension, _extension_can_be_requested,
        inputs=(
            Input(
                "days", "延期工作日数", Kind.INTEGER, minimum=1, maximum=EXTENSION_DAYS_MAX,
                limit=lambda city: city.extensions.max_working_days,
            ),
            Input("reason", "延期理由", Kind.LONG_TEXT, max_length=SHORT_TEXT),
        ),
    ),
    _A.APPROVE_EXTENSION: Rule(
        "同意延期", frozenset({_D}), _states(_S.IN_PROGRESS), None, _approve_extension, _extension_is_pending,
        notices=(Notify("extension_granted", Audience.RESIDENT),),
    ),
    _A.REFUSE_EXTENSION: Rule(
        "不同意延期", frozenset({_D}), _states(_S.IN_PROGRESS), None, _refuse_extension, _extension_is_pending,
        inputs=(Input("note", "说明（选填）", Kind.LONG_TEXT, required=False, max_length=SHORT_TEXT),),
    ),
    _A.RESOLVE: Rule(
        "办结", frozenset({_H}), _states(_S.IN_PROGRESS), _S.RESOLVED, _resolve, _co_replies_in,
        inputs=(
            Input("reply", "办理结果答复（将告知群众）", Kind.LONG_TEXT, max_length=LONG_TEXT),
            Input("result_media", "办结照片", Kind.UPLOADS, required=False, max_length=9, lookup=Lookup.UPLOADS),
            # Required by the effect while a co-unit has not replied (and the city allows it).
            Input("co_pending_note", "协办单位未回复的说明", Kind.LONG_TEXT, required=False, max_length=SHORT_TEXT),
        ),
        # Not when the city reviews it first (awaiting_review): the approval tells the resident.
        notices=(Notify("resolved", Audience.RESIDENT, when=_S.RESOLVED),),
    ),
    _A.APPROVE: Rule(
        "审核通过", frozenset({_D}), _states(_S.AWAITING_REVIEW), _S.RESOLVED, _approve,
        notices=(Notify("resolved", Audience.RESIDENT, when=_S.RESOLVED),),
    ),
    _A.SEND_BACK: Rule(
        "审核退回", frozenset({_D}), _states(_S.AWAITING_REVIEW), _S.IN_PROGRESS, _send_back,
        inputs=(_reason("退回理由"),),
    ),
    _A.RATE: Rule(
        "评价", frozenset({Role.RESIDENT}), _states(_S.RESOLVED), None, _rate, notices=_REOPENED,
    ),
    _A.CALLBACK: Rule(
        "回访", frozenset({_OP, _D}), _states(_S.RESOLVED, _S.CLOSED), None, _callback,
        inputs=(
            Input("reached", "联系上群众", Kind.BOOLEAN),
            Input("stars", "满意度（星）", Kind.INTEGER, required=False, minimum=MIN_STARS, maximum=MAX_STARS),
            Input("comment", "回访记录（选填）", Kind.LONG_TEXT, required=False, max_length=SHORT_TEXT),
        ),
        notices=_REOPENED,
        doc="回访: the resident's rating taken by phone (reached, with stars: as the resident's own rating), "
        "or a try that did not reach them (counted; the city's callback_attempts close the order unrated). "
        "On a closed order, a follow-up note only.",
    ),
    _A.AUTO_CLOSE: Rule(
        # Resolved and not rated in time; or information (表扬) not signed in time.
        "自动办结", frozenset({_SYS}), _states(_S.RESOLVED, _S.DISPATCHED), _S.CLOSED, _auto_close,
        _is_due("auto_close"),
    ),
    _A.REMIND_SIGNING: Rule(
        "签收提醒", frozenset({_SYS}), _states(_S.DISPATCHED), None, _remind_signing, _is_due("remind_signing"),
        notices=(Notify("staff_sign_reminder", Audience.UNIT),),
    ),
    _A.RETURN_UNSIGNED: Rule(
        "超时退回", frozenset({_SYS}), _states(_S.DISPATCHED), _S.SUBMITTED, _return_unsigned,
        _is_due("return_unsigned"),
    ),
    _A.WARN: Rule(
        "临期提醒", frozenset({_SYS}), HANDLING_STATES, None,
        _escalation(Level.WARNING, "办理时限即将届满"), _is_due("warn"),
        notices=(Notify("staff_warning", Audience.UNIT),),
    ),
    _A.URGE: Rule(
        "催办", frozenset({_SYS}), HANDLING_STATES, None,
        _escalation(Level.YELLOW, "已超过办理时限，催办"), _is_due("urge"),
        notices=(Notify("staff_yellow", Audience.UNIT), Notify("staff_yellow", Audience.PARENT_UNIT)),
    ),
    _A.SUPERVISE: Rule(
        "督办", frozenset({_SYS}), HANDLING_STATES, None,
        _escalation(Level.RED, "超期未办结，列入领导督办"), _is_due("supervise"),
        notices=(Notify("leader_red", Audience.LEADER),),
    ),
    _A.PRIORITY: Rule(
        "重点办理", frozenset({_D}), OPEN_STATES, None, _priority,
        inputs=(Input("on", "列为重点办理", Kind.BOOLEAN, initial=lambda order: not order.priority),),
        notices=(Notify("staff_priority", Audience.UNIT, turned_on="priority"),),
        model="SetPriority",
    ),
    _A.CO_HANDLE: Rule(
        "设置协办", frozenset({_D}), HANDLING_STATES, None, _co_handle,
        inputs=(
            Input(
                "units", "协办单位", Kind.UNITS, max_length=10, choices=_other_units,
                initial=lambda order: list(order.co_units),
            ),
        ),
        notices=(Notify("staff_co_handle", Audience.CO_UNITS),),
    ),
    # A co-unit's part of the answer (协办意见), for the main unit to use in its reply.
    _A.CO_REPLY: Rule(
        "协办答复", frozenset({_H}), HANDLING_STATES, None, _co_reply,
        inputs=(
            Input("reply", "协办意见（供主办单位答复参考）", Kind.LONG_TEXT, max_length=LONG_TEXT),
            Input(
                "unit", "答复的协办单位（本单位为协办单位时不填）", Kind.UNIT, required=False, max_length=CODE_MAX,
                choices=lambda order, city: list(order.co_units),
            ),
        ),
        relations=frozenset({Relation.CO}),
        doc="A co-unit's part of the answer (协办意见): once per round, replaced by a later one until resolve.",
    ),
    _A.INSTRUCTION: Rule(
        "领导批示", frozenset({_L}), OPEN_STATES | {_S.RESOLVED}, None, _instruction,
        inputs=(Input("note", "批示内容", Kind.LONG_TEXT, max_length=LONG_TEXT),),
    ),
    _A.REASSIGN: Rule(
        "改派", frozenset({_L}), HANDLING_STATES, _S.DISPATCHED, _reassign,
        inputs=(Input("unit", "新承办单位", Kind.UNIT, max_length=CODE_MAX, choices=_other_units), _reason("改派理由")),
        notices=_TO_RESIDENT_AND_UNIT,
    ),
    _A.PUBLISH: Rule(
        "发布到典型案例库", frozenset({_D}), _states(_S.CLOSED), None, _publish, _not_published,
        inputs=(
            Input("title", "案例标题（选填，默认为分类和区域）", Kind.TEXT, required=False, max_length=CASE_TITLE_MAX),
        ),
        doc="Into the case library (典型案例库); without a title, the category and the area name it.",
    ),
    _A.UNPUBLISH: Rule("撤回案例", frozenset({_D}), _states(_S.CLOSED), None, _unpublish, _is_published),
    # The console's field is a text one (the person's id): an Input's choices come from the order
    # and the city, and the people come from the identity provider (GET …/units/{unit}/people).
    _A.ASSIGN: Rule(
        "指定承办人", frozenset({_H, _D}), HANDLING_STATES, None, _assign,
        inputs=(
            Input(
                "assignee", "承办人（人员编号）", Kind.TEXT, max_length=CODE_MAX, initial=lambda o: o.assignee_id,
                lookup=Lookup.PEOPLE,
            ),
        ),
        doc="Give the order to a person of its unit (承办人), or to another one of them.",
    ),
}


def relation(order: WorkOrder, actor: Actor, city: City) -> Relation | None:
    """How ``actor`` stands to ``order``: a handler of its unit or of one above it acts as the main
    unit, one of a co-unit or above it as a co-unit; the command centre's roles act as the main
    unit. None: a handler with no part in it (it sees nothing of it)."""
    if actor.role is not Role.HANDLER:
        return Relation.MAIN
    if not actor.unit:
        return None
    if order.unit and city.is_within(order.unit, actor.unit):
        return Relation.MAIN
    if any(city.is_within(u, actor.unit) for u in order.co_units):
        return Relation.CO
    return None


def check(order: WorkOrder, action: str, actor: Actor, ctx: Context, at_intake: bool = False) -> Rule:
    """The rule for ``action`` if ``actor`` may take it on ``order`` now; raises otherwise.
    ``at_intake``: within the submission's own step, where the rule's ``intake_roles`` may take it too."""
    rule = RULES.get(action)
    if rule is None:
        raise InvalidInput(f"未知的操作：{action}", {"action": "未知的操作"})
    if actor.role not in (rule.roles | rule.intake_roles if at_intake else rule.roles):
        raise Forbidden(f"{ROLE_LABELS[actor.role]}不能执行「{rule.label}」")
    standing = relation(order, actor, ctx.city)
    if standing is None:
        raise Forbidden("该工单不属于本单位办理")
    if standing not in rule.relations:
        raise Forbidden(f"协办单位不能执行「{rule.label}」")
    if order.state not in rule.sources:
        raise Conflict(f"工单当前为「{STATE_LABELS[order.state]}」，不能{rule.label}")
    reason = rule.guard(order, ctx) if rule.guard else None
    if reason:
        raise Conflict(reason)
    return rule


def allowed_actions(order: WorkOrder, actor: Actor, ctx: Context) -> list[str]:
    """The actions ``actor`` may take on ``order`` in its current state."""
    allowed = []
    for name in RULES:
        try:
            check(order, name, actor, ctx)
        except (Forbidden, Conflict):
            continue
        allowed.append(name)
    return allowed


def apply(
    order: WorkOrder, action: str, actor: Actor, params: Mapping[str, Any], ctx: Context, at_intake: bool = False
) -> tuple[WorkOrder, Event]:
    rule = check(order, action, actor, ctx, at_intake)
    outcome = rule.effect(order, actor, params, ctx)
    to_state = outcome.to_state or rule.target or order.state
    changes = dict(outcome.changes)
    changed = dataclasses.replace(order, **changes, state=to_state, version=order.version + 1)
    next_check_at = deadlines.next_check(changed, ctx)
    if next_check_at != order.next_check_at:
        changes["next_check_at"] = next_check_at
        changed = dataclasses.replace(changed, next_check_at=next_check_at)
    event = Event(
        seq=changed.version,
        at=ctx.now,
        action=action,
        actor=actor,
        from_state=order.state,
        to_state=to_state,
        note=outcome.note,
        changes=_to_json(changes),
        public=outcome.public,
    )
    return changed, event


def open_order(
    tracking_no: str, type: str, category: str, area: str | None, actor: Actor, now: dt.datetime
) -> tuple[WorkOrder, Event]:
    """A new order and the first entry of its trail."""
    order = WorkOrder(tracking_no, type, category, area, created_at=now, version=1)
    initial = {
        f.name: getattr(order, f.name) for f in dataclasses.fields(WorkOrder) if f.name not in ("state", "version")
    }
    event = Event(1, now, "submit", actor, None, State.SUBMITTED, None, _to_json(initial), public=True)
    return order, event


def replay(events: Iterable[Event]) -> WorkOrder:
    """The order as its audit trail says it is."""
    fields: dict[str, Any] = {}
    for expected, event in enumerate(events, start=1):
        if event.seq != expected:
            raise ValueError(f"audit trail has a gap: expected event {expected}, found {event.seq}")
        fields.update(_from_json(event.changes))
        fields["state"] = event.to_state
        fields["version"] = event.seq
    if not fields:
        raise ValueError("an empty audit trail has no order")
    return WorkOrder(**fields)


def _to_json(changes: Mapping[str, Any]) -> dict[str, Any]:
    def encode(value: Any) -> Any:
        if isinstance(value, dt.datetime):
            return value.isoformat()
        if isinstance(value, tuple):
            return list(value)
        return value

    return {name: encode(value) for name, value in changes.items()}


def _from_json(changes: Mapping[str, Any]) -> dict[str, Any]:
    def decode(name: str, value: Any) -> Any:
        if value is not None and name in DATETIME_FIELDS:
            return dt.datetime.fromisoformat(value)
        if name in TUPLE_FIELDS:
            return tuple(value)
        if name == "level":
            return Level(value)
        return value

    return {name: decode(name, value) for name, value in changes.items()}
