"""The report half of an order (what the resident submitted, never changed) and an order as stored.

Storage hands services a ``StoredOrder``: the lifecycle (``WorkOrder``), the report, and what
storage keeps of the trail for the public (the latest change and public note). A list or an
index reads only some fields of an order: each such read has its own record here.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from chalicelib.domain.orders import Level, State, WorkOrder


@dataclass(frozen=True)
class Location:
    lat: float
    lng: float
    coord_system: str  # "wgs84", "gcj02" or "bd09", as sent
    address: str | None = None


@dataclass(frozen=True)
class Media:
    key: str
    content_type: str
    size: int
    kind: str  # "photo" / "video"


@dataclass(frozen=True)
class Report:
    """What the resident submitted: stored once, never changed."""

    description: str
    location: Location
    media: tuple[Media, ...]
    anonymous: bool
    contact: bytes | None  # sealed by the field cipher
    query_code_hash: str
    channel: str = "web"
    verified: bool = False
    phone_hash: str | None = None  # keyed hash of the verified phone
    suggested_category: str | None = None  # the classifier's top category at intake
    suggestion_confidence: float | None = None
    answers: Mapping[str, Any] | None = None  # the category's extra questions, answered
    external_id: str | None = None  # a partner channel's own id for the request
    geo_cell: str | None = None  # "<category>#<geohash>"
    duplicates: tuple[str, ...] = ()  # suspected duplicates found at intake


@dataclass(frozen=True)
class StoredOrder:
    """An order as read: a change of it is stored on condition that its version is still ``version``."""

    order: WorkOrder
    report: Report
    updated_at: dt.datetime | None = None  # its latest change (its last event's time)
    public_note: str | None = None  # the latest public note of its trail: what the public was last told

    @property
    def tracking_no(self) -> str:
        return self.order.tracking_no

    @property
    def version(self) -> int:
        return self.order.version


@dataclass(frozen=True)
class Listed:
    """An order as a list shows it (a queue, a phone's own requests): the lists' index projection."""

    tracking_no: str
    created_at: dt.datetime
    type: str
    category: str
    area: str | None
    state: State
    unit: str | None
    priority: bool
    due_at: dt.datetime | None
    round: int
    description: str
    anonymous: bool
    merged_into: str | None
    resolved_at: dt.datetime | None
    level: Level
    verified: bool


@dataclass(frozen=True)
class PublishedCase:
    """A case of the library (典型案例库), as its index holds it."""

    tracking_no: str
    published_at: dt.datetime
    type: str
    category: str
    area: str | None
    description: str
    reply: str | None
    created_at: dt.datetime
    resolved_at: dt.datetime | None
    case_title: str | None
    rating: int | None


@dataclass(frozen=True)
class PublicChange:
    """A public event of the feed (Open311's servicerequestupdates), as its index holds it."""

    tracking_no: str
    seq: int
    at: dt.datetime
    action: str
    to_state: State
    note: str | None
    changes: Mapping[str, Any] | None


@dataclass(frozen=True)
class Neighbour:
    """An earlier order of the same place or phone, as the duplicate lookup reads it."""

    tracking_no: str
    category: str
    state: State
    description: str
    location: Location | None  # not in the phone's index: a phone's match needs no distance
    geo_cell: str | None
    phone_hash: str | None
    created_at: dt.datetime
