"""Taking an action on a stored order: the one way every change is made and kept.

``apply`` decides the change; it is stored with its audit event, the SMS it
causes (the outbox) and what it changes in the dashboard's counters (domain/stats.py)
in one transaction, on condition that the order is still the version it was decided
on. Staff actions, residents' ratings and the sweep's system actions all come through here.
"""
from __future__ import annotations

from typing import Any

from chalicelib import storage
from chalicelib.domain.lifecycle import Actor, Context, WorkOrder, apply
from chalicelib.domain.notices import notices_for
from chalicelib.domain.stats import deltas


def take(
    item: storage.OrderModel, order: WorkOrder, action: str, actor: Actor, params: dict[str, Any], ctx: Context
) -> WorkOrder:
    """The order after ``action``, stored. Raises what ``apply`` raises, and ``StaleWrite`` if
    someone changed the order since ``item`` was read (then nothing is written)."""
    changed, event = apply(order, action, actor, params, ctx)
    notices = notices_for(event, changed, ctx.city, has_contact=item.contact is not None)
    storage.record_change(item, changed, event, notices, deltas(order, changed, ctx.city.zone))
    return changed
