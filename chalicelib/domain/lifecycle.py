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
from chalicelib.domain.actions import NEW_ORDER, Action, Audience, Effect, Guard, Input, Kind, Notify, Outcome, Rule
from chalicelib.domain.bounds import CASE_TITLE_MAX, CODE_MAX, EXTENSION_DAYS_MAX, MAX_STARS, MIN_STARS, SATISFIED_FROM
from chalicelib.domain.errors import Conflict, Forbidden, InvalidInput
from chalicelib.domain.orders import (  # noqa: F401 - the lifecycle's vocabulary, re-exported
    HANDLING_STATES,
    OPEN_STATES,
    PUBLIC_STATUS,
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
    limit = ctx.city.time_limit(order.type, order.category)
    return _arrives_at(order, unit, ctx) | {
        "due_from": ctx.now,
        "due_at": ctx.calendar.due(ctx.now, limit),
        "level": Level.NORMAL,
    }


_UNASSIGNED = {"assignee_id": None, "assignee_name": None}


def _arrives_at(order: WorkOrder, unit: str, ctx: Context) -> dict[str, Any]:
    """The order reaches ``unit``, which must sign for it within the signing limit; a person of
    another unit no longer handles it."""
    return ({} if unit == order.unit else _UNASSIGNED) | {
        "unit": unit,
        "dispatched_at": ctx.now,
        "sign_due_at": ctx.calendar.due(ctx.now, ctx.city.deadlines.signing_limit),
        "sign_reminded": False,
        "signed_at": None,
    }


_OFF_THE_CLOCK = {
    "unit": None,
    "co_units": (),
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
    # The handling deadline stays (its clock started at dispatch); the signing one restarts.
    return Outcome(_arrives_at(order, unit, ctx), note=f"转派至{_unit_name(ctx, unit)}")


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


def _resolve(order, actor, params, ctx):
    reply = _text(params, "reply", "办理结果答复")
    media = tuple(params.get("result_media") or ())
    if ctx.city.review_required:
        return Outcome({"reply": reply, "result_media": media}, to_state=State.AWAITING_REVIEW, note=reply)
    return Outcome({"reply": reply, "result_media": media, "resolved_at": ctx.now}, note=reply, public=True)


def _answer(order, actor, params, ctx):
    """当场答复: the operator answered the caller on the line; resolved, to be rated and closed as any."""
    reply = _text(params, "reply", "答复内容")
    return Outcome({"reply": reply, "resolved_at": ctx.now}, note=f"当场答复：{reply}", public=True)


def _approve(order, actor, params, ctx):
    return Outcome({"resolved_at": ctx.now}, note=order.reply, public=True)


def _send_back(order, actor, params, ctx):
    return Outcome({"reply": None, "result_media": ()}, note=_text(params, "reason", "退回理由"))


def _rate(order, actor, params, ctx):
    stars = params.get("stars")
    if not isinstance(stars, int) or isinstance(stars, bool) or not MIN_STARS <= stars <= MAX_STARS:
        raise InvalidInput(f"评价须为{MIN_STARS}至{MAX_STARS}星", {"stars": f"{MIN_STARS}至{MAX_STARS}星"})
    comment = (params.get("comment") or "").strip() or None
    if stars < SATISFIED_FROM and order.unit is None:
        # Answered at intake (当场答复), no unit had it: back to the dispatcher for one.
        changes = dict(_OFF_THE_CLOCK) | {"rating": stars, "round": order.round + 1, "resolved_at": None}
        return Outcome(changes, to_state=State.SUBMITTED, note=comment or "不满意，重新派单办理", public=True)
    if stars < SATISFIED_FROM:
        # 不满意重办: back to the same unit, a new round with a fresh deadline.
        changes = _handling_starts(order, order.unit, ctx) | {
            "signed_at": ctx.now,
            "rating": stars,
            "round": order.round + 1,
            "resolved_at": None,
            "pending_extension_days": None,
        }
        return Outcome(changes, to_state=State.IN_PROGRESS, note=comment or "不满意，重新办理", public=True)
    return Outcome({"rating": stars, "closed_at": ctx.now}, to_state=State.CLOSED, note=comment, public=True)


def _auto_close(order, actor, params, ctx):
    return Outcome({"closed_at": ctx.now}, note="超过评价期限，按未评价办结", public=True)


def _remind_signing(order, actor, params, ctx):
    return Outcome({"sign_reminded": True}, note="超过签收时限，已提醒签收")


def _escalation(level: Level, note: str) -> Effect:
    def effect(order, actor, params, ctx):
        changes: dict[str, Any] = {"level": level}
        if level is Level.RED:
            changes["supervised_at"] = ctx.now
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
    return Outcome({"priority": on}, note="列为重点办理" if on else "取消重点办理")


def _co_handle(order, actor, params, ctx):
    units = params.get("units")
    if not isinstance(units, list) or any(u not in ctx.city.unit_by_code for u in units):
        raise InvalidInput("协办单位不存在", {"units": "协办单位不存在"})
    if order.unit in units or len(set(units)) != len(units):
        raise InvalidInput("协办单位不能重复或与主办单位相同", {"units": "不能重复或与主办单位相同"})
    names = "、".join(_unit_name(ctx, u) for u in units) or "无"
    return Outcome({"co_units": tuple(units)}, note=f"协办单位：{names}")


def _instruction(order, actor, params, ctx):
    return Outcome(note=_text(params, "note", "批示内容"))


def _reassign(order, actor, params, ctx):
    unit = _unit(params, ctx)
    if unit == order.unit:
        raise InvalidInput("新承办单位与原单位相同", {"unit": "与原单位相同"})
    reason = _text(params, "reason", "改派理由")
    # A fresh deadline for the new unit: the old unit's pending extension request lapses.
    changes = _handling_starts(order, unit, ctx) | {"co_units": (), "pending_extension_days": None}
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


_D, _H, _L, _O, _SYS = Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.OPERATOR, Role.SYSTEM
_S, _A = State, Action
_TO_RESIDENT_AND_UNIT = (Notify("dispatched", Audience.RESIDENT), Notify(NEW_ORDER, Audience.UNIT))
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
        inputs=(_DISPATCH_TO,), notices=_TO_RESIDENT_AND_UNIT, intake_roles=frozenset({_O}),
    ),
    # Taken only at intake (services/operators.py), by the operator or dispatcher who took the call.
    _A.ANSWER: Rule(
        "当场答复", frozenset(), _states(_S.SUBMITTED), _S.RESOLVED, _answer,
        inputs=(Input("reply", "答复内容（将告知群众）", Kind.LONG_TEXT, max_length=LONG_TEXT),),
        notices=(Notify("answered", Audience.RESIDENT),), intake_roles=frozenset({_O, _D}),
    ),
    _A.REJECT: Rule(
        "不予受理", frozenset({_D}), _states(_S.SUBMITTED), _S.REJECTED, _reject,
        inputs=(_reason("理由（将告知群众）"),),
    ),
    _A.MERGE: Rule(
        "并单", frozenset({_D}), _states(_S.SUBMITTED, _S.DISPATCHED), _S.MERGED, _merge,
        inputs=(Input("into", "主工单编号", Kind.TEXT, max_length=CODE_MAX),),
        notices=(Notify("merged", Audience.RESIDENT),),
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
        "办结", frozenset({_H}), _states(_S.IN_PROGRESS), _S.RESOLVED, _resolve,
        inputs=(
            Input("reply", "办理结果答复（将告知群众）", Kind.LONG_TEXT, max_length=LONG_TEXT),
            Input("result_media", "办结照片", Kind.UPLOADS, required=False, max_length=9),
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
        "评价", frozenset({Role.RESIDENT}), _states(_S.RESOLVED), None, _rate,
        # 1–2 stars: 重办. "You were not satisfied": only the resident who rated hears it.
        notices=(
            Notify("reopened", Audience.OWN_RESIDENT, when=_S.IN_PROGRESS),
            Notify("staff_reopened", Audience.UNIT, when=_S.IN_PROGRESS),
        ),
    ),
    _A.AUTO_CLOSE: Rule(
        "自动办结", frozenset({_SYS}), _states(_S.RESOLVED), _S.CLOSED, _auto_close, _is_due("auto_close")
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
        inputs=(Input("assignee", "承办人（人员编号）", Kind.TEXT, max_length=CODE_MAX, initial=lambda o: o.assignee_id),),
        doc="Give the order to a person of its unit (承办人), or to another one of them.",
    ),
}


def _in_scope(order: WorkOrder, actor: Actor, city: City) -> bool:
    """A handler acts only on orders of its own unit or of the units below it."""
    if actor.role is not Role.HANDLER:
        return True
    return bool(actor.unit and order.unit and city.is_within(order.unit, actor.unit))


def check(order: WorkOrder, action: str, actor: Actor, ctx: Context, at_intake: bool = False) -> Rule:
    """The rule for ``action`` if ``actor`` may take it on ``order`` now; raises otherwise.
    ``at_intake``: within the submission's own step, where the rule's ``intake_roles`` may take it too."""
    rule = RULES.get(action)
    if rule is None:
        raise InvalidInput(f"未知的操作：{action}", {"action": "未知的操作"})
    if actor.role not in (rule.roles | rule.intake_roles if at_intake else rule.roles):
        raise Forbidden(f"{ROLE_LABELS[actor.role]}不能执行「{rule.label}」")
    if not _in_scope(order, actor, ctx.city):
        raise Forbidden("该工单不属于本单位办理")
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
