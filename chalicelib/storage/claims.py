"""Claims: what exists once only, put in the transaction of the order that claims it."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib.storage.mapping import read
from chalicelib.storage.tables import ClaimModel


@dataclass(frozen=True)
class Claim:
    """A name only one order may have, put with it: ``external#<channel>#<id>``, ``token#<token>``,
    ``idempotency#<key hash>`` or ``upload#<upload>`` (put with the submission or the resolve that
    attaches it)."""

    name: str
    query_code: bytes | None = None  # sealed, for answering a retry as the first submission was answered
    token: str | None = None
    request_fingerprint: str | None = None  # an Idempotency-Key's: what it was first sent with


@dataclass(frozen=True)
class Claimed:
    """A claim as stored: the order that has it, and what the claim was put with."""

    claim: str  # its name
    tracking_no: str
    created_at: dt.datetime
    query_code: bytes | None = None
    token: str | None = None
    request_fingerprint: str | None = None


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


def upload_claim(upload_name: str) -> str:
    """An upload is attached once: to one submission, or to one resolve (``upload_name``: its key's last part)."""
    return f"upload#{upload_name}"


def claim_item(claim: Claim, tracking_no: str, at: dt.datetime) -> ClaimModel:
    return ClaimModel(
        claim.name,
        tracking_no=tracking_no,
        created_at=at,
        query_code=claim.query_code,
        token=claim.token,
        request_fingerprint=claim.request_fingerprint,
    )


def get_claim(name: str) -> Claimed | None:
    try:
        return read(Claimed, ClaimModel.get(name, consistent_read=True))
    except ClaimModel.DoesNotExist:
        return None


def taken_claims(names: list[str]) -> set[str]:
    """Those of ``names`` that are claimed already (one consistent BatchGetItem, for at most 100)."""
    if not names:
        return set()
    return {item.claim for item in ClaimModel.batch_get(names, consistent_read=True, attributes_to_get=["claim"])}
