"""The writes of orders: a new order, the changes of orders, all or nothing, with what they cause.

Optimistic locking: an order's ``version`` is the length of its audit trail.
Every change is one TransactWriteItems: put the order on condition that the
stored version is the one the change was computed from, plus put the new
events. A stale writer fails the condition and nothing is written.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pynamodb.exceptions import TransactWriteError
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import StaleWrite
from chalicelib.domain.notices import Notice
from chalicelib.domain.orders import Event, WorkOrder
from chalicelib.domain.reports import StoredOrder
from chalicelib.domain.stats import Tallies, combined
from chalicelib.storage.claims import Claim, ClaimTaken, claim_item
from chalicelib.storage.co_handling import CoHandlingModel, co_unit_writes
from chalicelib.storage.mapping import event_item, order_item
from chalicelib.storage.models import EventModel, OrderModel, connection
from chalicelib.storage.otp import OtpRejected, OtpUse, otp_use
from chalicelib.storage.retries import TimingConflict, retry_conflicts
from chalicelib.storage.stats import tally_actions, tally_item
from chalicelib.storage.tables import ClaimModel, CounterModel, OtpModel, OutboxModel

if TYPE_CHECKING:  # the decisions written here: their modules load with the routes that decide
    from chalicelib.domain.changes import Change
    from chalicelib.domain.intake import Decision

# Long enough for the relay to have passed an item on, however late; the stream
# keeps records for 24 hours, so nothing reads an item after that.
OUTBOX_TTL = dt.timedelta(days=2)


def next_sequence(name: str) -> int:
    """An atomic counter: concurrent callers each get a different number."""
    counter = CounterModel(name)
    counter.update(actions=[CounterModel.value.add(1)])
    return int(counter.value)


def create_order(decision: Decision, otp: OtpUse | None = None, claims: Sequence[Claim] = ()) -> None:
    """Write the decided new order, its first events, the messages they cause and its counters, all or
    nothing.

    With ``otp``, the phone's code is used up in the same transaction: one code makes
    one order, and a failed write leaves the code usable. Raises ``OtpRejected`` when
    the code is not the phone's live one. Each of ``claims`` is put in the same
    transaction, on condition that nobody has it: ``ClaimTaken`` if somebody does.
    """
    item = order_item(StoredOrder(decision.order, decision.report), decision.events)
    write = _Write(item, decision.events, OrderModel.tracking_no.does_not_exist(), decision.notices, decision.tallies)
    _write([write], otp, claims)


def order_image(stored: StoredOrder) -> dict:
    """An order as DynamoDB's attribute map, its index keys and all: for tools that put many orders
    straight into a table (the benchmarks), as ``create_order`` would store them."""
    return order_item(stored).serialize()


def record_changes(changes: Sequence[Change], claims: Sequence[Claim] = ()) -> None:
    """Store each order (computed from it as loaded), its event, its messages, its counters'
    deltas and its co-units' queue items (those added put, those dropped deleted), if nobody
    changed it meanwhile: all or nothing (a merge changes two orders).

    ``claims`` (the uploads a resolve attaches) are put for the first order, on condition that nobody
    has them: ``ClaimTaken`` if somebody does."""
    writes = []
    for change in changes:
        item = order_item(dataclasses.replace(change.stored, order=change.order), [change.event])
        condition = OrderModel.version == change.stored.version
        co_puts, co_deletes = co_unit_writes(change.stored.order, change.order)
        writes.append(_Write(item, [change.event], condition, change.notices, change.tallies, co_puts, co_deletes))
    _write(writes, claims=claims)


@dataclass(frozen=True)
class _Write:
    item: OrderModel
    events: Sequence[Event]
    condition: Any
    notices: Sequence[Notice] = ()
    tallies: Tallies = dataclasses.field(default_factory=dict)
    co_puts: Sequence[CoHandlingModel] = ()
    co_deletes: Sequence[CoHandlingModel] = ()


# A transaction that touched an item while another transaction was writing it (a day's counters
# are shared by every change of that day) is cancelled whole, and is simply tried again: its
# conditions are checked afresh, so a change computed from a stale version then fails them.
_CONFLICT_PAUSES = (0.02, 0.05, 0.1)  # the bounds of the random pauses (storage/retries.py)


def _write(writes: Sequence[_Write], otp: OtpUse | None = None, claims: Sequence[Claim] = ()) -> None:
    try:
        return retry_conflicts(lambda: _transact(writes, otp, claims), _CONFLICT_PAUSES)
    except TimingConflict:
        raise StaleWrite("工单已被他人修改，请刷新后重试") from None


def _transact(writes: Sequence[_Write], otp: OtpUse | None, claims: Sequence[Claim]) -> None:
    """One transaction: each order on its condition, the claims (of the first), events, messages,
    the counters (one update per counter item, however many orders add to it), the code's use."""
    try:
        with TransactWrite(connection=connection()) as transaction:
            for n, write in enumerate(writes):
                at = write.events[-1].at  # the messages are as old as the change that causes them
                transaction.save(write.item, condition=write.condition)
                # Right after the first order: their cancellation reasons come 2nd, 3rd…
                for claim in claims if n == 0 else ():
                    transaction.save(
                        claim_item(claim, write.item.tracking_no, at), condition=ClaimModel.claim.does_not_exist()
                    )
                for event in write.events:
                    transaction.save(
                        event_item(write.item.tracking_no, event), condition=EventModel.seq.does_not_exist()
                    )
                for notice in write.notices:
                    transaction.save(_outbox_item(write.item.tracking_no, notice, at))
                for co_item in write.co_puts:
                    transaction.save(co_item)
                for co_item in write.co_deletes:
                    transaction.delete(co_item)
            for key, added in combined(w.tallies for w in writes).items():  # before the code's use, the last update
                transaction.update(tally_item(key), actions=tally_actions(added))
            if otp is not None:
                actions, otp_condition = otp_use(otp)
                transaction.update(OtpModel(otp.phone_hash), actions=actions, condition=otp_condition)
    except TransactWriteError as exc:
        # pynamodb sends condition checks, deletes, puts, then updates: the code's use is
        # the last update, so its cancellation reason is the last one. A claim taken comes
        # first: a retry of a stored submission, whose code the first run used up.
        reasons = [r.code if r is not None else None for r in exc.cancellation_reasons or ()]
        if exc.cause_response_code == "TransactionCanceledException" and set(reasons) - {None} == {"TransactionConflict"}:
            raise TimingConflict() from None
        taken = [c for c, reason in zip(claims, reasons[1:]) if reason == "ConditionalCheckFailed"]
        if taken:
            raise ClaimTaken(taken[0]) from None
        if otp is not None and reasons and reasons[-1] == "ConditionalCheckFailed":
            raise OtpRejected() from None
        # Another writer got there first: the change was computed from a version that is no
        # longer the stored one. (A cancellation by timing alone was retried above.)
        if exc.cause_response_code == "TransactionCanceledException" and "ConditionalCheckFailed" in reasons:
            raise StaleWrite("工单已被他人修改，请刷新后重试") from None
        raise


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


def outbox_message(image: dict) -> tuple[str, str]:
    """An outbox item, as its stream record's NewImage holds it: its order's number, and the JSON the
    queue carries."""
    item = OutboxModel.from_raw_data(image)
    body = json.dumps(
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
    return item.tracking_no, body
