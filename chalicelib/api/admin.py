"""Administrators' endpoints (bearer token, role admin): partner channels and their API keys."""
from __future__ import annotations

from chalice.app import Request, Response

from chalicelib.api.http import endpoint, json_body, respond
from chalicelib.api.schemas import ApiKeyRequest
from chalicelib.services import channels, runtime


def _actor(request: Request):
    return runtime.staff_actor(request.headers.get("authorization"))


@endpoint
def list_channels(request: Request) -> Response:
    return respond(channels.list_channels(_actor(request)))


@endpoint
def list_keys(request: Request, channel: str) -> Response:
    return respond(channels.list_keys(_actor(request), channel))


@endpoint
def issue_key(request: Request, channel: str) -> Response:
    actor = _actor(request)
    return respond(channels.issue_key(actor, channel, json_body(request, ApiKeyRequest).label), 201)


@endpoint
def revoke_key(request: Request, channel: str, key_id: str) -> Response:
    return respond(channels.revoke_key(_actor(request), channel, key_id))
