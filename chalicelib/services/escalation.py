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

import dataclasses

from collections import Counter

from aws_lambda_powertools.metrics import MetricUnit

from chalicelib import storage
from chalicelib.domain import deadlines
from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.lifecycle import SYSTEM, Context
from chalicelib.observability import logger, metrics
from chalicelib.services import changes, runtime


def sweep() -> dict[str, int]:
    """Take every system action that is due now; how many of each were taken."""
    ctx = runtime.domain_context()
    taken: Counter[str] = Counter()
    failed = 0
    for tracking_no in storage.due_for_check(ctx.now):
        try:
            _catch_up(tracking_no, ctx, taken)
        except Exception:
            # One order the sweep cannot handle (say, its category has left the city file)
            # must not hold back the rest: the index gives it first at every run, so an
            # error here would otherwise stop all escalation. It stays due, and logged.
            logger.exception("sweep failed on an order", tracking_no=tracking_no)
            failed += 1
    for action, n in taken.items():
        metrics.add_metric(name=f"Sweep.{action}", unit=MetricUnit.Count, value=n)
    if failed:
        metrics.add_metric(name="Sweep.failed", unit=MetricUnit.Count, value=failed)
    logger.info("sweep", failed=failed, **taken)
    return dict(taken)


def _catch_up(tracking_no: str, ctx: Context, taken: Counter[str]) -> None:
    """Every action due on one order, one after the other (a sweep that was away)."""
    stored = storage.get_order(tracking_no)  # consistent: the index may lag the order
    while (action := deadlines.due_action(stored.order, ctx)) is not None:
        try:
            # The next action is decided on, and stored on condition of, the order as this one left it.
            stored = dataclasses.replace(stored, order=changes.take(stored, action, SYSTEM, {}, ctx))
        except StaleWrite:
            return  # another sweep, or a person, changed it first
        taken[action] += 1
