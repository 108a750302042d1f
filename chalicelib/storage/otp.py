"""Phone verification codes.

Whether a code is right is decided by DynamoDB, in a conditional write: concurrent
guesses cannot get more tries between them than the limit, and only one of two
concurrent uses of a right code succeeds.
"""
from __future__ import annotations

from dataclasses import dataclass

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.storage.tables import OtpModel


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


def otp_use(use: OtpUse):
    actions = [OtpModel.code_hash.remove(), OtpModel.code_expires_at.remove()]
    condition = (
        (OtpModel.code_hash == use.code_hash)
        & (OtpModel.attempts < use.max_wrong)
        & (OtpModel.code_expires_at > use.at)
    )
    return actions, condition


def use_otp(use: OtpUse) -> bool:
    """Use up the phone's code if ``use`` offers it while it lives; False otherwise."""
    actions, condition = otp_use(use)
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
