"""Work no one asks for: closing resolved orders that were never rated.

A resolved order waits for the resident's rating for the city's
``auto_close_days``; after that it closes as 未评价 (unrated). Each order is
closed through the lifecycle like any other change, so a resident who rates
at the same moment wins or loses cleanly (the loser changes nothing), and a
run that is retried or overlaps another closes nothing twice.
"""
from __future__ import annotations

import datetime as dt

from chalicelib import storage
from chalicelib.domain.errors import Conflict
from chalicelib.domain.lifecycle import SYSTEM, State, apply
from chalicelib.observability import count, logger
from chalicelib.services import runtime


def close_unrated() -> list[str]:
    """Close every order resolved longer ago than the rating period; the tracking numbers closed."""
    ctx = runtime.domain_context()
    cutoff = ctx.now - dt.timedelta(days=ctx.city.auto_close_days)
    closed = []
    for tracking_no in storage.resolved_before(cutoff):
        item = storage.get_order(tracking_no)  # consistent: the index may lag a rating
        order = storage.to_domain(item)
        if order.state is not State.RESOLVED:
            continue
        changed, event = apply(order, "auto_close", SYSTEM, {}, ctx)
        try:
            storage.record_change(item, changed, event)
        except Conflict:
            continue  # rated, or closed by an overlapping run, since it was read
        count("OrderAutoClosed")
        closed.append(tracking_no)
    logger.info("closed unrated orders", closed=len(closed))
    return closed
