"""The duplicate lookup (requests nearby, a phone's recent ones) and the hotspot alerts."""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from pynamodb.exceptions import UpdateError

from chalicelib.domain.reports import Neighbour
from chalicelib.storage.mapping import created_key, read
from chalicelib.storage.models import CELL_READ_LIMIT, CellIndex, OrderModel, PhoneIndex
from chalicelib.storage.pages import CASE_KEY, Page, decode_case_cursor, page_of
from chalicelib.storage.tables import HOTSPOT_FEED, HotspotModel, RaisedIndex


def geo_cell(category: str, cell: str) -> str:
    return f"{category}#{cell}"


def recent_in_cells(category: str, cells: Sequence[str], since: dt.datetime) -> list[Neighbour]:
    """Requests of one category made since ``since`` in each cell: one Query per cell, newest first.

    Each Query reads at most CELL_READ_LIMIT requests, so the cost follows the requests in
    those few cells, never the requests in the city.
    """
    lower = created_key(since, "")
    found = []
    for cell in cells:
        found += OrderModel.by_cell.query(
            geo_cell(category, cell),
            CellIndex.created_key >= lower,
            scan_index_forward=False,
            limit=CELL_READ_LIMIT,
            page_size=CELL_READ_LIMIT,
        )
    return [read(Neighbour, item) for item in found]


# A resident's requests in a duplicate window are few; more than this is not one person reporting.
PHONE_READ_LIMIT = 20


def recent_of_phone(phone_hash: str, since: dt.datetime) -> list[Neighbour]:
    """The verified phone's requests made since ``since``, newest first: one Query on ``by-phone``."""
    return [
        read(Neighbour, item)
        for item in OrderModel.by_phone.query(
            phone_hash,
            PhoneIndex.created_key >= created_key(since, ""),
            scan_index_forward=False,
            limit=PHONE_READ_LIMIT,
            page_size=PHONE_READ_LIMIT,
        )
    ]


def raise_hotspot(category: str, cell: str, members: Sequence[str], now: dt.datetime, quiet_since: dt.datetime) -> bool:
    """Raise the cell's alert with ``members`` unless it is live; True if this call raised it.

    An alert is live while its newest request is after ``quiet_since``: then the newest member
    (the request that triggered the call) is added to it instead, once however often retried.
    Both steps are conditional writes, so two requests arriving together raise it once.
    """
    alert = HotspotModel(geo_cell(category, cell))
    try:
        alert.update(
            actions=[
                HotspotModel.category.set(category),
                HotspotModel.cell.set(cell),
                HotspotModel.raised_at.set(now),
                HotspotModel.last_at.set(now),
                HotspotModel.tracking_nos.set(list(members)),
                HotspotModel.feed.set(HOTSPOT_FEED),
            ],
            condition=HotspotModel.key.does_not_exist() | (HotspotModel.last_at <= quiet_since),
        )
        return True
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
    newest = members[-1]
    try:
        alert.update(
            actions=[HotspotModel.last_at.set(now), HotspotModel.tracking_nos.set(HotspotModel.tracking_nos.append([newest]))],
            condition=HotspotModel.key.exists() & ~HotspotModel.tracking_nos.contains(newest),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        # Already listed: a retry of the same request.
    return False


@dataclass(frozen=True)
class Hotspot:
    """A hotspot alert (未诉先办) of one category and cell."""

    key: str  # "<category>#<geohash>", as the orders' geo_cell
    category: str
    cell: str
    raised_at: dt.datetime
    last_at: dt.datetime  # the newest request in it
    tracking_nos: tuple[str, ...]  # its requests, oldest first


def hotspots(cursor: str | None, limit: int) -> Page:
    """Hotspot alerts (``Hotspot``), the latest raised first, by Query on ``by-raised``."""
    after = decode_case_cursor(cursor) if cursor else None
    results = HotspotModel.by_raised.query(
        HOTSPOT_FEED,
        range_key_condition=RaisedIndex.raised_at < after if after else None,
        scan_index_forward=False,
        limit=limit + 1,
        page_size=limit + 1,
    )
    return page_of(results, limit, lambda item: CASE_KEY.serialize(item.raised_at), lambda item: read(Hotspot, item))
