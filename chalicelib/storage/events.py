"""Reads of events: an order's audit trail, and the public feed of changes."""
from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator

from chalicelib.domain.orders import Event
from chalicelib.domain.reports import PublicChange
from chalicelib.storage.mapping import read, to_event
from chalicelib.storage.models import EventModel, FeedIndex


def trail(tracking_no: str) -> list[Event]:
    return [to_event(item) for item in EventModel.query(tracking_no, consistent_read=True)]


def feed(start: dt.datetime, end: dt.datetime, page_size: int) -> Iterator[PublicChange]:
    """Public events from ``start`` to ``end`` (both inclusive), oldest first, read as they are taken.

    One Query per UTC day of the window on the sparse ``by-feed-day`` index, each read
    ``page_size`` events a call and only as far as the caller goes: the cost follows the
    public events taken, not the stored ones.
    """
    day = start.astimezone(dt.timezone.utc).date()
    last = end.astimezone(dt.timezone.utc).date()
    while day <= last:
        found = EventModel.by_feed_day.query(
            day.isoformat(), range_key_condition=FeedIndex.at.between(start, end), page_size=page_size
        )
        # Events of one change share their instant: keep them in their trail's order.
        for _, same_instant in itertools.groupby(found, key=lambda item: item.at):
            for item in sorted(same_instant, key=lambda item: (item.tracking_no, item.seq)):
                yield read(PublicChange, item)
        day += dt.timedelta(days=1)
