"""The partner channels' API keys."""
from __future__ import annotations

import datetime as dt

from pynamodb.exceptions import PutError, UpdateError

from chalicelib.storage.tables import ApiKeyModel


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
