"""Taking an action on a stored order: the one way every change is made and kept.

An action flows one way: ``gather`` reads what its inputs look up (the rule's ``Input.lookup``:
the order a field names, the unit's people, the actor's uploads), one pure decision
(domain/changes.py ``decide``: the changed orders, their events, the SMS they cause, the
dashboard's counters) is made from it, and ``record`` stores that in one transaction, on
condition that each order is still the version it was decided on. Staff actions, residents'
ratings and the sweep's system actions all come through here.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib import storage
from chalicelib.domain.actions import Input, Lookup
from chalicelib.domain.changes import decide
from chalicelib.domain.codes import parse_tracking_number
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.lifecycle import OPEN_STATES, RULES, Actor, Context, WorkOrder
from chalicelib.domain.reports import StoredOrder


@dataclass(frozen=True)
class Gathered:
    """What an action's inputs looked up: its parameters as the decision takes them, its context, the
    order an input named, and the uploads it attaches by field (their claims go into its transaction)."""

    params: dict[str, Any]
    ctx: Context
    named: StoredOrder | None = None
    uploads: dict[str, list] = field(default_factory=dict)  # field → services/intake.Upload, as checked


def take(stored: StoredOrder, action: str, actor: Actor, params: Mapping[str, Any], ctx: Context) -> WorkOrder:
    """The order after ``action``: gathered, decided, and stored with what it changes on the order an
    input named and the claims of the uploads it attaches. Raises what ``apply`` raises, 422 on a field
    whose lookup finds nothing, ``StaleWrite`` if someone changed an order since it was read (then
    nothing is written)."""
    found = gather(stored, action, actor, params, ctx)
    decided = decide(stored, action, actor, found.params, found.ctx, found.named)
    try:
        storage.record_changes(decided, [upload.claim for ups in found.uploads.values() for upload in ups])
    except storage.ClaimTaken as taken:  # attached by another action since its check (the copies stay)
        from chalicelib.services.intake import used_upload

        raise next(filter(None, (used_upload(taken, ups, name) for name, ups in found.uploads.items())), taken) from None
    return decided[0].order


def gather(stored: StoredOrder, action: str, actor: Actor, params: Mapping[str, Any], ctx: Context) -> Gathered:
    """Read what ``action``'s inputs look up; raises 422 on the field when what it names is not there."""
    found = Gathered(dict(params), ctx)
    for spec in RULES[action].inputs:
        if spec.lookup is not None and params.get(spec.name):
            found = _READERS[spec.lookup](found, stored, actor, spec)
    return found


def _named_order(found: Gathered, stored: StoredOrder, actor: Actor, spec: Input) -> Gathered:
    """The open order a field names (a merge's main order, 主工单)."""
    value = str(found.params[spec.name])
    if value.strip().upper() == stored.tracking_no:
        raise InvalidInput("不能并入自身", {spec.name: "不能并入自身"})
    canonical = parse_tracking_number(value)
    named = storage.get_order(canonical) if canonical else None
    if named is None:
        raise InvalidInput("主工单不存在", {spec.name: "主工单不存在"})
    if named.order.state not in OPEN_STATES:
        raise InvalidInput("主工单已办结或已并单，不能并入", {spec.name: "主工单已办结或已并单"})
    return dataclasses.replace(found, params={**found.params, spec.name: named.tracking_no}, named=named)


def _people(found: Gathered, stored: StoredOrder, actor: Actor, spec: Input) -> Gathered:
    """The order's unit's people, as the identity provider has them now: the domain chooses among them."""
    from chalicelib.services import people

    staff = {p.id: p.name for p in people.of_units([stored.order.unit])}
    return dataclasses.replace(found, ctx=dataclasses.replace(found.ctx, people=staff))


def _uploads(found: Gathered, stored: StoredOrder, actor: Actor, spec: Input) -> Gathered:
    """The acting staff member's own uploads only (not a resident's, not a colleague's), copied under the
    order: a retry of the same action copies them to the same keys."""
    from chalicelib.services import intake

    order = stored.order
    uploads = intake.verified_uploads(found.params[spec.name], found.ctx.city, spec.name, intake.uploader_tag(actor))
    attached = intake.attachments(uploads, f"media/{order.tracking_no}/result-{order.round}-")
    intake.attach_uploads(uploads, attached, spec.name)
    params = {**found.params, spec.name: [u.key for u in attached]}
    return dataclasses.replace(found, params=params, uploads={**found.uploads, spec.name: uploads})


_READERS = {Lookup.ORDER: _named_order, Lookup.PEOPLE: _people, Lookup.UPLOADS: _uploads}
