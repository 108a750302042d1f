"""Phone verification codes.

Every try at a code is counted before it is checked, in one conditional write
(``try_otp``): the count is taken only while the code lives and has tries left, and
the write answers with the stored code to compare. However many guesses arrive at
once, no code is tried more than its limit. Using a right code is a second
conditional write (``use_otp``, or the submission's own transaction): of two
concurrent uses, one succeeds.
"""
from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.storage.mapping import item_of, read
from chalicelib.storage.tables import OtpModel


@dataclass(frozen=True)
class OtpRecord:
    """A phone's verification state: its live code (if any) and its latest sends."""

    phone_hash: str
    code_hash: str | None = None  # removed as soon as the code is used or burnt
    code_expires_at: int | None = None  # epoch seconds
    attempts: int = 0  # wrong tries at the live code
    sent: tuple[int, ...] = ()  # epoch seconds of the latest sends, newest last
    last_sent: int | None = None  # the newest of them: the next send's condition
    expires_at: dt.datetime | None = None  # the item's TTL


@dataclass(frozen=True)
class OtpUse:
    """A code offered for a phone; it works only if it is that phone's live code."""

    phone_hash: str
    code_hash: str
    at: int  # epoch seconds: a code that expired at or before this is dead
    max_wrong: int  # a code with this many wrong tries is dead


class OtpRejected(Exception):
    """The code offered is not the phone's live code (wrong, expired, burnt or used)."""


def get_otp(phone_hash: str) -> OtpRecord | None:
    try:
        return read(OtpRecord, OtpModel.get(phone_hash, consistent_read=True))
    except OtpModel.DoesNotExist:
        return None


def put_otp(record: OtpRecord, previous: OtpRecord | None) -> bool:
    """Store a new code and its send, unless another send for the phone got in first (False)."""
    if previous is None:
        condition = OtpModel.phone_hash.does_not_exist()
    else:
        condition = OtpModel.last_sent == previous.last_sent
    try:
        item_of(OtpModel, record).save(condition=condition)
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def restore_otp(phone_hash: str, code_hash: str, previous: OtpRecord | None) -> None:
    """Undo the ``put_otp`` that stored ``code_hash``: its SMS never went out."""
    condition = OtpModel.code_hash == code_hash
    if previous is None:
        OtpModel(phone_hash).delete(condition=condition)
    else:
        item_of(OtpModel, previous).save(condition=condition)


def try_otp(use: OtpUse) -> bool:
    """Count one try at the phone's live code; whether ``use`` offers it.

    The count is the check's ticket: a try the limit leaves no room for is refused without
    comparing, so a burst of guesses gets ``max_wrong`` comparisons between them, no more.
    """
    record = OtpModel(use.phone_hash)
    live = (
        OtpModel.code_hash.exists() & (OtpModel.attempts < use.max_wrong) & (OtpModel.code_expires_at > use.at)
    )
    try:
        record.update(actions=[OtpModel.attempts.add(1)], condition=live)  # the item as written comes back
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False  # no code, expired, or out of tries
        raise
    right = hmac.compare_digest(record.code_hash.encode(), use.code_hash.encode())
    if not right and record.attempts >= use.max_wrong:
        _burn(record.phone_hash, record.code_hash)  # no try left: nothing to keep
    return right


def _burn(phone_hash: str, code_hash: str) -> None:
    try:
        OtpModel(phone_hash).update(
            actions=[OtpModel.code_hash.remove(), OtpModel.code_expires_at.remove()],
            condition=OtpModel.code_hash == code_hash,
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        # Replaced by a new code meanwhile: that one is not burnt.


def otp_use(use: OtpUse):
    """Using the code ``use`` offers, whose try ``try_otp`` has counted: the update and its condition."""
    actions = [OtpModel.code_hash.remove(), OtpModel.code_expires_at.remove()]
    condition = (OtpModel.code_hash == use.code_hash) & (OtpModel.code_expires_at > use.at)
    return actions, condition


def use_otp(use: OtpUse) -> bool:
    """Use up the phone's code if ``use`` offers it while it lives; False if it was used or replaced meanwhile."""
    actions, condition = otp_use(use)
    try:
        OtpModel(use.phone_hash).update(actions=actions, condition=condition)
    except UpdateError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True
