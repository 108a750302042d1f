"""Taking an action on a stored order: the one way every change is made and kept.

``apply`` decides the change; it is stored with its audit event, the SMS it
causes (the outbox) and what it changes in the dashboard's counters (domain/stats.py)
in one transaction, on condition that the order is still the version it was decided
on. Staff actions, residents' ratings and the sweep's system actions all come through here.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from chalicelib import storage
from chalicelib.domain.lifecycle import SYSTEM, Actor, Context, WorkOrder, apply
from chalicelib.domain.notices import notices_for
from chalicelib.domain.reports import StoredOrder
from chalicelib.domain.stats import deltas


def _change(
    stored: StoredOrder, order: WorkOrder, action: str, actor: Actor, params: dict[str, Any], ctx: Context
) -> storage.Change:
    changed, event = apply(order, action, actor, params, ctx)
    notices = notices_for(event, changed, ctx.city, has_contact=stored.report.contact is not None, before=order)
    return storage.Change(stored, changed, event, notices, deltas(order, changed, ctx.city.zone))


def take(
    stored: StoredOrder, order: WorkOrder, action: str, actor: Actor, params: dict[str, Any], ctx: Context,
    claims: Sequence[storage.Claim] = (),
) -> WorkOrder:
    """The order after ``action``, stored with ``claims`` (the uploads it attaches). Raises what ``apply``
    raises, ``StaleWrite`` if someone changed the order since ``stored`` was read and ``ClaimTaken`` if
    one of ``claims`` is somebody's already (then nothing is written)."""
    change = _change(stored, order, action, actor, params, ctx)
    storage.record_changes([change], claims)
    return change.order


def merge(
    stored: StoredOrder, order: WorkOrder, main: StoredOrder, actor: Actor, params: dict[str, Any],
    ctx: Context,
) -> WorkOrder:
    """Merge ``order`` into ``main`` (并单): both orders change, with an event each, or neither."""
    merged = _change(stored, order, "merge", actor, params, ctx)
    absorbed = _change(main, main.order, "absorb", SYSTEM, {"merged": order.tracking_no}, ctx)
    storage.record_changes([merged, absorbed])
    return merged.order
