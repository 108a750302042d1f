"""botocore sessions that share one data loader.

pynamodb gives every model class a botocore session of its own, and boto3 and
Powertools make theirs; each session parses the service description and the
endpoint tables again, tens of milliseconds a time on a cold start. Sessions
from here share one loader, so each file is parsed once per container. The
loader only reads and caches files, so sharing it between threads is safe
(sessions themselves are not shared).

It is also where AWS's "not now" is recognised (``refusals_as_unavailable``), for
storage and every adapter alike.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import botocore.loaders
import botocore.session

from chalicelib.domain.errors import DomainError, Unavailable
from chalicelib.observability import logger

_LOADER = botocore.loaders.create_loader()


def botocore_session() -> botocore.session.Session:
    session = botocore.session.get_session()
    session.register_component("data_loader", _LOADER)
    return session


def boto3_client(service: str, **kwargs):
    import boto3

    return boto3.session.Session(botocore_session=botocore_session()).client(service, **kwargs)


# ---- AWS saying "not now" -------------------------------------------------------
# The codes with which AWS refuses a call for the moment: throttling, and a service briefly
# unable to answer (DynamoDB, with the reasons of a cancelled transaction; S3; SQS; SNS; SSM).
_NOT_NOW = frozenset({
    "ProvisionedThroughputExceededException", "ProvisionedThroughputExceeded", "ThrottlingException",
    "ThrottlingError", "RequestLimitExceeded", "InternalServerError", "ServiceUnavailable",
    "ServiceUnavailableException", "SlowDown", "InternalError", "Throttling", "ThrottledException",
    "RequestThrottled", "TooManyRequestsException", "KMSThrottlingException", "InternalFailure",
})


def refused_for_now(exc: BaseException | None) -> str | None:
    """The code with which AWS refused a call for the moment, anywhere among ``exc``'s causes; else None.

    pynamodb keeps botocore's error as ``cause``, Powertools' idempotency raises its own
    ``from`` it: the whole chain is looked at. A call that could not reach AWS at all
    (connection refused, timed out) counts as refused for the moment too.
    """
    from botocore.exceptions import ConnectionError as NoConnection, HTTPClientError

    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        response = getattr(exc, "response", None)
        if isinstance(response, dict):  # botocore's ClientError
            codes = [response.get("Error", {}).get("Code")]
            codes += [reason.get("Code") for reason in response.get("CancellationReasons") or ()]
            refused = next((code for code in codes if code in _NOT_NOW), None)
            if refused:
                return refused
        if isinstance(exc, (NoConnection, HTTPClientError)):
            return type(exc).__name__
        exc = getattr(exc, "cause", None) or exc.__cause__ or exc.__context__
    return None


@contextmanager
def refusals_as_unavailable() -> Iterator[None]:
    """AWS refusing a call for the moment becomes the domain's ``Unavailable`` (a 503 with
    Retry-After, not a 500): no fault of the request nor a bug. A context manager and a
    decorator; any other error passes unchanged."""
    try:
        yield
    except DomainError:  # already the domain's answer (storage's own, raised inside)
        raise
    except Exception as exc:
        code = refused_for_now(exc)
        if code is None:
            raise
        logger.warning("aws refused a call for now", error=code)
        raise Unavailable("服务繁忙，请稍后重试") from exc
