"""A work order's data: its states, who acts on it, its lifecycle fields, its events.

The rules that change an order are in lifecycle.py; when it is due for a
reminder or an escalation, in deadlines.py.
"""
from __future__ import annotations

import datetime as dt
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from chalicelib.city import City
from chalicelib.domain.calendar import WorkingCalendar


class State(StrEnum):
    SUBMITTED = "submitted"
    DISPATCHED = "dispatched"
    IN_PROGRESS = "in_progress"
    AWAITING_REVIEW = "awaiting_review"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REJECTED = "rejected"
    MERGED = "merged"


STATE_LABELS = {
    State.SUBMITTED: "待派单",
    State.DISPATCHED: "待签收",
    State.IN_PROGRESS: "办理中",
    State.AWAITING_REVIEW: "待审核",
    State.RESOLVED: "已办结",
    State.CLOSED: "已关闭",
    State.REJECTED: "不予受理",
    State.MERGED: "已并单",
}

# What a resident sees: 已受理 / 处理中 / 已办结.
PUBLIC_STATUS = {
    State.SUBMITTED: "已受理",
    State.DISPATCHED: "处理中",
    State.IN_PROGRESS: "处理中",
    State.AWAITING_REVIEW: "处理中",
    State.MERGED: "处理中",
    State.RESOLVED: "已办结",
    State.CLOSED: "已办结",
    State.REJECTED: "已办结",
}

OPEN_STATES = frozenset({State.SUBMITTED, State.DISPATCHED, State.IN_PROGRESS, State.AWAITING_REVIEW})
HANDLING_STATES = frozenset({State.DISPATCHED, State.IN_PROGRESS})


class Level(StrEnum):
    """How late an open order is: the colour the command centre sees."""

    NORMAL = "normal"
    WARNING = "warning"  # 临期: most of the handling time is used
    YELLOW = "yellow"  # past due: 催办
    RED = "red"  # long past due: 督办, on the leaders' list


LEVEL_LABELS = {Level.NORMAL: "正常", Level.WARNING: "临期", Level.YELLOW: "黄牌超期", Level.RED: "红牌督办"}
LEVEL_RANK = {level: rank for rank, level in enumerate(Level)}


class Role(StrEnum):
    DISPATCHER = "dispatcher"
    HANDLER = "handler"
    LEADER = "leader"
    ADMIN = "admin"
    # 话务员: takes calls and reads any order to answer a caller; of the order actions, takes only the callback (回访).
    OPERATOR = "operator"
    RESIDENT = "resident"
    SYSTEM = "system"


ROLE_LABELS = {
    Role.DISPATCHER: "派单员",
    Role.HANDLER: "承办人员",
    Role.LEADER: "领导",
    Role.ADMIN: "管理员",
    Role.OPERATOR: "话务员",
    Role.RESIDENT: "群众",
    Role.SYSTEM: "系统",
}


@dataclass(frozen=True)
class Actor:
    role: Role
    id: str
    unit: str | None = None


RESIDENT = Actor(Role.RESIDENT, "resident")
SYSTEM = Actor(Role.SYSTEM, "system")


@dataclass(frozen=True)
class WorkOrder:
    """The part of an order that its lifecycle changes (the report itself never changes)."""

    tracking_no: str
    type: str
    category: str
    area: str | None
    created_at: dt.datetime
    state: State = State.SUBMITTED
    version: int = 0
    unit: str | None = None
    co_units: tuple[str, ...] = ()
    priority: bool = False
    dispatched_at: dt.datetime | None = None  # to the current unit; its signing limit runs from here
    sign_due_at: dt.datetime | None = None
    sign_reminded: bool = False
    signed_at: dt.datetime | None = None
    due_from: dt.datetime | None = None  # when the current handling limit started
    due_at: dt.datetime | None = None
    level: Level = Level.NORMAL
    supervised_at: dt.datetime | None = None
    supervision_reason: str | None = None  # why it is on the leaders' red list: OVERDUE or DISSATISFIED
    next_check_at: dt.datetime | None = None  # the next reminder, escalation or auto-close
    round: int = 1
    extensions_used: int = 0
    pending_extension_days: int | None = None
    merged_into: str | None = None
    followers: tuple[str, ...] = ()  # the orders merged into this one: their residents follow it
    reply: str | None = None
    result_media: tuple[str, ...] = ()
    rating: int | None = None
    rating_source: str | None = None  # how the rating was taken: RATED_ONLINE or RATED_BY_CALLBACK (回访)
    callback_misses: int = 0  # callbacks (回访) that did not reach the resident, this round
    resolved_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    # In the public case library (典型案例库) since this instant, under this title.
    published_at: dt.datetime | None = None
    case_title: str | None = None
    # The person of the unit who handles it (承办人): the identity provider's subject and the name
    # staff see; cleared when the order leaves the unit.
    assignee_id: str | None = None
    assignee_name: str | None = None
    # The co-units' parts of the answer this round (协办意见), co-unit → reply; None: none yet.
    co_replies: Mapping[str, str] | None = None
    # Why the main unit resolved with co-replies still pending (staff only).
    co_pending_note: str | None = None


def field_types(cls: type) -> dict[str, Any]:
    """Each field of a dataclass with its type, ``X | None`` as ``X``: what its values are, read once
    from the class's own annotations (the codec of storage/mapping.py, the lifecycle's changes)."""
    return {name: _unoptional(hint) for name, hint in typing.get_type_hints(cls).items()}


def _unoptional(hint: Any) -> Any:
    if isinstance(hint, types.UnionType) or typing.get_origin(hint) is typing.Union:
        (kept,) = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        return kept
    return hint


def fields_of_type(cls: type, kind: type) -> frozenset[str]:
    """The fields of ``cls`` whose values are ``kind`` (``tuple`` for every tuple type)."""
    return frozenset(name for name, hint in field_types(cls).items() if (typing.get_origin(hint) or hint) is kind)


DATETIME_FIELDS = fields_of_type(WorkOrder, dt.datetime)
TUPLE_FIELDS = fields_of_type(WorkOrder, tuple)


# Actions whose note is the resident's own words (a rating's comment): it shows on the order's
# own timeline, for the resident and staff, and is published nowhere else (Open311).
RESIDENTS_WORDS = frozenset({"rate", "callback"})

RATED_ONLINE, RATED_BY_CALLBACK = "online", "callback"
# Why an order is supervised (督办): long past due, or a resident's 1–2 stars (不满意专项督办).
OVERDUE, DISSATISFIED = "overdue", "dissatisfied"
SUPERVISION_LABELS = {OVERDUE: "超期未办结", DISSATISFIED: "群众评价不满意"}


@dataclass(frozen=True)
class Event:
    """One entry of the append-only audit trail (全程留痕)."""

    seq: int  # equals the order's version after the change
    at: dt.datetime
    action: str
    actor: Actor
    from_state: State | None
    to_state: State
    note: str | None
    changes: Mapping[str, Any]  # JSON-safe: datetimes as ISO text, tuples as lists
    public: bool


@dataclass(frozen=True)
class Context:
    city: City
    calendar: WorkingCalendar
    now: dt.datetime
    # The staff accounts of the order's unit, id → name, read by the service for the actions
    # that name a person (assign); None when nobody read them.
    people: Mapping[str, str] | None = None
