"""HTTP plumbing: body and query parsing, the one error format, the middleware.

Every error answer has the body ``{"error": {"code", "message", "fields"}}`` (but
under /open311, whose clients expect the specification's, see api/open311.py):
``code`` for programs, ``message`` in Chinese for people, ``fields`` naming
each bad field. Handlers raise; ``endpoint`` turns what they raise into that
answer. Chalice's own answers (415, 405, 500) are rewritten by ``middleware``.

The domain's errors say what went wrong (a ``Kind``), not how HTTP says it: ``STATUS``
is the one map from kinds to status codes. AWS refusing a call for the moment reaches
here already as the domain's ``Unavailable`` (storage/errors.py, adapters/aws.py).

A path prefix whose clients expect another error format (Open311's) registers its
renderer in ``RENDERERS`` (api/open311.py does, on import): this module imports none.
"""
from __future__ import annotations

import functools
import json
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from chalice.app import Request, Response

from chalicelib.adapters.identity import AuthError
from chalicelib.domain.errors import DomainError, Kind
from chalicelib.observability import logger

if TYPE_CHECKING:
    from pydantic import BaseModel, TypeAdapter, ValidationError

JSON_HEADERS = {"Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store"}


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.status, self.code, self.message, self.fields = status, code, message, fields or {}


def respond(answer: BaseModel, status: int = 200) -> Response:
    """``answer``: an answer's model (chalicelib/answers.py), written in the order its fields are declared."""
    return json_response(dump(answer), status)


def dump(answer: BaseModel) -> dict:
    """An answer's model as its JSON (timestamps as the views wrote them). A dict is refused: an answer's
    shape is its model's, written once (the API tests check each answer is the model its operation names)."""
    from pydantic import BaseModel

    if not isinstance(answer, BaseModel):
        raise TypeError(f"an answer is one of chalicelib/answers.py's models, not {type(answer).__name__}")
    return answer.model_dump(mode="json")


def json_response(body: dict, status: int) -> Response:
    """JSON that is no answer's model: the error format, the OpenAPI document."""
    return Response(body=json.dumps(body, ensure_ascii=False), status_code=status, headers=dict(JSON_HEADERS))


def error_response(status: int, code: str, message: str, fields: dict | None = None, headers=None) -> Response:
    body = {"error": {"code": code, "message": message, "fields": fields or {}}}
    response = json_response(body, status)
    response.headers.update(headers or {})
    return response


@dataclass(frozen=True)
class Refusal:
    """An error answer's parts, whatever format it is written in (ours, or Open311's)."""

    status: int
    code: str
    message: str
    fields: dict = field(default_factory=dict)
    headers: dict = field(default_factory=dict)


# What each kind of domain error answers: the one place a kind meets an HTTP status.
STATUS: dict[Kind, int] = {
    Kind.BAD_REQUEST: 400,
    Kind.UNAUTHENTICATED: 401,
    Kind.FORBIDDEN: 403,
    Kind.NOT_FOUND: 404,
    Kind.CONFLICT: 409,
    Kind.INVALID: 422,
    Kind.RATE_LIMITED: 429,
    Kind.UNAVAILABLE: 503,
}

INTERNAL = Refusal(500, "internal", "服务暂时不可用，请稍后重试")


def refusal_of(exc: Exception) -> Refusal | None:
    """What ``exc`` answers; None for a failure nobody foresaw (a logged 500)."""
    if isinstance(exc, ApiError):
        return Refusal(exc.status, exc.code, exc.message, exc.fields)
    if isinstance(exc, DomainError):
        headers = {"Retry-After": str(exc.retry_after)} if exc.retry_after else {}
        return Refusal(STATUS[exc.kind], exc.code, exc.message, exc.fields, headers)
    if isinstance(exc, AuthError):
        headers = {"WWW-Authenticate": "Bearer"} if exc.status == 401 else {}
        return Refusal(exc.status, exc.code, exc.message, headers=headers)
    return None


def answering(render: Callable[..., Response]) -> Callable[[Callable[..., Response]], Callable[..., Response]]:
    """A decorator: what the handler raises becomes ``render(refusal, *the handler's arguments)``;
    anything unexpected is a logged 500."""

    def decorate(handler: Callable[..., Response]) -> Callable[..., Response]:
        @functools.wraps(handler)
        def wrapper(*args, **kwargs) -> Response:
            try:
                return handler(*args, **kwargs)
            except Exception as exc:  # noqa: BLE001 - every failure must become one answer format
                refused = refusal_of(exc)
                if refused is None:
                    logger.exception("unhandled error in %s", handler.__name__)
                    refused = INTERNAL
                return render(refused, *args, **kwargs)

        return wrapper

    return decorate


def _in_our_format(refused: Refusal, *_args, **_kwargs) -> Response:
    return error_response(refused.status, refused.code, refused.message, refused.fields, refused.headers)


# Map what a handler raises to an answer in the one error format.
endpoint = answering(_in_our_format)


# ---- input -------------------------------------------------------------------

_MESSAGES = {
    "missing": "必填",
    "string_too_short": "太短",
    "string_too_long": "太长",
    "string_pattern_mismatch": "格式不正确",
    "too_long": "数量太多",
    "greater_than": "数值太小",
    "greater_than_equal": "数值太小",
    "less_than_equal": "数值太大",
    "extra_forbidden": "不认识的字段",
    "literal_error": "取值不在允许范围内",
    "union_tag_invalid": "未知的操作",
    "union_tag_not_found": "缺少操作类型",
    "finite_number": "须为有限数值",
    "int_type": "须为整数",
    "float_type": "须为数值",
    "bool_type": "须为 true 或 false",
    "string_type": "须为文本",
    "list_type": "须为列表",
    "dict_type": "须为对象",
    "model_type": "须为对象",
    "model_attributes_type": "须为对象",
    "date_from_datetime_parsing": "日期格式应为 YYYY-MM-DD",
    "date_parsing": "日期格式应为 YYYY-MM-DD",
    "int_parsing": "须为整数",
}


def _fields(exc: ValidationError, tagged: bool) -> dict[str, str]:
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        loc = [str(part) for part in err["loc"]]
        if err["type"] in ("union_tag_invalid", "union_tag_not_found"):
            loc = ["action"]
        elif tagged:
            loc = loc[1:]  # a tagged union puts the tag first: "reason", not "reject.reason"
        if err["type"] == "value_error":  # our own validators speak Chinese already
            message = err["msg"].removeprefix("Value error, ")
        else:
            message = _MESSAGES.get(err["type"], "格式不正确")
        fields.setdefault(".".join(loc) or "body", message)
    return fields


def validate(model: type[BaseModel] | TypeAdapter, data: Any):
    # pydantic is imported here, not at the top: the middleware in this module loads on
    # every cold start, the request models only with the routes that use them.
    from pydantic import TypeAdapter, ValidationError

    try:
        if isinstance(model, TypeAdapter):
            return model.validate_python(data)
        return model.model_validate(data)
    except ValidationError as exc:
        fields = _fields(exc, tagged=isinstance(model, TypeAdapter))
        raise ApiError(422, "validation_failed", "输入有误，请检查标出的字段", fields) from None


def json_body(request: Request, model: type[BaseModel] | TypeAdapter):
    try:
        raw = request.raw_body
        if not raw:
            raise ApiError(400, "empty_body", "请求体不能为空")
        data = json.loads(raw)
    except (ValueError, RecursionError):  # RecursionError: nesting deeper than the parser's stack
        raise ApiError(400, "malformed_json", "请求体不是有效的 JSON") from None
    if not isinstance(data, dict):
        raise ApiError(422, "validation_failed", "请求体须为 JSON 对象", {"body": "须为 JSON 对象"})
    return validate(model, data)


# Lone surrogates: what a query string's undecodable bytes become.
_NOT_TEXT = re.compile("[\ud800-\udfff]")


def query(request: Request, model: type[BaseModel]):
    # An empty parameter means the same as a missing one (?state=&unit=lsq). Bytes that are
    # not UTF-8 read as U+FFFD, as any decoder shows them: a query code that is not text
    # is a wrong code (404, like any other), not a different answer.
    params = {k: _NOT_TEXT.sub("\ufffd", v) for k, v in (request.query_params or {}).items() if v != ""}
    return validate(model, params)


def source_ip(request: Request) -> str | None:
    """The caller's address as API Gateway saw it (``requestContext.identity.sourceIp``), for the
    rate limits: never a header such as X-Forwarded-For, which the caller writes."""
    return ((request.context or {}).get("identity") or {}).get("sourceIp")


# ---- middleware --------------------------------------------------------------

_CHALICE_CODES = {
    "UnsupportedMediaType": ("unsupported_media_type", "请以 application/json 提交"),
    "MethodNotAllowedError": ("method_not_allowed", "不支持该请求方法"),
    "BadRequestError": ("bad_request", "请求有误"),
    "NotFoundError": ("not_found", "未找到"),
    "InternalServerError": ("internal", "服务暂时不可用，请稍后重试"),
}


# Chalice's own refusal (415, 405…) of a request under a path prefix, in that prefix's format:
# ``render(request, status)``. Registered by the module that serves the prefix.
RENDERERS: dict[str, Callable[[Request, int], Response]] = {}


def _renderer(path: str) -> Callable[[Request, int], Response] | None:
    return next((render for prefix, render in RENDERERS.items() if path.startswith(prefix)), None)


def middleware(event: Request, get_response: Callable[[Request], Response]) -> Response:
    """One access-log line per request, and Chalice's own errors in our format."""
    started = time.perf_counter()
    response = get_response(event)
    body = response.body
    if isinstance(body, dict) and set(body) == {"Code", "Message"}:
        code, message = _CHALICE_CODES.get(body["Code"], ("error", "请求有误"))
        render = _renderer(event.path or "")
        if render is not None:
            rewritten = render(event, response.status_code)
        else:
            rewritten = error_response(response.status_code, code, message)
        rewritten.headers.update({k: v for k, v in response.headers.items() if k.lower() == "allow"})
        response = rewritten
    logger.info(
        "request",
        method=event.method,
        route=event.context.get("resourcePath"),
        status=response.status_code,
        ms=round((time.perf_counter() - started) * 1000, 1),
    )
    return response
