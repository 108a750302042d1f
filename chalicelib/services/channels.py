"""Partner intake channels (合作渠道): their API keys, and their submissions.

The channels are the city file's ``channels`` (the 12345 hotline, the grid system,
the police's non-emergency line, Open311 client apps); the residents' own page and
app are the channel ``web``. Administrators issue, list and revoke keys per channel.

A key reads ``<channel>.<key id>.<secret>``. It is shown once, when it is issued;
the table keeps its keyed hash (FieldCipher.keyed_hash), compared in constant time.
A revoked key is refused at once (keys are read with a consistent read, never cached).

A partner submits through the residents' own intake (services/intake.py) with a
``Source`` made from its key: no SMS code, the channel's note on the audit trail,
verified (实名) if the channel vouches for its callers. With the partner's own
``external_id``, the first submission claims it in the order's transaction; a retry
or re-sync with the same id from the same channel — before, after or racing the
first — is answered with the order that claim points to (and its query code, kept
sealed with the claim), so no duplicate is made.
"""
from __future__ import annotations

import hmac
import re
import secrets
from dataclasses import dataclass, replace
from typing import Any

from chalicelib import answers, storage
from chalicelib.adapters.crypto import get_cipher
from chalicelib.commands.bodies import PartnerSubmitRequest
from chalicelib.city import Channel
from chalicelib.domain.errors import DomainError, Forbidden, Kind, NotFound
from chalicelib.domain.lifecycle import Actor, Role
from chalicelib.observability import count, logger
from chalicelib.services import intake, runtime, views

_KEY_ID = re.compile(r"^[0-9a-f]{12}$")


class ApiKeyInvalid(DomainError):
    """No such key (or none at all, where one is needed)."""

    kind = Kind.UNAUTHENTICATED
    code = "api_key_invalid"


class ApiKeyRevoked(DomainError):
    kind = Kind.FORBIDDEN
    code = "api_key_revoked"


# ---- administration (Role.ADMIN) ------------------------------------------------------

def _admin_only(actor: Actor) -> None:
    if actor.role is not Role.ADMIN:
        raise Forbidden("只有管理员可以管理合作渠道的接口密钥")


def _channel(code: str) -> Channel:
    channel = runtime.city().channel_by_code.get(code)
    if channel is None:
        raise NotFound("合作渠道不存在")
    return channel


def _key_hash(api_key: str) -> str:
    return get_cipher().keyed_hash("api-key", api_key)


def _key_view(record: storage.ApiKey) -> answers.ApiKey:
    city = runtime.city()
    return answers.ApiKey(
        channel=record.channel,
        key_id=record.key_id,
        label=record.label,
        active=record.revoked_at is None,
        created_at=views.iso(record.created_at, city),
        created_by=record.created_by,
        revoked_at=views.iso(record.revoked_at, city),
        revoked_by=record.revoked_by,
    )


def list_channels(actor: Actor) -> answers.ChannelList:
    _admin_only(actor)
    items = []
    for channel in runtime.city().channels:
        keys = storage.api_keys_of(channel.code)
        items.append(
            answers.ChannelSummary(
                code=channel.code,
                name=channel.name,
                vouches_for_contact=channel.vouches_for_contact,
                note=channel.note,
                active_keys=sum(1 for k in keys if k.revoked_at is None),
            )
        )
    return answers.ChannelList(items=items)


def issue_key(actor: Actor, channel_code: str, label: str | None) -> answers.IssuedApiKey:
    """A new key for the channel: the answer is the only place the key itself ever appears."""
    _admin_only(actor)
    channel = _channel(channel_code)
    while True:  # a 48-bit id taken already in the channel: draw again
        key_id = secrets.token_hex(6)
        api_key = f"{channel.code}.{key_id}.{secrets.token_urlsafe(24)}"
        record = storage.ApiKey(
            channel.code,
            key_id,
            key_hash=_key_hash(api_key),
            label=label,
            created_at=runtime.now(),
            created_by=actor.id,
        )
        if storage.put_api_key(record):
            break
    count("ApiKeyIssued")
    logger.info("api key issued", channel=channel.code, key_id=key_id)
    return answers.IssuedApiKey(**dict(_key_view(record)), api_key=api_key)


def list_keys(actor: Actor, channel_code: str) -> answers.ApiKeyList:
    _admin_only(actor)
    channel = _channel(channel_code)
    return answers.ApiKeyList(items=[_key_view(record) for record in storage.api_keys_of(channel.code)])


def revoke_key(actor: Actor, channel_code: str, key_id: str) -> answers.ApiKey:
    """Revoke the key; revoking it again changes nothing (the first revocation stands)."""
    _admin_only(actor)
    channel = _channel(channel_code)
    record = storage.get_api_key(channel.code, key_id) if _KEY_ID.fullmatch(key_id) else None
    if record is None:
        raise NotFound("接口密钥不存在")
    revoked = storage.revoke_api_key(record, runtime.now(), actor.id)
    logger.info("api key revoked", channel=channel.code, key_id=key_id)
    return _key_view(revoked)


# ---- partners' submissions ---------------------------------------------------------------

def partner_source(api_key: str | None, token: str | None = None) -> intake.Source:
    """The intake source of a partner's submission, if ``api_key`` is a live key of a channel."""
    parts = (api_key or "").strip().split(".")
    channel = runtime.city().channel_by_code.get(parts[0]) if len(parts) == 3 else None
    record = storage.get_api_key(channel.code, parts[1]) if channel and _KEY_ID.fullmatch(parts[1]) else None
    # As bytes: compare_digest refuses str with non-ASCII characters, and a key is client input.
    if record is None or not hmac.compare_digest(record.key_hash.encode(), _key_hash(api_key.strip()).encode()):
        raise ApiKeyInvalid("接口密钥无效" if api_key else "缺少接口密钥（api_key）")
    if record.revoked_at is not None:
        raise ApiKeyRevoked("接口密钥已停用，请联系管理员")
    return intake.Source(
        channel=channel.code,
        actor=Actor(Role.RESIDENT, f"{channel.code}/{record.key_id}"),
        note=channel.note,
        needs_otp=False,
        vouches_for_contact=channel.vouches_for_contact,
        token=token,
    )


@dataclass(frozen=True)
class Submitted:
    answer: answers.Submitted  # as the residents' submission answers
    created: bool  # False: the external_id had made this order already
    token: str | None  # the Open311 token of the submission that made it


def submit(
    source: intake.Source, request: PartnerSubmitRequest, idempotency_key: str | None = None, lambda_context: Any = None
) -> Submitted:
    """Submit through intake, unless the partner's external_id has made an order already."""
    source = replace(source, external_id=request.external_id)
    claim = storage.external_claim(source.channel, source.external_id) if source.external_id else None
    earlier = storage.get_claim(claim) if claim else None
    if earlier is None:
        try:
            answer = intake.submit(request, idempotency_key, lambda_context, source)
        except storage.ClaimTaken as taken:
            if taken.claim.name != claim:
                raise
            earlier = storage.get_claim(claim)  # a retry raced this one and won: its order is the one
        else:
            count("PartnerRequestSubmitted")
            return Submitted(answer, True, source.token)
    count("PartnerRequestRepeated")
    logger.info("partner submission repeated", channel=source.channel, tracking_no=earlier.tracking_no)
    return _made_before(earlier)


def _made_before(claim: storage.Claimed) -> Submitted:
    return Submitted(intake.answered_before(claim), False, claim.token)
