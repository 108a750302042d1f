"""Errors the domain raises; the HTTP layer maps each to one status code."""
from __future__ import annotations


class DomainError(Exception):
    status = 400
    code = "bad_request"
    retry_after: int | None = None  # seconds, for an error that goes away by itself

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class InvalidInput(DomainError):
    """The request is well-formed but names something that does not exist or fit."""

    status = 422
    code = "validation_failed"  # the same code as a malformed field: to a client both are bad input


class Forbidden(DomainError):
    """The actor's role may not take this action."""

    status = 403
    code = "forbidden"


class NotFound(DomainError):
    """Unknown, or not visible to this actor: the two look the same on purpose."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The order's state or version does not allow the change now."""

    status = 409
    code = "conflict"


class StaleWrite(Conflict):
    """The order changed between reading it and writing the change: nothing was written."""


class RateLimited(DomainError):
    """Over a cap (a phone's codes, an address's submissions, wrong query codes…): wait ``retry_after`` seconds."""

    status = 429
    code = "rate_limited"

    def __init__(self, message: str, retry_after: int):
        super().__init__(message)
        self.retry_after = max(1, retry_after)


class Unavailable(DomainError):
    """A service the request needs refuses work for the moment (throttled, briefly down): try again shortly."""

    status = 503
    code = "service_unavailable"
    retry_after = 2


class OutsideJurisdiction(InvalidInput):
    """The request's location lies outside the city the platform serves."""

    code = "outside_jurisdiction"
