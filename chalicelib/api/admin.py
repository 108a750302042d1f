"""Administrators' endpoints (bearer token, role admin): partner channels and their API keys."""
from __future__ import annotations

from chalice.app import Request, Response

from chalicelib.api.http import endpoint, json_body, respond
from chalicelib.commands.bodies import ApiKeyRequest
from chalicelib.api.staff import actor
from chalicelib.services import channels


@endpoint
def list_channels(request: Request) -> Response:
    return respond(channels.list_channels(actor(request)))


@endpoint
def list_keys(request: Request, channel: str) -> Response:
    return respond(channels.list_keys(actor(request), channel))


@endpoint
def issue_key(request: Request, channel: str) -> Response:
    who = actor(request)
    return respond(channels.issue_key(who, channel, json_body(request, ApiKeyRequest).label), 201)


@endpoint
def revoke_key(request: Request, channel: str, key_id: str) -> Response:
    return respond(channels.revoke_key(actor(request), channel, key_id))
