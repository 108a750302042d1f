"""Reads of events: an order's audit trail, and the public feed of changes."""
from __future__ import annotations

import datetime as dt

from chalicelib.domain.orders import Event
from chalicelib.storage.mapping import to_event
from chalicelib.storage.models import EventModel, FeedIndex


def trail(tracking_no: str) -> list[Event]:
    return [to_event(item) for item in EventModel.query(tracking_no, consistent_read=True)]


def feed(start: dt.datetime, end: dt.datetime, limit: int) -> list[EventModel]:
    """Public events from ``start`` to ``end`` (both inclusive), oldest first, at most ``limit``.

    One Query per UTC day of the window on the sparse ``by-feed-day`` index: the cost
    follows the public events in the window, not the stored ones.
    """
    found: list[EventModel] = []
    day = start.astimezone(dt.timezone.utc).date()
    last = end.astimezone(dt.timezone.utc).date()
    while day <= last and len(found) < limit:
        found += EventModel.by_feed_day.query(
            day.isoformat(),
            range_key_condition=FeedIndex.at.between(start, end),
            limit=limit - len(found),
            page_size=limit - len(found),
        )
        day += dt.timedelta(days=1)
    # Events of one change share their instant: keep them in their trail's order.
    return sorted(found, key=lambda item: (item.at, item.tracking_no, item.seq))
