"""The orders and events tables (pynamodb models), the connection they share.

- orders: one item per work order, keyed by tracking number. The GSIs ``by-unit``
  (unit, created_key) and ``by-state`` (state, created_key) list them newest first
  for a unit's queue and for the command centre, projecting only the fields a list
  shows, never the encrypted contact; ``by-unit-urgency`` and ``by-state-urgency`` list
  the same in the working order (range key ``urgency_key``: level, 重点办, due time, newest). Three sparse GSIs hold only the orders that
  have what they key on: ``by-next-check`` (the sweep's), ``by-phone`` and
  ``by-publication`` (below).
- events: the append-only audit trail, (tracking_no, seq). An event is only
  ever put with ``attribute_not_exists``, in the same transaction as the
  order change it records.
- the case library (典型案例库): the sparse GSI ``by-publication`` (case_partition,
  published_at) holds only the published orders, projecting what a case shows.
- the public feed of changes (Open311's servicerequestupdates): the sparse GSI
  ``by-feed-day`` of the events table (feed_day, at) holds only public events, one
  partition per UTC day, so a time window is one Query per day it spans.
"""
from __future__ import annotations

from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
import pynamodb.connection.base
from pynamodb.connection import Connection
from pynamodb.indexes import GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model

from chalicelib.adapters.aws import botocore_session
from chalicelib.settings import get_settings
from chalicelib.storage import errors

settings = get_settings()

# Each pynamodb connection asks this module-level name for its botocore session; ours
# share one data loader (see adapters/aws.py), which saves a parse of the DynamoDB
# description per model class on every cold start.
pynamodb.connection.base.get_session = botocore_session
# And each one's refusals for the moment become the domain's Unavailable (storage/errors.py).
errors.install()



def table_meta(name: str, **options: Any) -> type:
    """A model's ``Meta``: its table, under the stage's prefix, billed on demand; ``options`` besides
    (a stream)."""
    return type("Meta", (), {"table_name": settings.table(name), "billing_mode": "PAY_PER_REQUEST", **options})


def index_meta(name: str, projection: Any) -> type:
    """An index's ``Meta``: its name and what it projects."""
    return type("Meta", (), {"index_name": name, "projection": projection})


LIST_FIELDS = [
    "created_at", "type", "category", "area", "state", "unit", "priority", "due_at", "round",
    "description", "anonymous", "merged_into", "resolved_at", "level", "verified",
    # The queue's assignee filter and the workload group by the person (承办人).
    "assignee_id", "assignee_name",
]
# The sparse index of orders with a reminder, escalation or auto-close ahead: an
# order is in it only while it has a next_check_at (one partition; the sweep reads
# the part of it that is due, so its cost follows the due orders, not the stored).
CHECK_PARTITION = "due"
# The sparse index of the case library (典型案例库): an order is in it only while it is
# published, so a query's cost follows the published cases, not the stored orders.
CASE_PARTITION = "case"
# What a published case shows; its keys (case_partition, published_at) come with the index.
CASE_FIELDS = [
    "type", "category", "area", "description", "reply", "created_at", "resolved_at", "case_title", "rating",
]

# What the duplicate lookup compares; its keys (geo_cell, created_key) come with the index.
CELL_FIELDS = ["category", "state", "description", "location", "phone_hash", "created_at"]
# At most this many of a cell's newest requests of one category are read per lookup, so a
# flood of reports in one place cannot make intake slow (the newest are the likeliest).
CELL_READ_LIMIT = 100


class Location(MapAttribute):
    lat = NumberAttribute()
    lng = NumberAttribute()
    coord_system = UnicodeAttribute()
    address = UnicodeAttribute(null=True)


class MediaItem(MapAttribute):
    key = UnicodeAttribute()
    content_type = UnicodeAttribute()
    size = NumberAttribute()
    kind = UnicodeAttribute()


class _ListIndex(GlobalSecondaryIndex):
    created_key = UnicodeAttribute(range_key=True)


def _listing(index_key: str) -> IncludeProjection:
    # DynamoDB projects an index's keys anyway and refuses them among its non-key attributes.
    return IncludeProjection([name for name in LIST_FIELDS if name != index_key])


class UnitIndex(_ListIndex):
    Meta = index_meta("by-unit", _listing("unit"))

    unit = UnicodeAttribute(hash_key=True)


class _UrgencyIndex(GlobalSecondaryIndex):
    urgency_key = UnicodeAttribute(range_key=True)


class UnitUrgencyIndex(_UrgencyIndex):
    """A unit's queue in the working order (deadlines.urgency_key): red first, 重点办 first within a level."""

    Meta = index_meta("by-unit-urgency", _listing("unit"))

    unit = UnicodeAttribute(hash_key=True)


class CheckIndex(GlobalSecondaryIndex):
    Meta = index_meta("by-next-check", KeysOnlyProjection())

    check_partition = UnicodeAttribute(hash_key=True)
    next_check_at = UTCDateTimeAttribute(range_key=True)


class StateIndex(_ListIndex):
    Meta = index_meta("by-state", _listing("state"))

    state = UnicodeAttribute(hash_key=True)


class StateUrgencyIndex(_UrgencyIndex):
    """The command centre's queue in the working order, one partition per state."""

    Meta = index_meta("by-state-urgency", _listing("state"))

    state = UnicodeAttribute(hash_key=True)


class PhoneIndex(_ListIndex):
    """Sparse: only orders made with a verified phone have a phone_hash."""

    Meta = index_meta("by-phone", _listing("phone_hash"))

    phone_hash = UnicodeAttribute(hash_key=True)


class CellIndex(_ListIndex):
    """Every order under its category and geohash cell: the duplicate lookup and the hotspots read by it."""

    Meta = index_meta("by-cell", IncludeProjection(CELL_FIELDS))

    geo_cell = UnicodeAttribute(hash_key=True)


class CaseIndex(GlobalSecondaryIndex):
    """Sparse: only published orders have a case_partition."""

    Meta = index_meta("by-publication", IncludeProjection(CASE_FIELDS))

    case_partition = UnicodeAttribute(hash_key=True)
    published_at = UTCDateTimeAttribute(range_key=True)


class OrderModel(Model):
    Meta = table_meta("orders")

    tracking_no = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute()
    urgency_key = UnicodeAttribute(null=True)  # the working order's sort key (deadlines.urgency_key)
    channel = UnicodeAttribute(default="web")
    external_id = UnicodeAttribute(null=True)  # the partner channel's own id for the request
    # The report as the resident made it; it never changes.
    description = UnicodeAttribute()
    location = Location()
    media = ListAttribute(of=MediaItem, default=list)
    anonymous = BooleanAttribute()
    contact = BinaryAttribute(null=True, legacy_encoding=False)  # AES-GCM sealed {name, phone}
    query_code_hash = UnicodeAttribute()
    verified = BooleanAttribute(default=False)  # the contact phone was proven by an SMS code (实名)
    phone_hash = UnicodeAttribute(null=True)  # keyed hash of that phone, for the resident's own list
    # The classifier's top category for the description at intake, and its probability (智能预判).
    suggested_category = UnicodeAttribute(null=True)
    suggestion_confidence = NumberAttribute(null=True)
    answers = JSONAttribute(null=True)  # the category's extra questions, answered: {code: text or [keys]}
    # "<category>#<geohash>": the by-cell index's key (the category never changes, nor the place).
    geo_cell = UnicodeAttribute(null=True)
    # Open requests this one seemed to repeat when it arrived (并单 suspects), for the dispatcher.
    duplicates = ListAttribute(of=UnicodeAttribute, default=list)
    # The lifecycle (mirrors domain.lifecycle.WorkOrder field by field).
    type = UnicodeAttribute()
    category = UnicodeAttribute()
    area = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    state = UnicodeAttribute()
    version = NumberAttribute()
    unit = UnicodeAttribute(null=True)
    co_units = ListAttribute(of=UnicodeAttribute, default=list)
    priority = BooleanAttribute(default=False)
    dispatched_at = UTCDateTimeAttribute(null=True)
    sign_due_at = UTCDateTimeAttribute(null=True)
    sign_reminded = BooleanAttribute(default=False)
    signed_at = UTCDateTimeAttribute(null=True)
    due_from = UTCDateTimeAttribute(null=True)
    due_at = UTCDateTimeAttribute(null=True)
    level = UnicodeAttribute(default="normal")
    supervised_at = UTCDateTimeAttribute(null=True)
    supervision_reason = UnicodeAttribute(null=True)
    next_check_at = UTCDateTimeAttribute(null=True)
    check_partition = UnicodeAttribute(null=True)  # set only with next_check_at: keeps the index sparse
    round = NumberAttribute(default=1)
    extensions_used = NumberAttribute(default=0)
    pending_extension_days = NumberAttribute(null=True)
    merged_into = UnicodeAttribute(null=True)
    followers = ListAttribute(of=UnicodeAttribute, default=list)  # the orders merged into this one
    reply = UnicodeAttribute(null=True)
    result_media = ListAttribute(of=UnicodeAttribute, default=list)
    rating = NumberAttribute(null=True)
    rating_source = UnicodeAttribute(null=True)
    callback_misses = NumberAttribute(default=0)
    resolved_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    published_at = UTCDateTimeAttribute(null=True)  # in the case library since (典型案例库)
    case_title = UnicodeAttribute(null=True)
    case_partition = UnicodeAttribute(null=True)  # set only while published: keeps the index sparse
    assignee_id = UnicodeAttribute(null=True)  # the person of the unit handling it (承办人)
    assignee_name = UnicodeAttribute(null=True)
    co_replies = JSONAttribute(null=True)  # the co-units' replies this round: {unit: reply} (协办意见)
    co_pending_note = UnicodeAttribute(null=True)  # why it was resolved with a co-reply pending
    updated_at = UTCDateTimeAttribute(null=True)  # the latest change (its last event's time)
    # The latest public note of its trail (a resident's own words aside): what the public was last told.
    public_note = UnicodeAttribute(null=True)

    by_unit = UnitIndex()
    by_state = StateIndex()
    by_unit_urgency = UnitUrgencyIndex()
    by_state_urgency = StateUrgencyIndex()
    by_next_check = CheckIndex()
    by_phone = PhoneIndex()
    by_publication = CaseIndex()
    by_cell = CellIndex()


# What the feed of public changes shows of an event; its keys come with the index.
FEED_FIELDS = ["action", "to_state", "note", "changes"]


class FeedIndex(GlobalSecondaryIndex):
    """Sparse: only public events have a feed_day (their UTC date)."""

    Meta = index_meta("by-feed-day", IncludeProjection(FEED_FIELDS))

    feed_day = UnicodeAttribute(hash_key=True)
    at = UTCDateTimeAttribute(range_key=True)


class EventModel(Model):
    Meta = table_meta("events")

    tracking_no = UnicodeAttribute(hash_key=True)
    seq = NumberAttribute(range_key=True)
    at = UTCDateTimeAttribute()
    action = UnicodeAttribute()
    actor_role = UnicodeAttribute()
    actor_id = UnicodeAttribute()
    actor_unit = UnicodeAttribute(null=True)
    from_state = UnicodeAttribute(null=True)
    to_state = UnicodeAttribute()
    note = UnicodeAttribute(null=True)
    changes = JSONAttribute()
    public = BooleanAttribute()
    feed_day = UnicodeAttribute(null=True)  # set on public events only: keeps the index sparse

    by_feed_day = FeedIndex()


_CONNECTION: Connection | None = None


def connection() -> Connection:
    global _CONNECTION
    if _CONNECTION is None:
        _CONNECTION = Connection(region=OrderModel.Meta.region, host=OrderModel.Meta.host)
    return _CONNECTION
