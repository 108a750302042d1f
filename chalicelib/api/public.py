"""Residents' endpoints: catalogue, uploads, category suggestion, submission, tracking, rating, case library."""
from __future__ import annotations

from typing import Any

from chalice.app import Request, Response
from pydantic import ValidationError

from chalicelib.api import lazy
from chalicelib.api.http import ApiError, endpoint, json_body, query, respond, source_ip
from chalicelib.api.schemas import IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_MAX, IDEMPOTENCY_KEY_MIN, TrackQuery
from chalicelib.commands.bodies import PartnerSubmitRequest, RatingRequest, SubmitRequest, SuggestRequest, UploadRequest
from chalicelib.commands.queries import CasesQuery
from chalicelib.services import intake, limits, runtime, views

# Each loads on its first use: a cold container answering a submission does not pay for the partner
# channels, tracking, ratings, the case library or the classifier's suggestion route.
cases = lazy("chalicelib.services.cases")
channels = lazy("chalicelib.services.channels")
residents = lazy("chalicelib.services.residents")
suggestions = lazy("chalicelib.services.suggestions")


@endpoint
def catalog(request: Request) -> Response:
    response = respond(views.catalog(runtime.city()))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@endpoint
def create_upload(request: Request) -> Response:
    # A staff bearer token makes the upload that staff member's (a resolve's result photo); a bad one
    # is refused (401), not taken for a resident's upload that its resolve would then refuse.
    authorization = request.headers.get("authorization")
    uploader = runtime.staff_actor(authorization) if authorization else None
    return respond(intake.create_upload(json_body(request, UploadRequest), uploader), 201)


@endpoint
def submit(request: Request, lambda_context: Any = None) -> Response:
    api_key = (request.headers.get("x-api-key") or "").strip()
    if api_key:  # a partner channel (12345 hotline, grid system…): its key, and maybe its own external_id
        source = channels.partner_source(api_key)
        body = json_body(request, PartnerSubmitRequest)
        limits.admit_submission(source, body, source_ip(request))
        result = channels.submit(source, body, idempotency_key(request), lambda_context)
        return respond(result.answer, 201 if result.created else 200)
    body = json_body(request, SubmitRequest)
    limits.admit_submission(intake.WEB, body, source_ip(request))
    return respond(intake.submit(body, idempotency_key(request), lambda_context), 201)


@endpoint
def suggest(request: Request) -> Response:
    return respond(suggestions.suggest(json_body(request, SuggestRequest)))


@endpoint
def track(request: Request, tracking_no: str) -> Response:
    return respond(residents.track(tracking_no, query(request, TrackQuery).code, source_ip(request)))


@endpoint
def rate(request: Request, tracking_no: str) -> Response:
    return respond(residents.rate(tracking_no, json_body(request, RatingRequest), source_ip(request)))


@endpoint
def list_cases(request: Request) -> Response:
    return respond(cases.list_cases(query(request, CasesQuery)))


def idempotency_key(request: Request) -> str | None:
    """The submission's Idempotency-Key header, if sent (a resident's, a partner's, staff's intake)."""
    key = request.headers.get("idempotency-key")
    if key is None:
        return None
    try:
        return IDEMPOTENCY_KEY.validate_python(key)
    except ValidationError:
        raise ApiError(
            422,
            "validation_failed",
            f"Idempotency-Key 须为 {IDEMPOTENCY_KEY_MIN} 至 {IDEMPOTENCY_KEY_MAX} 个可打印 ASCII 字符（建议使用 UUID）",
            {"Idempotency-Key": "格式不正确"},
        ) from None
