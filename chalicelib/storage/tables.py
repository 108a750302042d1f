"""The other tables (pynamodb models): counters, outbox, otp, hotspots, claims, api-keys, stats; MODELS
(with co-handling's, storage/co_handling.py).

- counters: atomic daily sequences for tracking numbers, the daily SMS
  count per phone (kept two days, by TTL), and a duty phone's new orders per
  digest window with the first few numbers not texted singly (kept, by TTL,
  as long as the notify queue keeps the window's digest).
- outbox: one item per SMS to send, put in the same transaction as the change
  that causes it, so no change can be stored without its messages or the other
  way round. Its stream (NEW_IMAGE) feeds the notify queue; items expire by TTL.
- idempotency: Powertools' idempotency records (created here, used there).
- otp: one item per phone, keyed by the phone's keyed hash: its live
  verification code (a keyed hash only), the wrong tries at it, and when codes
  were sent (for the rate limits). Orders made with a verified phone carry the
  same hash, and the sparse GSI ``by-phone`` (phone_hash, created_key) lists a
  resident's own requests.
- claims: what must exist once only, claimed in the same transaction as the order
  it belongs to: a partner channel's ``external_id`` (a retried or re-synced
  submission finds the order it made), an Open311 submission's token, and a
  submission's ``Idempotency-Key`` (its keyed hash).
- api-keys: the partner channels' API keys, (channel, key_id); only a keyed hash
  of each key is kept.
- stats: the dashboard's counters (domain/stats.py), one item per (dimension, day and
  value), updated with ADD in the transaction of the change they count; a period is one
  Query per dimension over its days.
"""
from __future__ import annotations

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex
from pynamodb.models import Model

from chalicelib.storage.imports import ImportModel
from chalicelib.storage.co_handling import CoHandlingModel
from chalicelib.storage.models import EventModel, OrderModel, index_meta, settings, table_meta

HOTSPOT_FEED = "hotspot"


class CounterModel(Model):
    Meta = table_meta("counters")

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)  # set on the daily SMS counts and the digest windows
    held = ListAttribute(of=UnicodeAttribute, null=True)  # a digest window's first orders not texted singly


class OutboxModel(Model):
    Meta = table_meta("outbox", stream_view_type="NEW_IMAGE")  # the relay needs only what was put

    id = UnicodeAttribute(hash_key=True)
    tracking_no = UnicodeAttribute()
    template = UnicodeAttribute()
    audience = UnicodeAttribute()
    urgent = BooleanAttribute()
    created_at = UTCDateTimeAttribute()
    payload = JSONAttribute(default=dict)
    expires_at = TTLAttribute()


class OtpModel(Model):
    """A phone's verification state; the item expires (TTL) an hour after its last send."""

    Meta = table_meta("otp")

    phone_hash = UnicodeAttribute(hash_key=True)
    code_hash = UnicodeAttribute(null=True)  # removed as soon as the code is used or burnt
    code_expires_at = NumberAttribute(null=True)  # epoch seconds; every use checks it (TTL is lazy)
    attempts = NumberAttribute(default=0)  # wrong tries at the live code
    sent = ListAttribute(of=NumberAttribute, default=list)  # epoch seconds of the latest sends, newest last
    last_sent = NumberAttribute(null=True)  # the newest of them: the next send's condition
    expires_at = TTLAttribute(null=True)


class RaisedIndex(GlobalSecondaryIndex):
    Meta = index_meta("by-raised", AllProjection())

    feed = UnicodeAttribute(hash_key=True)
    raised_at = UTCDateTimeAttribute(range_key=True)


class HotspotModel(Model):
    """A hotspot alert (未诉先办): one item per category and cell, raised anew after a quiet window."""

    Meta = table_meta("hotspots")

    key = UnicodeAttribute(hash_key=True)  # "<category>#<geohash>", as the orders' geo_cell
    category = UnicodeAttribute()
    cell = UnicodeAttribute()
    raised_at = UTCDateTimeAttribute()
    last_at = UTCDateTimeAttribute()  # the newest request in it; quiet for a window after it, it is over
    tracking_nos = ListAttribute(of=UnicodeAttribute)  # its requests, oldest first
    feed = UnicodeAttribute(default=HOTSPOT_FEED)  # the by-raised index's one partition

    by_raised = RaisedIndex()


class ClaimModel(Model):
    """Something that exists once only, pointing at the order that claimed it (see ``Claim``)."""

    Meta = table_meta("claims")

    claim = UnicodeAttribute(hash_key=True)
    tracking_no = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    query_code = BinaryAttribute(null=True, legacy_encoding=False)  # sealed: a retry is answered with it again
    token = UnicodeAttribute(null=True)  # the Open311 token of the submission that made the claim
    request_fingerprint = UnicodeAttribute(null=True)  # an Idempotency-Key's: a keyed hash of its request


class ApiKeyModel(Model):
    """A partner channel's API key; the key itself is shown once and kept only as a keyed hash."""

    Meta = table_meta("api-keys")

    channel = UnicodeAttribute(hash_key=True)
    key_id = UnicodeAttribute(range_key=True)
    key_hash = UnicodeAttribute()
    label = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute()
    created_by = UnicodeAttribute()
    revoked_at = UTCDateTimeAttribute(null=True)
    revoked_by = UnicodeAttribute(null=True)


class StatsModel(Model):
    """The dashboard's counters for one (dimension, day, value); see domain/stats.py."""

    Meta = table_meta("stats")

    dimension = UnicodeAttribute(hash_key=True)
    day_value = UnicodeAttribute(range_key=True)  # "2026-11-21#lsq-cg": a period is a range of days
    # domain.stats.COUNTERS, each added to with ADD (so a missing one reads as 0)
    submitted = NumberAttribute(null=True)
    assigned = NumberAttribute(null=True)
    signed = NumberAttribute(null=True)
    resolved = NumberAttribute(null=True)
    on_time = NumberAttribute(null=True)
    replied = NumberAttribute(null=True)
    redo = NumberAttribute(null=True)
    rated = NumberAttribute(null=True)
    stars = NumberAttribute(null=True)
    satisfied = NumberAttribute(null=True)
    handling_seconds = NumberAttribute(null=True)
    priority = NumberAttribute(null=True)
    supervised = NumberAttribute(null=True)
    rated_by_callback = NumberAttribute(null=True)
    praise = NumberAttribute(null=True)
    co_handled = NumberAttribute(null=True)


IDEMPOTENCY_TABLE = settings.table("idempotency")
MODELS = (
    OrderModel, EventModel, CounterModel, OutboxModel, OtpModel, HotspotModel, ClaimModel, ApiKeyModel, StatsModel,
    ImportModel,
    CoHandlingModel,
)


def table_name(name: str) -> str:
    """The deployed name of one of storage's tables ("orders", "outbox", "idempotency"…), for tools
    that reach a table without its model (the local stack's stream, the benchmarks' bulk loads)."""
    known = {model.Meta.table_name for model in MODELS} | {IDEMPOTENCY_TABLE}
    table = settings.table(name)
    if table not in known:
        raise KeyError(f"no such table: {name}")
    return table
