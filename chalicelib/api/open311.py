"""Open311 GeoReport v2 endpoints under /open311/v2 (services/open311.py does the work).

Every resource comes as ``.json`` and ``.xml``, the format being the path's suffix.
API Gateway (and so Chalice) takes path parameters as whole segments only, so
``/open311/v2/{resource}`` receives ``services.json`` and the handler splits it.

Errors are the specification's: ``[{"code", "description"}]`` or
``<errors><error>``, in the request's format (XML, the required one, when the path
names none), with 403 for a missing, unknown or revoked ``api_key``, 404 for what
does not exist and 400 for any other bad input — the native API's 401, 409, 415 and
422 all become one of those — and 429 over a rate limit, as the native API answers it. A POST is form-encoded (Chalice answers 415 to any
other body, which the middleware turns into this format too).

The reads need no key, as the specification has it; with a partner's ``api_key`` (as
FixMyStreet sends it) they show that channel's own requests in full, and a key that is
not live is refused (403) rather than taken for no key.
"""
from __future__ import annotations

import json

from chalice.app import Request, Response

from chalicelib.api import open311_format as wire
from chalicelib.api.http import ApiError, Refusal, answering, source_ip, validate
from chalicelib.commands.bodies import PartnerSubmitRequest
from chalicelib.domain import open311
from chalicelib.domain.errors import NotFound
from chalicelib.services import channels, limits, runtime
from chalicelib.services import open311 as service


class _UnknownFormat(ApiError):
    def __init__(self):
        super().__init__(400, "bad_format", "请在路径末尾注明格式：.json 或 .xml")


def _split(name: str) -> tuple[str, str]:
    base, dot, fmt = name.rpartition(".")
    if not dot or not base or fmt not in wire.CONTENT_TYPES:
        raise _UnknownFormat()
    return base, fmt


def _format_of(name: str) -> str:
    fmt = name.rpartition(".")[2]
    return fmt if fmt in wire.CONTENT_TYPES else "xml"


def answer(root: str, body: list | dict, fmt: str, status: int = 200) -> Response:
    text = json.dumps(body, ensure_ascii=False) if fmt == "json" else wire.to_xml(root, body)
    headers = {"Content-Type": wire.CONTENT_TYPES[fmt], "Cache-Control": "no-store"}
    return Response(body=text, status_code=status, headers=headers)


def error_answer(status: int, message: str, fields: dict, fmt: str) -> Response:
    """400 for any bad input, 403 for the API key, 404 for what does not exist (the specification's three);
    429 over a rate limit (with Retry-After), which a client must tell from bad input."""
    status = status if status in (403, 404, 429) else 403 if status == 401 else 400 if status < 500 else status
    return answer("errors", wire.errors(status, message, fields), fmt, status)


def _in_open311_format(refused: Refusal, request: Request, name: str) -> Response:
    response = error_answer(refused.status, refused.message, refused.fields, _format_of(name))
    retry_after = refused.headers.get("Retry-After")  # an error that goes away by itself: when to try again
    if retry_after:
        response.headers["Retry-After"] = retry_after
    return response


# What a handler raises, as the specification's errors in the request's format.
_endpoint = answering(_in_open311_format)


def _params(request: Request) -> dict[str, list[str]]:
    """The query string; an empty parameter is the same as a missing one."""
    params = request.query_params
    if params is None:
        return {}
    return {name: kept for name in params if (kept := [v for v in params.getlist(name) if v.strip()])}


def _reader(params: dict[str, list[str]]) -> str | None:
    """A partner's channel, if its api_key came with the read (it sees its own requests in full)."""
    return service.reader_of(open311.one(params, "api_key"))


def _endpoint_url(request: Request, name: str) -> str:
    """Where the caller reached /open311/v2, with the stage or base path it used."""
    path = request.context.get("path") or ""
    prefix = path.removesuffix(f"/{name}") if path.endswith(f"/{name}") else "/open311/v2"
    scheme = request.headers.get("x-forwarded-proto") or "http"  # API Gateway always says https
    return f"{scheme}://{request.headers.get('host') or 'localhost'}{prefix}"


@_endpoint
def get(request: Request, name: str) -> Response:
    resource, fmt = _split(name)
    params = _params(request)
    if resource == "discovery":
        return answer("discovery", service.discovery(_endpoint_url(request, name)), fmt)
    if resource == "services":
        return answer("services", service.services(), fmt)
    if resource == "requests":
        return answer("service_requests", service.find(params, _reader(params)), fmt)
    if resource == "servicerequestupdates":
        return answer("service_request_updates", service.updates(params, _reader(params)), fmt)
    raise NotFound(f"{resource} 不存在")


@_endpoint
def post(request: Request, name: str) -> Response:
    resource, fmt = _split(name)
    if resource != "requests":
        raise NotFound(f"{resource} 不存在")
    form = wire.parse_form(request.raw_body or b"")
    source = channels.partner_source(open311.one(form, "api_key"), token=service.new_token())
    submission = validate(PartnerSubmitRequest, open311.submission(form, runtime.city()))
    limits.admit_submission(source, submission, source_ip(request))
    body, created = service.submit(submission, source)
    return answer("service_requests", body, fmt, 201 if created else 200)


@_endpoint
def service_definition(request: Request, name: str) -> Response:
    code, fmt = _split(name)
    return answer("service_definition", service.definition(code), fmt)


@_endpoint
def one_request(request: Request, name: str) -> Response:
    service_request_id, fmt = _split(name)
    return answer("service_requests", service.one_request(service_request_id, _reader(_params(request))), fmt)


@_endpoint
def token(request: Request, name: str) -> Response:
    value, fmt = _split(name)
    return answer("service_requests", service.token(value, _reader(_params(request))), fmt)


def chalice_error(request: Request, status: int) -> Response:
    """Chalice's own refusal of an Open311 request (415 not a form, 405 method) in Open311's format."""
    name = next(iter((request.uri_params or {}).values()), "")
    message = "请以 application/x-www-form-urlencoded 提交" if status == 415 else "不支持该请求"
    return error_answer(status, message, {}, _format_of(name))
