"""Exactly once, with Powertools' idempotency on DynamoDB: submissions and SMS deliveries.

A submission retried with the same ``Idempotency-Key`` gets the first answer back —
including its query code, which the stored record keeps sealed with the field
cipher. The same key with a different body is refused; a retry that arrives while
the first attempt is still running is told to wait. A failed attempt leaves no
record, so it can be retried. The SMS delivery uses ``idempotent`` the same way,
keyed on the outbox item. Loaded only by keyed submissions and by deliveries.
"""
from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any

from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from aws_lambda_powertools.utilities.idempotency.exceptions import (
    IdempotencyAlreadyInProgressError,
    IdempotencyValidationError,
)
from aws_lambda_powertools.utilities.idempotency.serialization.base import BaseIdempotencySerializer

from chalicelib import storage
from chalicelib.adapters.aws import boto3_client, refusals_as_unavailable
from chalicelib.adapters.crypto import get_cipher
from chalicelib.answers import Submitted
from chalicelib.domain.errors import Conflict, InvalidInput


class StillRunning(Conflict):
    code = "in_progress"
    retry_after = 1  # the first attempt is still running: it will have answered by then


class KeyReused(InvalidInput):
    code = "idempotency_key_reused"


SEALED_CONTEXT = "idempotency"  # what a stored answer is bound to (re-sealed by a key rotation)


class _SealedAnswer(BaseIdempotencySerializer):
    """Keeps the stored answer (a submission's, answers.Submitted) encrypted at rest: it holds a query code."""

    def to_dict(self, data: Submitted) -> dict:
        return {"sealed": get_cipher().seal(data.model_dump(mode="json"), SEALED_CONTEXT).hex()}

    def from_dict(self, data: dict) -> Submitted:
        return Submitted.model_validate(get_cipher().open(bytes.fromhex(data["sealed"]), SEALED_CONTEXT))


_CONFIG = IdempotencyConfig(
    event_key_jmespath="key", payload_validation_jmespath="request", expires_after_seconds=24 * 3600
)


@lru_cache(maxsize=1)
def _dynamodb():
    return boto3_client("dynamodb")


def idempotent(
    function: Callable[..., Any], data_keyword_argument: str, config: IdempotencyConfig, output_serializer=None
) -> Callable[..., Any]:
    """``function`` made idempotent on the shared table, keyed as ``config`` says.

    Each caller gets a persistence layer of its own: Powertools configures a layer once,
    for the first function that uses it. Made on first use (callers cache the result).
    """
    return idempotent_function(
        function,
        data_keyword_argument=data_keyword_argument,
        persistence_store=DynamoDBPersistenceLayer(
            table_name=storage.table_name("idempotency"), boto3_client=_dynamodb()
        ),
        config=config,
        output_serializer=output_serializer,
    )


@lru_cache(maxsize=None)
def _submission(function: Callable[..., Submitted]) -> Callable[..., Submitted]:
    return idempotent(function, "data", _CONFIG, _SealedAnswer())


def once(function: Callable[..., Submitted], key: str, payload: dict, lambda_context: Any = None, **kwargs) -> Submitted:
    """``function(**kwargs)`` once per ``key``; ``payload`` is what must not change between retries."""
    if lambda_context is not None:
        # Lets Powertools expire an in-progress record if this invocation dies.
        _CONFIG.register_lambda_context(lambda_context)
    try:
        # Powertools makes its own DynamoDB calls (not pynamodb's): their refusals are recognised here.
        with refusals_as_unavailable():
            return _submission(function)(data={"key": key, "request": payload}, **kwargs)
    except IdempotencyAlreadyInProgressError:
        raise StillRunning("相同的提交正在处理中，请稍后重试", {"Idempotency-Key": "处理中"}) from None
    except IdempotencyValidationError:
        raise KeyReused("该幂等键已用于另一份不同的提交", {"Idempotency-Key": "已用于不同的内容"}) from None
