"""What an action does to a stored order, decided once and purely: the changes to store.

services/changes.py gathers what the action's inputs look up (domain/actions.Lookup), calls
``decide`` and stores what it returns in one transaction. An action whose rule has ``then``
changes two orders (a merge: the order merged, and the one it is merged into, which absorbs it).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.lifecycle import RULES, SYSTEM, apply
from chalicelib.domain.notices import Notice, notices_for
from chalicelib.domain.orders import Actor, Context, Event, WorkOrder
from chalicelib.domain.reports import StoredOrder
from chalicelib.domain.stats import Tallies, deltas


@dataclass(frozen=True)
class Change:
    stored: StoredOrder  # the order as loaded: stored on condition that it is still this version
    order: WorkOrder  # the order after the change
    event: Event
    notices: Sequence[Notice] = ()
    tallies: Tallies = dataclasses.field(default_factory=dict)  # what it adds to the dashboard's counters


def decide(
    stored: StoredOrder, action: str, actor: Actor, params: Mapping[str, Any], ctx: Context,
    named: StoredOrder | None = None,
) -> list[Change]:
    """The changes ``action`` makes: to ``stored``, and to ``named`` (the order an ORDER input named) when
    the rule says what that one does then."""
    changes = [_change(stored, action, actor, params, ctx)]
    then = RULES[action].then
    if then is not None and named is not None:
        follow, naming = then
        changes.append(_change(named, follow, SYSTEM, {naming: stored.tracking_no}, ctx))
    return changes


def _change(stored: StoredOrder, action: str, actor: Actor, params: Mapping[str, Any], ctx: Context) -> Change:
    changed, event = apply(stored.order, action, actor, params, ctx)
    has_contact = stored.report.contact is not None
    notices = notices_for(event, changed, ctx.city, has_contact=has_contact, before=stored.order)
    return Change(stored, changed, event, notices, deltas(stored.order, changed, ctx.city.zone))
