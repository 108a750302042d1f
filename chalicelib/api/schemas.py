"""What only the HTTP layer reads: a query string a handler unpacks, a header.

The models a use case takes (bodies, list filters, the staff's actions) are chalicelib/commands/'s.
"""
from __future__ import annotations

from typing import Annotated

from pydantic import ConfigDict, StringConstraints, TypeAdapter

from chalicelib.commands.base import Body
from chalicelib.commands.queries import PageQuery


# The Idempotency-Key header of a submission. The key is the only thing that ties a retry to
# its first answer (which holds the query code), so it must be unguessable: a UUID or 16+
# random characters, printable ASCII.
IDEMPOTENCY_KEY_MIN, IDEMPOTENCY_KEY_MAX = 16, 128  # the 422's message says them too
IdempotencyKey = Annotated[
    str,
    StringConstraints(
        strip_whitespace=True, min_length=IDEMPOTENCY_KEY_MIN, max_length=IDEMPOTENCY_KEY_MAX, pattern=r"^[ -~]+$"
    ),
]
IDEMPOTENCY_KEY = TypeAdapter(IdempotencyKey, config=ConfigDict(defer_build=True))


class TrackQuery(Body):
    """GET /api/v1/requests/{tracking_no}: the query code that opens the request."""

    # No length limit: a wrong code of any length answers the 404 an unknown number does.
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class OwnRequestsQuery(PageQuery):
    """GET /api/v1/me/requests: a page of the resident's own requests, newest first."""
