"""Storage: the DynamoDB tables (pynamodb models) and every query, in one place.

Tables
- orders: one item per work order, keyed by tracking number. The GSIs ``by-unit``
  (unit, created_key) and ``by-state`` (state, created_key) list them newest first
  for a unit's queue and for the command centre, projecting only the fields a list
  shows, never the encrypted contact. Three sparse GSIs hold only the orders that
  have what they key on: ``by-next-check`` (the sweep's), ``by-phone`` and
  ``by-publication`` (below).
- events: the append-only audit trail, (tracking_no, seq). An event is only
  ever put with ``attribute_not_exists``, in the same transaction as the
  order change it records.
- counters: atomic daily sequences for tracking numbers, and the daily SMS
  count per phone (kept two days, by TTL).
- outbox: one item per SMS to send, put in the same transaction as the change
  that causes it, so no change can be stored without its messages or the other
  way round. Its stream (NEW_IMAGE) feeds the notify queue; items expire by TTL.
- idempotency: Powertools' idempotency records (created here, used there).
- otp: one item per phone, keyed by the phone's keyed hash: its live
  verification code (a keyed hash only), the wrong tries at it, and when codes
  were sent (for the rate limits). Orders made with a verified phone carry the
  same hash, and the sparse GSI ``by-phone`` (phone_hash, created_key) lists a
  resident's own requests.
- the case library (典型案例库): the sparse GSI ``by-publication`` (case_partition,
  published_at) holds only the published orders, projecting what a case shows.
- the public feed of changes (Open311's servicerequestupdates): the sparse GSI
  ``by-feed-day`` of the events table (feed_day, at) holds only public events, one
  partition per UTC day, so a time window is one Query per day it spans.
- claims: what must exist once only, claimed in the same transaction as the order
  it belongs to: a partner channel's ``external_id`` (a retried or re-synced
  submission finds the order it made), an Open311 submission's token, and a
  submission's ``Idempotency-Key`` (its keyed hash).
- api-keys: the partner channels' API keys, (channel, key_id); only a keyed hash
  of each key is kept.
- stats: the dashboard's counters (domain/stats.py), one item per (dimension, day and
  value), updated with ADD in the transaction of the change they count; a period is one
  Query per dimension over its days.

Optimistic locking: an order's ``version`` is the length of its audit trail.
Every change is one TransactWriteItems: put the order on condition that the
stored version is the one the change was computed from, plus put the new
events. A stale writer fails the condition and nothing is written.
"""
from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import heapq
import json
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from pynamodb.attributes import (
    BinaryAttribute,
    BooleanAttribute,
    JSONAttribute,
    ListAttribute,
    MapAttribute,
    NumberAttribute,
    TTLAttribute,
    UnicodeAttribute,
    UTCDateTimeAttribute,
)
import pynamodb.connection.base
from pynamodb.connection import Connection
from pynamodb.exceptions import PutError, TransactWriteError, UpdateError
from pynamodb.indexes import AllProjection, GlobalSecondaryIndex, IncludeProjection, KeysOnlyProjection
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.adapters.aws import botocore_session
from chalicelib.domain.errors import InvalidInput, StaleWrite
from chalicelib.domain.notices import Notice
from chalicelib.domain.orders import RESIDENTS_WORDS, Actor, Event, Level, Role, State, WorkOrder
from chalicelib.domain.stats import COUNTERS, TallyKey, Tallies, combined
from chalicelib.settings import get_settings

_settings = get_settings()

# Each pynamodb connection asks this module-level name for its botocore session; ours
# share one data loader (see adapters/aws.py), which saves a parse of the DynamoDB
# description per model class on every cold start.
pynamodb.connection.base.get_session = botocore_session

LIST_FIELDS = [
    "created_at", "type", "category", "area", "state", "unit", "priority", "due_at", "round",
    "description", "anonymous", "merged_into", "resolved_at", "level", "verified",
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

HOTSPOT_FEED = "hotspot"
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
    class Meta:
        index_name = "by-unit"
        projection = _listing("unit")

    unit = UnicodeAttribute(hash_key=True)


class CheckIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-next-check"
        projection = KeysOnlyProjection()

    check_partition = UnicodeAttribute(hash_key=True)
    next_check_at = UTCDateTimeAttribute(range_key=True)


class StateIndex(_ListIndex):
    class Meta:
        index_name = "by-state"
        projection = _listing("state")

    state = UnicodeAttribute(hash_key=True)


class PhoneIndex(_ListIndex):
    """Sparse: only orders made with a verified phone have a phone_hash."""

    class Meta:
        index_name = "by-phone"
        projection = _listing("phone_hash")

    phone_hash = UnicodeAttribute(hash_key=True)


class CellIndex(_ListIndex):
    """Every order under its category and geohash cell: the duplicate lookup and the hotspots read by it."""

    class Meta:
        index_name = "by-cell"
        projection = IncludeProjection(CELL_FIELDS)

    geo_cell = UnicodeAttribute(hash_key=True)


class CaseIndex(GlobalSecondaryIndex):
    """Sparse: only published orders have a case_partition."""

    class Meta:
        index_name = "by-publication"
        projection = IncludeProjection(CASE_FIELDS)

    case_partition = UnicodeAttribute(hash_key=True)
    published_at = UTCDateTimeAttribute(range_key=True)


class OrderModel(Model):
    class Meta:
        table_name = _settings.table("orders")
        billing_mode = "PAY_PER_REQUEST"

    tracking_no = UnicodeAttribute(hash_key=True)
    created_key = UnicodeAttribute()
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
    resolved_at = UTCDateTimeAttribute(null=True)
    closed_at = UTCDateTimeAttribute(null=True)
    published_at = UTCDateTimeAttribute(null=True)  # in the case library since (典型案例库)
    case_title = UnicodeAttribute(null=True)
    case_partition = UnicodeAttribute(null=True)  # set only while published: keeps the index sparse
    updated_at = UTCDateTimeAttribute(null=True)  # the latest change (its last event's time)
    # The latest public note of its trail (a resident's own words aside): what the public was last told.
    public_note = UnicodeAttribute(null=True)

    by_unit = UnitIndex()
    by_state = StateIndex()
    by_next_check = CheckIndex()
    by_phone = PhoneIndex()
    by_publication = CaseIndex()
    by_cell = CellIndex()


# What the feed of public changes shows of an event; its keys come with the index.
FEED_FIELDS = ["action", "to_state", "note", "changes"]


class FeedIndex(GlobalSecondaryIndex):
    """Sparse: only public events have a feed_day (their UTC date)."""

    class Meta:
        index_name = "by-feed-day"
        projection = IncludeProjection(FEED_FIELDS)

    feed_day = UnicodeAttribute(hash_key=True)
    at = UTCDateTimeAttribute(range_key=True)


class EventModel(Model):
    class Meta:
        table_name = _settings.table("events")
        billing_mode = "PAY_PER_REQUEST"

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


class CounterModel(Model):
    class Meta:
        table_name = _settings.table("counters")
        billing_mode = "PAY_PER_REQUEST"

    name = UnicodeAttribute(hash_key=True)
    value = NumberAttribute(default=0)
    expires_at = TTLAttribute(null=True)  # set on the daily SMS counts only


class OutboxModel(Model):
    class Meta:
        table_name = _settings.table("outbox")
        billing_mode = "PAY_PER_REQUEST"
        stream_view_type = "NEW_IMAGE"  # the relay needs only what was put

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

    class Meta:
        table_name = _settings.table("otp")
        billing_mode = "PAY_PER_REQUEST"

    phone_hash = UnicodeAttribute(hash_key=True)
    code_hash = UnicodeAttribute(null=True)  # removed as soon as the code is used or burnt
    code_expires_at = NumberAttribute(null=True)  # epoch seconds; every use checks it (TTL is lazy)
    attempts = NumberAttribute(default=0)  # wrong tries at the live code
    sent = ListAttribute(of=NumberAttribute, default=list)  # epoch seconds of the latest sends, newest last
    last_sent = NumberAttribute(null=True)  # the newest of them: the next send's condition
    expires_at = TTLAttribute(null=True)


class RaisedIndex(GlobalSecondaryIndex):
    class Meta:
        index_name = "by-raised"
        projection = AllProjection()

    feed = UnicodeAttribute(hash_key=True)
    raised_at = UTCDateTimeAttribute(range_key=True)


class HotspotModel(Model):
    """A hotspot alert (未诉先办): one item per category and cell, raised anew after a quiet window."""

    class Meta:
        table_name = _settings.table("hotspots")
        billing_mode = "PAY_PER_REQUEST"

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

    class Meta:
        table_name = _settings.table("claims")
        billing_mode = "PAY_PER_REQUEST"

    claim = UnicodeAttribute(hash_key=True)
    tracking_no = UnicodeAttribute()
    created_at = UTCDateTimeAttribute()
    query_code = BinaryAttribute(null=True, legacy_encoding=False)  # sealed: a retry is answered with it again
    token = UnicodeAttribute(null=True)  # the Open311 token of the submission that made the claim


class ApiKeyModel(Model):
    """A partner channel's API key; the key itself is shown once and kept only as a keyed hash."""

    class Meta:
        table_name = _settings.table("api-keys")
        billing_mode = "PAY_PER_REQUEST"

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

    class Meta:
        table_name = _settings.table("stats")
        billing_mode = "PAY_PER_REQUEST"

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


IDEMPOTENCY_TABLE = _settings.table("idempotency")
MODELS = (
    OrderModel, EventModel, CounterModel, OutboxModel, OtpModel, HotspotModel, ClaimModel, ApiKeyModel, StatsModel,
)
# Long enough for the relay to have passed an item on, however late; the stream
# keeps records for 24 hours, so nothing reads an item after that.
OUTBOX_TTL = dt.timedelta(days=2)
_LIFECYCLE_FIELDS = tuple(f.name for f in dataclasses.fields(WorkOrder))


# ---- domain mapping --------------------------------------------------------

def to_domain(item: OrderModel) -> WorkOrder:
    values = {name: getattr(item, name) for name in _LIFECYCLE_FIELDS}
    values["state"] = State(values["state"])
    values["level"] = Level(values["level"])
    values["co_units"] = tuple(values["co_units"] or ())
    values["followers"] = tuple(values["followers"] or ())
    values["result_media"] = tuple(values["result_media"] or ())
    for name in ("version", "round", "extensions_used", "pending_extension_days", "rating"):
        if values[name] is not None:
            values[name] = int(values[name])
    return WorkOrder(**values)


def _copy_lifecycle(order: WorkOrder, item: OrderModel) -> None:
    for name in _LIFECYCLE_FIELDS:
        value = getattr(order, name)
        setattr(item, name, list(value) if isinstance(value, tuple) else value)
    item.state = order.state.value
    item.level = order.level.value
    item.check_partition = CHECK_PARTITION if order.next_check_at else None
    item.case_partition = CASE_PARTITION if order.published_at else None
    item.created_key = created_key(order.created_at, order.tracking_no)


def created_key(created_at: dt.datetime, tracking_no: str) -> str:
    """Sorts by time across days, whatever the width of the daily sequence."""
    moment = created_at.astimezone(dt.timezone.utc)
    # The year padded by hand: strftime writes year 999 as "999", which sorts after "2026".
    return f"{moment.year:04d}{moment:%m%dT%H%M%S.%fZ}#{tracking_no}"


def _event_item(tracking_no: str, event: Event) -> EventModel:
    return EventModel(
        tracking_no,
        event.seq,
        at=event.at,
        action=event.action,
        actor_role=event.actor.role.value,
        actor_id=event.actor.id,
        actor_unit=event.actor.unit,
        from_state=event.from_state.value if event.from_state else None,
        to_state=event.to_state.value,
        note=event.note,
        changes=dict(event.changes),
        public=event.public,
        feed_day=feed_day(event.at) if event.public else None,
    )


def feed_day(at: dt.datetime) -> str:
    """The feed index's partition of an instant: its UTC date."""
    return at.astimezone(dt.timezone.utc).date().isoformat()


def to_event(item: EventModel) -> Event:
    return Event(
        seq=int(item.seq),
        at=item.at,
        action=item.action,
        actor=Actor(Role(item.actor_role), item.actor_id, item.actor_unit),
        from_state=State(item.from_state) if item.from_state else None,
        to_state=State(item.to_state),
        note=item.note,
        changes=item.changes,
        public=item.public,
    )


# ---- writes ----------------------------------------------------------------

def next_sequence(name: str) -> int:
    """An atomic counter: concurrent callers each get a different number."""
    counter = CounterModel(name)
    counter.update(actions=[CounterModel.value.add(1)])
    return int(counter.value)


@dataclass(frozen=True)
class Report:
    """What the resident submitted: stored once, never changed."""

    description: str
    location: dict
    media: list[dict]
    anonymous: bool
    contact: bytes | None  # sealed by the field cipher
    query_code_hash: str
    channel: str = "web"
    verified: bool = False
    phone_hash: str | None = None  # keyed hash of the verified phone
    suggested_category: str | None = None  # the classifier's top category at intake
    suggestion_confidence: float | None = None
    answers: dict | None = None  # the category's extra questions, answered
    external_id: str | None = None  # a partner channel's own id for the request
    geo_cell: str | None = None  # "<category>#<geohash>"
    duplicates: tuple[str, ...] = ()  # suspected duplicates found at intake


def create_order(
    report: Report,
    order: WorkOrder,
    events: Sequence[Event],
    notices: Sequence[Notice] = (),
    otp: OtpUse | None = None,
    claims: Sequence[Claim] = (),
    tallies: Tallies | None = None,
) -> OrderModel:
    """Write a new order, its first events, the messages they cause and its counters, all or nothing.

    With ``otp``, the phone's code is used up in the same transaction: one code makes
    one order, and a failed write leaves the code usable. Raises ``OtpRejected`` when
    the code is not the phone's live one. Each of ``claims`` is put in the same
    transaction, on condition that nobody has it: ``ClaimTaken`` if somebody does.
    """
    item = OrderModel(
        order.tracking_no,
        channel=report.channel,
        description=report.description,
        location=Location(**report.location),
        media=[MediaItem(**m) for m in report.media],
        anonymous=report.anonymous,
        contact=report.contact,
        query_code_hash=report.query_code_hash,
        verified=report.verified,
        phone_hash=report.phone_hash,
        suggested_category=report.suggested_category,
        suggestion_confidence=report.suggestion_confidence,
        answers=report.answers or None,
        external_id=report.external_id,
        geo_cell=report.geo_cell,
        duplicates=list(report.duplicates),
    )
    _copy_lifecycle(order, item)
    _write([_Write(item, events, OrderModel.tracking_no.does_not_exist(), notices, tallies or {})], otp, claims)
    return item


@dataclass(frozen=True)
class Change:
    item: OrderModel  # the order as loaded
    order: WorkOrder  # the order after the change
    event: Event
    notices: Sequence[Notice] = ()
    tallies: Tallies = dataclasses.field(default_factory=dict)  # what it adds to the dashboard's counters


def record_changes(changes: Sequence[Change]) -> None:
    """Store each order (computed from its item as loaded), its event, its messages and its counters'
    deltas, if nobody changed it meanwhile: all or nothing (a merge changes two orders)."""
    writes = []
    for change in changes:
        expected = int(change.item.version)
        _copy_lifecycle(change.order, change.item)
        writes.append(_Write(change.item, [change.event], OrderModel.version == expected, change.notices, change.tallies))
    _write(writes)


@dataclass(frozen=True)
class _Write:
    item: OrderModel
    events: Sequence[Event]
    condition: Any
    notices: Sequence[Notice] = ()
    tallies: Tallies = dataclasses.field(default_factory=dict)


# A transaction that touched an item while another transaction was writing it (a day's counters
# are shared by every change of that day) is cancelled whole, and is simply tried again: its
# conditions are checked afresh, so a change computed from a stale version then fails them.
_CONFLICT_PAUSES = (0.02, 0.05, 0.1)


class _TimingConflict(Exception):
    """Nothing failed in the transaction but the timing (TransactionConflict only)."""


def _write(writes: Sequence[_Write], otp: OtpUse | None = None, claims: Sequence[Claim] = ()) -> None:
    for write in writes:
        write.item.updated_at = write.events[-1].at
        told = [e.note for e in write.events if e.public and e.note and e.action not in RESIDENTS_WORDS]
        write.item.public_note = told[-1] if told else write.item.public_note
    for pause in (*_CONFLICT_PAUSES, None):
        try:
            return _transact(writes, otp, claims)
        except _TimingConflict:
            if pause is None:
                raise StaleWrite("工单已被他人修改，请刷新后重试") from None
            time.sleep(pause)


def _transact(writes: Sequence[_Write], otp: OtpUse | None, claims: Sequence[Claim]) -> None:
    """One transaction: each order on its condition, the claims (of the first), events, messages,
    the counters (one update per counter item, however many orders add to it), the code's use."""
    try:
        with TransactWrite(connection=_connection()) as transaction:
            for n, write in enumerate(writes):
                at = write.events[-1].at  # the messages are as old as the change that causes them
                transaction.save(write.item, condition=write.condition)
                # Right after the first order: their cancellation reasons come 2nd, 3rd…
                for claim in claims if n == 0 else ():
                    transaction.save(
                        _claim_item(claim, write.item.tracking_no, at), condition=ClaimModel.claim.does_not_exist()
                    )
                for event in write.events:
                    transaction.save(
                        _event_item(write.item.tracking_no, event), condition=EventModel.seq.does_not_exist()
                    )
                for notice in write.notices:
                    transaction.save(_outbox_item(write.item.tracking_no, notice, at))
            for key, added in combined(w.tallies for w in writes).items():  # before the code's use, the last update
                transaction.update(_tally_item(key), actions=_tally_actions(added))
            if otp is not None:
                actions, otp_condition = _otp_use(otp)
                transaction.update(OtpModel(otp.phone_hash), actions=actions, condition=otp_condition)
    except TransactWriteError as exc:
        # pynamodb sends condition checks, deletes, puts, then updates: the code's use is
        # the last update, so its cancellation reason is the last one. A claim taken comes
        # first: a retry of a stored submission, whose code the first run used up.
        reasons = [r.code if r is not None else None for r in exc.cancellation_reasons or ()]
        if exc.cause_response_code == "TransactionCanceledException" and set(reasons) - {None} == {"TransactionConflict"}:
            raise _TimingConflict() from None
        taken = [c for c, reason in zip(claims, reasons[1:]) if reason == "ConditionalCheckFailed"]
        if taken:
            raise ClaimTaken(taken[0]) from None
        if otp is not None and reasons and reasons[-1] == "ConditionalCheckFailed":
            raise OtpRejected() from None
        # ConditionalCheckFailed: another writer got there first. TransactionConflict: another
        # transaction on the same item was in flight at that moment. Either way the change
        # was computed from a version that is no longer (or not yet safely) the stored one.
        if exc.cause_response_code == "TransactionCanceledException" and set(reasons) & _LOST_RACE:
            raise StaleWrite("工单已被他人修改，请刷新后重试") from None
        raise


_LOST_RACE = frozenset({"ConditionalCheckFailed", "TransactionConflict"})


# ---- claims: what exists once only -----------------------------------------------

@dataclass(frozen=True)
class Claim:
    """A name only one order may have, put with it: ``external#<channel>#<id>``, ``token#<token>`` or
    ``idempotency#<key hash>``."""

    name: str
    query_code: bytes | None = None  # sealed, for answering a retry as the first submission was answered
    token: str | None = None


class ClaimTaken(Exception):
    """Another order has the claim already (a retry, or a race with one): nothing was written."""

    def __init__(self, claim: Claim):
        super().__init__(claim.name)
        self.claim = claim


def external_claim(channel: str, external_id: str) -> str:
    """A partner's own id for a request names one order per channel (channel codes have no "#")."""
    return f"external#{channel}#{external_id}"


def token_claim(token: str) -> str:
    return f"token#{token}"


def idempotency_claim(key_hash: str) -> str:
    return f"idempotency#{key_hash}"


def _claim_item(claim: Claim, tracking_no: str, at: dt.datetime) -> ClaimModel:
    return ClaimModel(claim.name, tracking_no=tracking_no, created_at=at, query_code=claim.query_code, token=claim.token)


def get_claim(name: str) -> ClaimModel | None:
    try:
        return ClaimModel.get(name, consistent_read=True)
    except ClaimModel.DoesNotExist:
        return None


# ---- partner channels' API keys ------------------------------------------------

def put_api_key(record: ApiKeyModel) -> bool:
    """Store a new key; False if its id is taken in the channel already (then nothing is written)."""
    try:
        record.save(condition=ApiKeyModel.key_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_api_key(channel: str, key_id: str) -> ApiKeyModel | None:
    # Consistent: a key revoked a moment ago must already be refused.
    try:
        return ApiKeyModel.get(channel, key_id, consistent_read=True)
    except ApiKeyModel.DoesNotExist:
        return None


def api_keys_of(channel: str) -> list[ApiKeyModel]:
    return list(ApiKeyModel.query(channel))


def revoke_api_key(record: ApiKeyModel, at: dt.datetime, by: str) -> None:
    """Mark the key revoked, unless it is already (then its first revocation stands)."""
    try:
        record.update(
            actions=[ApiKeyModel.revoked_at.set(at), ApiKeyModel.revoked_by.set(by)],
            condition=ApiKeyModel.key_id.exists() & ApiKeyModel.revoked_at.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        record.refresh(consistent_read=True)


# ---- phone verification codes ------------------------------------------------
# Whether a code is right is decided by DynamoDB, in a conditional write: concurrent
# guesses cannot get more tries between them than the limit, and only one of two
# concurrent uses of a right code succeeds.

@dataclass(frozen=True)
class OtpUse:
    """A code offered for a phone; it works only if it is that phone's live code."""

    phone_hash: str
    code_hash: str
    at: int  # epoch seconds: a code that expired at or before this is dead
    max_wrong: int  # a code with this many wrong tries is dead


class OtpRejected(Exception):
    """The code offered is not the phone's live code (wrong, expired, burnt or used)."""


def get_otp(phone_hash: str) -> OtpModel | None:
    try:
        return OtpModel.get(phone_hash, consistent_read=True)
    except OtpModel.DoesNotExist:
        return None


def put_otp(record: OtpModel, previous: OtpModel | None) -> bool:
    """Store a new code and its send, unless another send for the phone got in first (False)."""
    if previous is None:
        condition = OtpModel.phone_hash.does_not_exist()
    else:
        condition = OtpModel.last_sent == previous.last_sent
    try:
        record.save(condition=condition)
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def restore_otp(phone_hash: str, code_hash: str, previous: OtpModel | None) -> None:
    """Undo the ``put_otp`` that stored ``code_hash``: its SMS never went out."""
    condition = OtpModel.code_hash == code_hash
    if previous is None:
        OtpModel(phone_hash).delete(condition=condition)
    else:
        previous.save(condition=condition)


def _otp_use(use: OtpUse):
    actions = [OtpModel.code_hash.remove(), OtpModel.code_expires_at.remove()]
    condition = (
        (OtpModel.code_hash == use.code_hash)
        & (OtpModel.attempts < use.max_wrong)
        & (OtpModel.code_expires_at > use.at)
    )
    return actions, condition


def use_otp(use: OtpUse) -> bool:
    """Use up the phone's code if ``use`` offers it while it lives; False otherwise."""
    actions, condition = _otp_use(use)
    try:
        OtpModel(use.phone_hash).update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def count_wrong_otp(phone_hash: str, live_code_hash: str, max_wrong: int) -> None:
    """One more wrong try at the code ``live_code_hash``; the last one allowed burns it."""
    record = OtpModel(phone_hash)
    still_live = (OtpModel.code_hash == live_code_hash) & (OtpModel.attempts < max_wrong)
    try:
        record.update(actions=[OtpModel.attempts.add(1)], condition=still_live)
        if record.attempts >= max_wrong:
            record.update(
                actions=[OtpModel.code_hash.remove(), OtpModel.code_expires_at.remove()],
                condition=OtpModel.code_hash == live_code_hash,
            )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        # Replaced, used or burnt meanwhile: nothing left to count against.


def _outbox_item(tracking_no: str, notice: Notice, at: dt.datetime) -> OutboxModel:
    return OutboxModel(
        uuid.uuid4().hex,
        tracking_no=tracking_no,
        template=notice.template,
        audience=notice.audience,
        urgent=notice.urgent,
        created_at=at,
        payload=dict(notice.payload),
        expires_at=at + OUTBOX_TTL,
    )


def _tally_item(key: TallyKey) -> StatsModel:
    return StatsModel(key.dimension, f"{key.day.isoformat()}#{key.value}")


def _tally_actions(added: dict[str, int]) -> list:
    # ADD, not SET: concurrent changes of one day each add their own part.
    return [getattr(StatsModel, name).add(n) for name, n in sorted(added.items())]


def outbox_message(image: dict) -> str:
    """An outbox item, as its stream record's NewImage holds it, as the JSON the queue carries."""
    item = OutboxModel.from_raw_data(image)
    return json.dumps(
        {
            "id": item.id,
            "tracking_no": item.tracking_no,
            "template": item.template,
            "audience": item.audience,
            "urgent": item.urgent,
            "created_at": item.created_at.isoformat(),
            "payload": item.payload,
        },
        ensure_ascii=False,
    )


def take_quota(name: str, cap: int, expires_at: dt.datetime) -> bool:
    """Count one more use of ``name`` unless it has reached ``cap``; False when it has."""
    counter = CounterModel(name)
    try:
        counter.update(
            actions=[CounterModel.value.add(1), CounterModel.expires_at.set(expires_at)],
            condition=CounterModel.value.does_not_exist() | (CounterModel.value < cap),
        )
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def give_back_quota(name: str) -> None:
    """Undo one ``take_quota``: the use it counted did not happen."""
    CounterModel(name).update(actions=[CounterModel.value.add(-1)])


_CONNECTION: Connection | None = None


def _connection() -> Connection:
    global _CONNECTION
    if _CONNECTION is None:
        _CONNECTION = Connection(region=OrderModel.Meta.region, host=OrderModel.Meta.host)
    return _CONNECTION


# ---- reads -----------------------------------------------------------------

def get_order(tracking_no: str) -> OrderModel | None:
    try:
        return OrderModel.get(tracking_no, consistent_read=True)
    except OrderModel.DoesNotExist:
        return None


def trail(tracking_no: str) -> list[Event]:
    return [to_event(item) for item in EventModel.query(tracking_no, consistent_read=True)]


def orders_by_number(tracking_nos: Sequence[str]) -> list[OrderModel]:
    """The stored ones of these orders, in the order asked (BatchGetItem, a hundred keys a call)."""
    wanted = list(dict.fromkeys(tracking_nos))
    found = {item.tracking_no: item for item in OrderModel.batch_get(wanted)}
    return [found[no] for no in wanted if no in found]


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


def due_for_check(now: dt.datetime) -> Iterator[str]:
    """Tracking numbers of the orders whose next check has come, earliest first."""
    for item in OrderModel.by_next_check.query(CHECK_PARTITION, CheckIndex.next_check_at <= now):
        yield item.tracking_no


@dataclass(frozen=True)
class ListFilter:
    states: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()  # already expanded to sub-units
    categories: frozenset[str] = frozenset()
    areas: frozenset[str] = frozenset()  # already expanded to sub-areas
    types: frozenset[str] = frozenset()
    levels: frozenset[str] = frozenset()  # normal / warning / yellow / red
    verified: bool | None = None  # 实名: requests whose phone was proven by an SMS code
    created_from: dt.datetime | None = None  # inclusive
    created_to: dt.datetime | None = None  # exclusive: the first instant not wanted


@dataclass(frozen=True)
class Page:
    items: list[OrderModel]
    cursor: str | None


def list_orders(flt: ListFilter, all_states: Iterable[str], cursor: str | None, limit: int) -> Page:
    """Newest first, by Query on one index per partition merged on the sort key; never a Scan.

    With units given, each unit's partition of ``by-unit`` is read; otherwise each
    wanted state's partition of ``by-state``. Partitions share one sort key
    (created_key), so one cursor — the last key returned — resumes all of them.
    """
    if flt.units:
        index, partitions, residual_states = OrderModel.by_unit, sorted(flt.units), flt.states
    else:
        index, partitions, residual_states = OrderModel.by_state, sorted(flt.states or all_states), frozenset()
    after = _decode_cursor(cursor) if cursor else None
    streams = [
        _partition(index, key, flt, residual_states, after, limit + 1) for key in partitions
    ]
    merged = heapq.merge(*streams, key=lambda item: item.created_key, reverse=True)
    items = [item for _, item in zip(range(limit + 1), merged)]
    more = len(items) > limit
    items = items[:limit]
    return Page(items, _encode_cursor(items[-1].created_key) if more else None)


def _partition(index, key: str, flt: ListFilter, states, after: str | None, limit: int) -> Iterator[OrderModel]:
    # The index's own attribute: read through an index *instance*, a pynamodb
    # attribute is a descriptor that fails (AttributeError) instead of returning itself.
    sort_key = type(index).created_key
    # "<instant>Z#" sorts before every key created at that instant and after every earlier one.
    lower = created_key(flt.created_from, "") if flt.created_from else None
    # A cursor only ever narrows: one taken from a wider query must not lift the "to" bound.
    uppers = [bound for bound in (after, created_key(flt.created_to, "") if flt.created_to else None) if bound]
    upper = min(uppers) if uppers else None
    if lower and upper and upper < lower:
        return  # nothing can lie between; DynamoDB rejects BETWEEN with its bounds reversed
    if lower and upper:
        range_condition = sort_key.between(lower, upper)
    elif upper:
        range_condition = sort_key <= upper
    elif lower:
        range_condition = sort_key >= lower
    else:
        range_condition = None
    filter_condition = None
    for attribute, wanted in (
        (OrderModel.state, states),
        (OrderModel.category, flt.categories),
        (OrderModel.area, flt.areas),
        (OrderModel.type, flt.types),
        (OrderModel.level, flt.levels),
    ):
        if wanted:
            clause = attribute.is_in(*sorted(wanted))
            filter_condition = clause if filter_condition is None else filter_condition & clause
    if flt.verified is not None:
        # Orders from before verification existed have no attribute: they count as unverified.
        clause = (OrderModel.verified == True) if flt.verified else (OrderModel.verified != True)  # noqa: E712
        filter_condition = clause if filter_condition is None else filter_condition & clause
    results = index.query(
        key,
        range_key_condition=range_condition,
        filter_condition=filter_condition,
        scan_index_forward=False,
        page_size=limit,
    )
    taken = 0
    for item in results:
        if item.created_key == after:  # the cursor itself was on the last page
            continue
        yield item
        taken += 1
        if taken >= limit:
            return


def tallies(dimension: str, first: dt.date, last: dt.date) -> Iterator[tuple[TallyKey, dict[str, int]]]:
    """Every counter item of ``dimension`` for the days ``first`` to ``last``: one Query."""
    # "$" sorts right after "#": the upper bound holds every value of the last day.
    days = StatsModel.day_value.between(f"{first.isoformat()}#", f"{last.isoformat()}$")
    for item in StatsModel.query(dimension, range_key_condition=days):
        day, _, value = item.day_value.partition("#")
        counters = {name: int(getattr(item, name) or 0) for name in COUNTERS}
        yield TallyKey(dt.date.fromisoformat(day), dimension, value), counters


def orders_of_phone(phone_hash: str, cursor: str | None, limit: int) -> Page:
    """The orders made with one verified phone, newest first, by Query on ``by-phone``."""
    after = _decode_cursor(cursor) if cursor else None
    results = OrderModel.by_phone.query(
        phone_hash,
        range_key_condition=PhoneIndex.created_key < after if after else None,
        scan_index_forward=False,
        limit=limit + 1,
        page_size=limit + 1,
    )
    items = list(results)
    more = len(items) > limit
    items = items[:limit]
    return Page(items, _encode_cursor(items[-1].created_key) if more else None)


def published_cases(q: str | None, cursor: str | None, limit: int) -> Page:
    """The case library newest first, by Query on ``by-publication``; never a Scan.

    With ``q``, only cases whose description, reply or title contain it (a filter on
    the one partition: its cost follows the published cases). The cursor is the last
    case's publication instant.
    """
    after = _decode_case_cursor(cursor) if cursor else None
    condition = None
    if q:
        condition = (
            OrderModel.description.contains(q) | OrderModel.reply.contains(q) | OrderModel.case_title.contains(q)
        )
    items = _cases(condition, after, limit + 1)
    more = len(items) > limit
    items = items[:limit]
    return Page(items, _encode_cursor(_CASE_KEY.serialize(items[-1].published_at)) if more else None)


# How many of the newest published cases the suggestion looks through for its category.
SIMILAR_CASES_WINDOW = 100


def cases_of_category(category: str, limit: int) -> list[OrderModel]:
    """Up to ``limit`` of the newest published cases of one category.

    Exactly one Query on ``by-publication``, filtered on the category: it reads at most the
    newest SIMILAR_CASES_WINDOW cases, however many are published (the residents' page
    asks while they type, so its cost must stay flat).
    """
    results = OrderModel.by_publication.query(
        CASE_PARTITION,
        filter_condition=OrderModel.category == category,
        scan_index_forward=False,
        page_size=SIMILAR_CASES_WINDOW,
    )
    page = next(results.page_iter, None) or {}
    return [OrderModel.from_raw_data(raw) for raw in (page.get("Items") or [])[:limit]]


_CASE_KEY = UTCDateTimeAttribute()


# ---- the duplicate lookup and hotspots ---------------------------------------------

def geo_cell(category: str, cell: str) -> str:
    return f"{category}#{cell}"


def recent_in_cells(category: str, cells: Sequence[str], since: dt.datetime) -> list[OrderModel]:
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
    return found


# A resident's requests in a duplicate window are few; more than this is not one person reporting.
PHONE_READ_LIMIT = 20


def recent_of_phone(phone_hash: str, since: dt.datetime) -> list[OrderModel]:
    """The verified phone's requests made since ``since``, newest first: one Query on ``by-phone``."""
    return list(
        OrderModel.by_phone.query(
            phone_hash,
            PhoneIndex.created_key >= created_key(since, ""),
            scan_index_forward=False,
            limit=PHONE_READ_LIMIT,
            page_size=PHONE_READ_LIMIT,
        )
    )


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


def hotspots(cursor: str | None, limit: int) -> Page:
    """Hotspot alerts, the latest raised first, by Query on ``by-raised``."""
    after = _decode_case_cursor(cursor) if cursor else None
    results = HotspotModel.by_raised.query(
        HOTSPOT_FEED,
        range_key_condition=RaisedIndex.raised_at < after if after else None,
        scan_index_forward=False,
        limit=limit + 1,
        page_size=limit + 1,
    )
    items = list(results)
    more = len(items) > limit
    items = items[:limit]
    return Page(items, _encode_cursor(_CASE_KEY.serialize(items[-1].raised_at)) if more else None)


def _cases(filter_condition, after: dt.datetime | None, limit: int) -> list[OrderModel]:
    results = OrderModel.by_publication.query(
        CASE_PARTITION,
        range_key_condition=CaseIndex.published_at < after if after else None,
        filter_condition=filter_condition,
        scan_index_forward=False,
        # A filtered read may need to look past many cases for a few hits: larger pages.
        page_size=limit if filter_condition is None else max(limit, 100),
    )
    return [item for _, item in zip(range(limit), results)]


def _decode_case_cursor(cursor: str) -> dt.datetime:
    try:
        return _CASE_KEY.deserialize(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None


def _encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _bad_cursor() -> InvalidInput:
    return InvalidInput("分页游标无效", {"cursor": "无效"})


def _decode_cursor(cursor: str) -> str:
    try:
        key = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None
    if "#" not in key:
        raise _bad_cursor()
    return key


# ---- set-up (local stack and tests; the cloud gets its tables from infra/) --

def create_tables() -> None:
    for model in MODELS:
        if not model.exists():
            model.create_table(wait=True)
    client = _connection().client
    if IDEMPOTENCY_TABLE not in client.list_tables()["TableNames"]:
        client.create_table(
            TableName=IDEMPOTENCY_TABLE,
            KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
