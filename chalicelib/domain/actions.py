"""How a lifecycle action is declared: once, with everything that is said about it.

A ``Rule`` (the table is ``lifecycle.RULES``) names who may take the action, from
which states, to which state, its guard and its effect, the notices it causes
(``Notify``), its Chinese label, and the fields its request carries (``Input``).
Everything else is made from it: the request models and their union
(commands/actions.py), the notices (domain/notices.py), and the forms of the staff
console, which the detail of an order lists in ``allowed_actions``
(services/views.py); a new action is one more entry in the table.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from chalicelib.city import City
from chalicelib.domain.orders import Actor, Context, Role, State, WorkOrder


class Action(StrEnum):
    AUTO_DISPATCH = "auto_dispatch"
    DISPATCH = "dispatch"
    REJECT = "reject"
    MERGE = "merge"
    ABSORB = "absorb"
    SIGN = "sign"
    RETURN = "return"
    FORWARD = "forward"
    PROGRESS = "progress"
    REQUEST_EXTENSION = "request_extension"
    APPROVE_EXTENSION = "approve_extension"
    REFUSE_EXTENSION = "refuse_extension"
    RESOLVE = "resolve"
    APPROVE = "approve"
    SEND_BACK = "send_back"
    RATE = "rate"
    AUTO_CLOSE = "auto_close"
    REMIND_SIGNING = "remind_signing"
    RETURN_UNSIGNED = "return_unsigned"
    WARN = "warn"
    URGE = "urge"
    SUPERVISE = "supervise"
    PRIORITY = "priority"
    CO_HANDLE = "co_handle"
    INSTRUCTION = "instruction"
    REASSIGN = "reassign"
    PUBLISH = "publish"
    UNPUBLISH = "unpublish"
    ASSIGN = "assign"
    CALLBACK = "callback"
    CO_REPLY = "co_reply"
    ANSWER = "answer"


class Kind(StrEnum):
    """What an input holds, and so how the API checks it and the console asks for it."""

    TEXT = "text"  # one line
    LONG_TEXT = "textarea"
    UNIT = "unit"  # one of ``choices``
    UNITS = "units"  # any of ``choices``
    BOOLEAN = "boolean"
    INTEGER = "integer"
    UPLOADS = "files"  # the actor's own uploads, by id


class Lookup(StrEnum):
    """What the service reads for an input before the decision: the only I/O an action's fields
    cause, one reader each in services/changes.py, whatever action the input belongs to."""

    ORDER = "order"  # the order the input names by its tracking number, open; the rule's ``then`` acts on it
    PEOPLE = "people"  # the staff accounts of the order's unit (``Context.people``)
    UPLOADS = "uploads"  # the actor's own uploads, checked as stored and attached under the order


@dataclass(frozen=True)
class Input:
    name: str
    label: str
    kind: Kind
    required: bool = True
    max_length: int | None = None  # TEXT and LONG_TEXT: characters; UNITS and UPLOADS: items
    minimum: int | None = None
    maximum: int | None = None  # INTEGER: the bound of the API model, whatever the city says
    # INTEGER: the city's own maximum (at most ``maximum``); the effect checks it, the form offers it.
    limit: Callable[[City], int] | None = None
    # UNIT and UNITS: the unit codes the form offers for this order.
    choices: Callable[[WorkOrder, City], list[str]] | None = None
    # What the form starts with for this order (the console's default).
    initial: Callable[[WorkOrder], Any] | None = None
    lookup: Lookup | None = None  # what the service reads for it before the decision


class Audience(StrEnum):
    RESIDENT = "resident"  # the order's resident and the followers of a merge (并单)
    OWN_RESIDENT = "own_resident"  # the order's resident alone
    UNIT = "unit"  # the order's unit
    PARENT_UNIT = "parent_unit"  # the unit above it
    LEADER = "leader"  # the leader on duty, always urgent
    CO_UNITS = "co_units"  # the co-units (协办单位) the action added


@dataclass(frozen=True)
class Notify:
    template: str  # a key of city.sms.templates
    to: Audience
    when: State | None = None  # only when the action ends in this state
    turned_on: str | None = None  # only when the action turns this field of the order on (priority)


class Relation(StrEnum):
    """How a handler stands to an order: its unit (or one above it) handles it, or helps (协办)."""

    MAIN = "main"
    CO = "co"


MAIN_ONLY = frozenset({Relation.MAIN})


# A unit's new order: counted into the staff digest at delivery (services/notify.py).
NEW_ORDER = "staff_new_order"


@dataclass(frozen=True)
class Outcome:
    changes: dict[str, Any] = field(default_factory=dict)
    to_state: State | None = None  # None: the rule's target
    note: str | None = None
    public: bool = False


Effect = Callable[[WorkOrder, Actor, Mapping[str, Any], Context], Outcome]
Guard = Callable[[WorkOrder, Context], str | None]


@dataclass(frozen=True)
class Rule:
    label: str
    roles: frozenset[Role]
    sources: frozenset[State]
    target: State | None  # None: the state does not change
    effect: Effect
    guard: Guard | None = None
    inputs: tuple[Input, ...] = ()
    notices: tuple[Notify, ...] = ()
    # The action the order an ORDER input names takes in the same transaction (merge → absorb), and
    # the parameter of it that names this order.
    then: tuple[Action, str] | None = None
    # The API model's name and description (OpenAPI components), when the name is not the action's.
    model: str | None = None
    doc: str | None = None
    # Who may take it by their relation to the order: a co-unit's handler only where CO is named.
    relations: frozenset[Relation] = MAIN_ONLY
    # Roles that take the action only within a submission's own step (an operator's intake:
    # lifecycle.apply(at_intake=True)), never through POST …/actions: it is no staff action of theirs.
    intake_roles: frozenset[Role] = frozenset()
