"""The sweep behind the ``escalate`` schedule: what has come due, done once.

It reads only the due part of the ``by-next-check`` index, never the whole
table, and takes each due system action — signing reminder, return of an
unsigned order, warning, yellow, red, closing an unrated order — through the
lifecycle like any other change. Each is stored with its event on condition of
the version it was decided on, so two sweeps at once, or a sweep retried after
a crash, change (and notify) nothing twice: the slower write fails its
condition and that sweep moves on.
"""
from __future__ import annotations

from collections import Counter

from chalicelib import storage
from chalicelib.domain import deadlines
from chalicelib.domain.errors import Conflict
from chalicelib.domain.lifecycle import SYSTEM, apply
from chalicelib.observability import count, logger
from chalicelib.services import runtime


def sweep() -> dict[str, int]:
    """Take every system action that is due now; how many of each were taken."""
    ctx = runtime.domain_context()
    taken: Counter[str] = Counter()
    for tracking_no in storage.due_for_check(ctx.now):
        item = storage.get_order(tracking_no)  # consistent: the index may lag the order
        order = storage.to_domain(item)
        while (action := deadlines.due_action(order, ctx)) is not None:
            changed, event = apply(order, action, SYSTEM, {}, ctx)
            try:
                storage.record_change(item, changed, event)
            except Conflict:
                break  # another sweep, or a person, changed it first
            taken[action] += 1
            order = changed
    for action, n in taken.items():
        count(f"Sweep.{action}")
    logger.info("sweep", **taken)
    return dict(taken)
