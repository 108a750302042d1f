"""Secrets in SSM Parameter Store (SecureStrings), read through Powertools' parameters.

Each value is kept for a max age given by its reader: a container asks SSM again at most once
per that age, so a changed secret (a rotated key ring, a new SMS provider key) reaches every
container within it, and a busy one does not pay an SSM call per request.
"""
from __future__ import annotations

from chalicelib.adapters.aws import boto3_client, refusals_as_unavailable

_provider = None


@refusals_as_unavailable()  # SSM throttled: a 503 with Retry-After, as for any AWS call of a request
def secret(name: str, max_age: int, *, fresh: bool = False) -> str:
    """The parameter's decrypted value: the one kept when younger than ``max_age`` seconds, unless ``fresh``."""
    return _ssm().get(name, max_age=max_age, decrypt=True, force_fetch=fresh)


def forget_secrets() -> None:
    """The next read of each secret asks SSM (tests that change the parameters or the account)."""
    global _provider
    _provider = None


def _ssm():
    global _provider
    if _provider is None:
        # Imported on the first read: a cold start that reads no secret does not pay for it.
        from aws_lambda_powertools.utilities.parameters import SSMProvider

        # The shared data loader's client (adapters/aws.py), not one Powertools would make.
        _provider = SSMProvider(boto3_client=boto3_client("ssm"))
    return _provider
