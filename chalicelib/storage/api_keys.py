"""The partner channels' API keys."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.storage.mapping import item_of, read
from chalicelib.storage.tables import ApiKeyModel


@dataclass(frozen=True)
class ApiKey:
    """A partner channel's API key, kept only as a keyed hash of the key."""

    channel: str
    key_id: str
    key_hash: str
    label: str | None
    created_at: dt.datetime
    created_by: str
    revoked_at: dt.datetime | None = None
    revoked_by: str | None = None


def put_api_key(record: ApiKey) -> bool:
    """Store a new key; False if its id is taken in the channel already (then nothing is written)."""
    try:
        item_of(ApiKeyModel, record).save(condition=ApiKeyModel.key_id.does_not_exist())
    except PutError as exc:
        if exc.cause_response_code == "ConditionalCheckFailedException":
            return False
        raise
    return True


def get_api_key(channel: str, key_id: str) -> ApiKey | None:
    # Consistent: a key revoked a moment ago must already be refused.
    try:
        return read(ApiKey, ApiKeyModel.get(channel, key_id, consistent_read=True))
    except ApiKeyModel.DoesNotExist:
        return None


def api_keys_of(channel: str) -> list[ApiKey]:
    return [read(ApiKey, item) for item in ApiKeyModel.query(channel)]


def revoke_api_key(key: ApiKey, at: dt.datetime, by: str) -> ApiKey:
    """Mark the key revoked, unless it is already (then its first revocation stands); the key as stored."""
    record = item_of(ApiKeyModel, key)
    try:
        record.update(
            actions=[ApiKeyModel.revoked_at.set(at), ApiKeyModel.revoked_by.set(by)],
            condition=ApiKeyModel.key_id.exists() & ApiKeyModel.revoked_at.does_not_exist(),
        )
    except UpdateError as exc:
        if exc.cause_response_code != "ConditionalCheckFailedException":
            raise
        record.refresh(consistent_read=True)
    return read(ApiKey, record)
