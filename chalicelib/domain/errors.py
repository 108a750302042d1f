"""Errors the domain raises. Each has a ``kind`` (what went wrong, in the domain's words) and a
``code`` (the machine code clients see); the HTTP layer maps each kind to one status code
(api/http.py ``STATUS``), so no protocol detail lives here."""
from __future__ import annotations

from enum import Enum


class Kind(Enum):
    BAD_REQUEST = "bad_request"  # the request itself cannot be read
    INVALID = "invalid"  # well-formed, but names something that does not exist or fit
    UNAUTHENTICATED = "unauthenticated"  # no credential, or one that is not ours
    FORBIDDEN = "forbidden"  # a credential, but not one allowed this
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"  # the state does not allow it now
    RATE_LIMITED = "rate_limited"  # over a cap: wait retry_after seconds
    UNAVAILABLE = "unavailable"  # a service the request needs refuses work for the moment


class DomainError(Exception):
    kind = Kind.BAD_REQUEST
    code = "bad_request"
    retry_after: int | None = None  # seconds, for an error that goes away by itself

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(DomainError):
    """The request is well-formed but names something that does not exist or fit."""

    kind = Kind.INVALID
    code = "validation_failed"  # the same code as a malformed field: to a client both are bad input


class Forbidden(DomainError):
    """The actor's role may not take this action."""

    kind = Kind.FORBIDDEN
    code = "forbidden"


class NotFound(DomainError):
    """Unknown, or not visible to this actor: the two look the same on purpose."""

    kind = Kind.NOT_FOUND
    code = "not_found"


class Conflict(DomainError):
    """The order's state or version does not allow the change now."""

    kind = Kind.CONFLICT
    code = "conflict"


class StaleWrite(Conflict):
    """The order changed between reading it and writing the change: nothing was written."""


class RateLimited(DomainError):
    """Over a cap (a phone's codes, an address's submissions, wrong query codes…): wait ``retry_after`` seconds."""

    kind = Kind.RATE_LIMITED
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class Unavailable(DomainError):
    """A service the request needs refuses work for the moment (throttled, briefly down): try again shortly."""

    kind = Kind.UNAVAILABLE
    code = "service_unavailable"
    retry_after = 2


class OutsideJurisdiction(InvalidInput):
    """The request's location lies outside the city the platform serves."""

    code = "outside_jurisdiction"
