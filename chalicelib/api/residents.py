"""Residents' phone verification: SMS codes, the token they give, the resident's own requests."""
from __future__ import annotations

from chalice.app import Request, Response

from chalicelib.api.http import endpoint, json_body, query, respond, source_ip
from chalicelib.api.schemas import OwnRequestsQuery
from chalicelib.commands.bodies import OtpRequest, OtpVerifyRequest
from chalicelib.services import limits, verification


@endpoint
def send_code(request: Request) -> Response:
    phone = json_body(request, OtpRequest).phone
    limits.admit_code_request(phone, source_ip(request))
    return respond(verification.send_code(phone))


@endpoint
def verify_code(request: Request) -> Response:
    body = json_body(request, OtpVerifyRequest)
    return respond(verification.verify(body.phone, body.code))


@endpoint
def own_requests(request: Request) -> Response:
    subject = verification.resident(request.headers.get("authorization"))  # 401 before anything else
    params = query(request, OwnRequestsQuery)
    return respond(verification.own_requests(subject, params.cursor, params.limit))
