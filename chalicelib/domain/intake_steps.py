"""What follows a new order's first event (lifecycle.open_order), in the submission's own step.

A member of staff who takes a request down (代客录入) may dispatch it or answer it on the
line (当场答复) as they enter it: that step is theirs, named on its event, and is taken
with ``at_intake`` (a rule's ``intake_roles``: an operator dispatches nothing through
POST …/actions). Without one, the routing's unit gets it (auto_dispatch), as for every
submission.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from chalicelib.domain.lifecycle import SYSTEM, apply
from chalicelib.domain.orders import Actor, Context, Event, WorkOrder


@dataclass(frozen=True)
class Step:
    action: str  # "dispatch" or "answer" (lifecycle.RULES)
    params: Mapping[str, Any] = field(default_factory=dict)


def after_open(
    order: WorkOrder, routed_unit: str | None, actor: Actor, step: Step | None, ctx: Context
) -> tuple[WorkOrder, list[Event]]:
    """The order after its intake's own step, and that step's events (none: it waits for a dispatcher)."""
    if step is not None:
        order, event = apply(order, step.action, actor, step.params, ctx, at_intake=True)
        return order, [event]
    if routed_unit is not None:
        order, event = apply(order, "auto_dispatch", SYSTEM, {"unit": routed_unit}, ctx)
        return order, [event]
    return order, []
