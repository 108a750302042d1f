"""DynamoDB refusing a call for the moment becomes the domain's ``Unavailable``, here, at the storage
boundary: no caller above reads botocore's or pynamodb's error shapes.

Every pynamodb call goes through ``Connection._make_api_call``, so that is where the refusal is
recognised (once the SDK's own retries are spent). A cancelled transaction one of whose conditions
failed is left to the storage module that wrote it: its reasons say more (a claim taken, a stale
version) than the throttling of another of its items, which a retry would not cure.
"""
from __future__ import annotations

import functools

from pynamodb.connection.base import Connection

from chalicelib.adapters.aws import refusals_as_unavailable


def _condition_failed(exc: BaseException) -> bool:
    response = getattr(exc, "response", None) or {}
    return any(reason.get("Code") == "ConditionalCheckFailed" for reason in response.get("CancellationReasons") or ())


def _translating(make_api_call):
    @functools.wraps(make_api_call)
    def call(self, operation_name, operation_kwargs):
        try:
            return make_api_call(self, operation_name, operation_kwargs)
        except Exception as exc:
            cause = exc.__cause__ or exc
            if _condition_failed(cause):
                raise
            with refusals_as_unavailable():
                raise
    call.translating = True
    return call


def install() -> None:
    """Translate the refusals of every pynamodb connection (idempotent: models.py calls it on import)."""
    if not getattr(Connection._make_api_call, "translating", False):
        Connection._make_api_call = _translating(Connection._make_api_call)
