"""SMS from the outbox: relayed to the notify queue, then delivered once each.

    change ─(same transaction)─▶ outbox item ─stream─▶ relay ─▶ SQS ─▶ deliver ─▶ sender

Nothing is lost: a message exists as soon as its change does, and every later
step retries until it has passed it on (the stream retries a failed relay, SQS
redelivers a failed delivery, then parks it in the dead-letter queue).
Nothing is sent twice: a delivery is idempotent on the outbox item's id
(Powertools idempotency on DynamoDB), which records a send only once it
succeeded — a failed send leaves no record and is tried again.

The text is rendered at delivery from the order as it is then, so a message held
overnight tells the morning's facts. Quiet hours hold non-urgent messages: the
message is made invisible until the quiet hours end and reported as failed, so
SQS hands it back in the morning (each hold costs one of the queue's receives).
Residents' phones get at most ``daily_cap_per_phone`` texts a day; staff duty
phones are not capped, as a unit's work must reach it however busy the day.

No text quotes a resident's words (the city's templates cannot name them, and
``render`` has none to give): a duty phone hears the number, category, area and
type, never what an anonymous submitter typed under the city's signature.

A burst of new orders reaches a duty phone as one digest. At delivery of a
``staff_new_order`` to a unit, the unit's window (``sms.staff_digest``: ``after``
orders within ``minutes``; domain/notices.py ``digest_window``) counts it, with a
DynamoDB ADD on the counters table. Up to ``after`` in a window are sent one by
one, as before; beyond, none is: the first ones held (``DIGEST_LISTS`` of them)
are noted on the window, and the first of them queues one ``staff_digest``
message, delayed by SQS to the window's end. Delivered, the digest reads the
window and sends one text: the window's count and the noted numbers. It is
idempotent on the window (one text however often SQS delivers it), held by the
quiet hours like any staff message, and urgent when its orders are (urgent and
routine orders count in windows of their own). Nothing is lost: each order is in
its unit's queue whether texted or not. A failed single send or a digest that
could not be queued gives its count back and is retried; the scheduler is whoever
heads the window's noted numbers, so a retried one schedules again (the digest's
fixed id makes a second copy harmless). Fixed windows let a burst across a
window's end ring ``2 × after`` times, never more.

Logs carry the tracking number, the template and the outcome — never the
number, the text, or the query code.
"""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any

from chalicelib import storage
from chalicelib.adapters import queue
from chalicelib.adapters.crypto import get_cipher
from chalicelib.adapters.sms import get_sender
from chalicelib.city import City
from chalicelib.domain.notices import (
    DIGEST,
    FOLLOWER_PREFIX,
    LEADER,
    NEW_ORDER,
    RESIDENT,
    UNIT_PREFIX,
    digest_window,
    quiet_until,
)
from chalicelib.domain.orders import WorkOrder
from chalicelib.domain.reports import StoredOrder
from chalicelib.observability import count, logger
from chalicelib.services import runtime

DIGEST_LISTS = 3  # how many of the orders it stands for a digest names
# Longer than a message can stay in the queue, so a late duplicate still finds the record.
SENT_RECORD_SECONDS = 7 * 24 * 3600


class Poison(ValueError):
    """A message that can never be sent (unreadable, unknown template, unknown order)."""


class Held(Exception):
    """Not sent now: the quiet hours; it comes back when they end."""


class SendFailed(RuntimeError):
    """The provider refused or failed; the message is tried again."""


# ---- the outbox's payload: what a text needs that the order does not hold ------

def seal_payload(tracking_no: str, fields: dict[str, str]) -> dict[str, str]:
    """Fields for the text, sealed: the outbox, its stream and the queue only ever see ciphertext."""
    return {"sealed": get_cipher().seal(fields, payload_context(tracking_no)).hex()}


def _open_payload(tracking_no: str, payload: dict) -> dict[str, str]:
    sealed = payload.get("sealed")
    return get_cipher().open(bytes.fromhex(sealed), payload_context(tracking_no)) if sealed else {}


def payload_context(tracking_no: str) -> str:
    return f"notice:{tracking_no}"


# ---- relay: the outbox's stream → the queue --------------------------------------

def relay(records: list[dict]) -> dict:
    """Queue the outbox items a stream batch inserted; the records not queued, as Lambda's partial
    batch response (``ReportBatchItemFailures``: the stream gives them again, from the first).

    No record may hold back the others. One that cannot be read is reported failed: after its
    retries (the event source mapping's ``MaximumRetryAttempts``, the batch bisected) Lambda sends
    it to the on-failure destination, the dead-letter queue, whose alarm calls the operators. One
    whose order was never stored is logged and skipped: DynamoDB writes an outbox item only with
    its order, but moto lets a cancelled transaction's items through to the stream, and a message
    about no order could never be sent.
    """
    messages, failed = [], []  # (record, its order's number, its message as the queue carries it)
    for record in records:
        if record.get("eventName") != "INSERT":  # TTL removals need no message
            continue
        try:
            messages.append((record, *storage.outbox_message(record["dynamodb"]["NewImage"])))
        except Exception:  # noqa: BLE001 - any record we cannot read is one we cannot relay
            logger.error("outbox record unreadable", sequence=_sequence(record), outcome="poison")
            failed.append(record)
    numbers = {number for _, number, _ in messages}
    stored = storage.stored_numbers(sorted(numbers)) if numbers else set()
    for number in sorted(numbers - stored):
        logger.warning("outbox record of no order", tracking_no=number, outcome="skipped")
    wanted = [(record, body) for record, number, body in messages if number in stored]
    refused = queue.send([body for _, body in wanted]) if wanted else []
    if refused:
        count("OutboxRelayRetried")
    failed += [wanted[n][0] for n in refused]
    logger.info("outbox relayed", messages=len(wanted) - len(refused), failed=len(failed))
    return {"batchItemFailures": [{"itemIdentifier": _sequence(record)} for record in failed]}


def _sequence(record: dict) -> str:
    return str(record.get("dynamodb", {}).get("SequenceNumber", ""))


# ---- delivery: the queue → the sender ---------------------------------------------

@dataclass(frozen=True)
class Message:
    id: str
    tracking_no: str
    template: str
    audience: str
    urgent: bool
    payload: dict = field(default_factory=dict)


def deliver(event: dict, lambda_context: Any = None) -> dict:
    """An SQS batch; the messages not delivered now, as SQS's partial batch response."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    if lambda_context is not None:
        # Lets Powertools expire an in-progress record if this invocation dies mid-send.
        _idempotency_config().register_lambda_context(lambda_context)
    # A batch held whole by the quiet hours is a normal night, not an error to raise.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=_deliver_record, processor=processor)


def _deliver_record(record) -> dict:
    city = runtime.city()
    try:
        message = _parse(record.body, city)
    except Poison:
        logger.error("sms message unreadable", message_id=record.message_id, outcome="poison")
        raise
    now = runtime.now()
    until = None if message.urgent else quiet_until(now, city.sms.quiet_hours, city.zone)
    if until is not None:
        queue.hold(record.event_source_arn, record.receipt_handle, math.ceil((until - now).total_seconds()))
        _log(message, "held", until=until.isoformat())
        raise Held(f"quiet hours until {until.isoformat()}")
    return _send_once()(message=asdict(message))


def _parse(body: str, city: City) -> Message:
    try:
        data = json.loads(body)
        message = Message(
            id=str(data["id"]),
            tracking_no=str(data["tracking_no"]),
            template=str(data["template"]),
            audience=str(data["audience"]),
            urgent=bool(data.get("urgent", False)),
            payload=dict(data.get("payload") or {}),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Poison("not an outbox message") from None
    if message.template not in city.sms.templates:
        raise Poison(f"unknown template {message.template!r}")
    if message.audience not in (RESIDENT, LEADER) and not message.audience.startswith((UNIT_PREFIX, FOLLOWER_PREFIX)):
        raise Poison(f"unknown audience {message.audience!r}")
    return message


def _send(message: dict) -> dict:
    """Send one message, once: wrapped by Powertools idempotency (``_send_once``)."""
    msg = Message(**message)
    city = runtime.city()
    if msg.template == DIGEST:
        return _send_digest(msg, city)
    stored = storage.get_order(msg.tracking_no)
    if stored is None:
        raise Poison("no such order")
    # A follower (并单) hears of the main order under the number it knows: its own.
    follower = msg.audience.removeprefix(FOLLOWER_PREFIX) if msg.audience.startswith(FOLLOWER_PREFIX) else None
    phone = _recipient(msg, stored, city)
    if phone is None:
        return _log(msg, "no_recipient")
    text = render(msg, stored.order, city, tracking_no=follower)
    quota = _quota_name(phone, city) if msg.audience == RESIDENT or follower else None
    if quota and not storage.take_quota(quota, city.sms.daily_cap_per_phone, runtime.now() + dt.timedelta(days=2)):
        return _log(msg, "capped")
    window = None
    if msg.template == NEW_ORDER and msg.audience.startswith(UNIT_PREFIX):
        start, end = digest_window(runtime.now(), city.sms.staff_digest.minutes)
        window = _window_name(msg.audience, msg.urgent, start)
        # Kept as long as the queue keeps the digest, which may wait out the quiet hours.
        counted, held = storage.count_in_window(window, end + dt.timedelta(seconds=queue.RETENTION_SECONDS))
        if counted > city.sms.staff_digest.after:
            return _hold_for_digest(msg, window, held, end)
    return _send_text(msg, phone, text, counts=[name for name in (quota, window) if name])


def _send_text(msg: Message, phone: str, text: str, counts: list[str]) -> dict:
    """Hand the text to the provider; if it fails, ``counts`` are given back and it is tried again."""
    try:
        get_sender().send(phone, text)
    except Exception as exc:  # noqa: BLE001 - any provider failure is retried the same way
        for name in counts:
            storage.give_back_quota(name)
        _log(msg, "failed", error=type(exc).__name__)
        # Not chained: a provider's message may quote the number.
        raise SendFailed(type(exc).__name__) from None
    count("SmsSent")
    return _log(msg, "sent")


# ---- the digest: a burst of new orders as one text -------------------------------------

def _window_name(audience: str, urgent: bool, start: dt.datetime) -> str:
    """A unit's digest window, urgent and routine orders apart; also its digest's id (one per window)."""
    return f"digest#{audience}#{'urgent' if urgent else 'routine'}#{start:%Y%m%dT%H%MZ}"


def _hold_for_digest(msg: Message, window: str, held: list[str], end: dt.datetime) -> dict:
    """Not sent singly: noted on the window; whoever heads its notes queues the digest for its end."""
    if len(held) < DIGEST_LISTS and msg.tracking_no not in held:
        held = storage.hold_in_window(window, msg.tracking_no)
    if held[:1] == [msg.tracking_no]:  # the first held, and it again if retried: the digest is queued
        digest = {"id": window, "tracking_no": msg.tracking_no, "template": DIGEST, "audience": msg.audience,
                  "urgent": msg.urgent}
        if queue.send([json.dumps(digest)], delay_seconds=math.ceil((end - runtime.now()).total_seconds())):
            storage.give_back_quota(window)  # not queued: its retry counts it again
            raise SendFailed("the digest was not queued")
    return _log(msg, "digested")


def _send_digest(msg: Message, city: City) -> dict:
    """The window's one text: how many new orders it had, and the first numbers not texted singly."""
    phone = _unit_phone(msg.audience, city)
    if phone is None:
        return _log(msg, "no_recipient")
    digest = city.sms.staff_digest
    counted, held = storage.read_window(msg.id)
    numbers = "、".join(held) + ("等" if counted - digest.after > len(held) else "")
    text = city.sms.text(DIGEST, minutes=str(digest.minutes), count=str(counted), numbers=numbers)
    return _send_text(msg, phone, text, counts=[])


def _log(msg: Message, outcome: str, **extra) -> dict:
    log = logger.warning if outcome in ("failed", "capped") else logger.info
    log("sms", tracking_no=msg.tracking_no, template=msg.template, outcome=outcome, **extra)
    return {"outcome": outcome}


def _recipient(msg: Message, stored: StoredOrder, city: City) -> str | None:
    if msg.audience == RESIDENT:
        return _contact_phone(stored)
    if msg.audience.startswith(FOLLOWER_PREFIX):
        follower = storage.get_order(msg.audience.removeprefix(FOLLOWER_PREFIX))
        return _contact_phone(follower) if follower is not None else None
    if msg.audience == LEADER:
        return city.leader_on_duty.phone if city.leader_on_duty else None
    return _unit_phone(msg.audience, city)


def _unit_phone(audience: str, city: City) -> str | None:
    unit = city.unit_by_code.get(audience.removeprefix(UNIT_PREFIX))
    return unit.phone if unit else None


def _contact_phone(stored: StoredOrder) -> str | None:
    if stored.report.contact is None:
        return None
    return get_cipher().open(stored.report.contact, stored.tracking_no)["phone"]  # stored in E.164


def render(msg: Message, order: WorkOrder, city: City, tracking_no: str | None = None) -> str:
    """【signature】 and the city's template, filled from the order and the message's payload.

    Never from the resident's words (the description, the address): no SMS may carry them.

    ``tracking_no`` replaces the order's own number in the text (a follower's, for 并单).
    """
    zone = city.zone
    fields = {
        "tracking_no": tracking_no or order.tracking_no,
        "main_no": order.merged_into or "",
        "unit": city.unit_by_code[order.unit].name if order.unit in city.unit_by_code else "",
        "due_date": _day(order.due_at.astimezone(zone)) if order.due_at else "",
        "sign_due": _minute(order.sign_due_at.astimezone(zone)) if order.sign_due_at else "",
        "category": city.category_by_code[order.category].name if order.category in city.category_by_code else "",
        "area": city.area_name.get(order.area, "") if order.area else "",
        "type": city.type_by_code[order.type].name if order.type in city.type_by_code else "",
        **_open_payload(order.tracking_no, msg.payload),
    }
    try:
        return city.sms.text(msg.template, **fields)
    except (KeyError, IndexError, ValueError):
        raise Poison(f"template {msg.template!r} cannot be filled") from None


def _day(at: dt.datetime) -> str:
    return f"{at.month}月{at.day}日"


def _minute(at: dt.datetime) -> str:
    return f"{at.month}月{at.day}日{at:%H:%M}"


def _quota_name(phone: str, city: City) -> str:
    """The phone's count for today, under a keyed hash: the counters table holds no numbers."""
    day = runtime.now().astimezone(city.zone).date()
    return f"sms#{get_cipher().keyed_hash('sms-cap', phone)}#{day:%Y%m%d}"


@lru_cache(maxsize=1)
def _idempotency_config():
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(event_key_jmespath="id", expires_after_seconds=SENT_RECORD_SECONDS)


@lru_cache(maxsize=1)
def _send_once():
    from chalicelib.services import idempotency  # Powertools' idempotency loads on the first delivery

    return idempotency.idempotent(_send, "message", _idempotency_config())
