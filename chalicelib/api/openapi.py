"""GET /api/v1/openapi.json: the OpenAPI 3.1 document, made from the operations list.

Made on the first request for it (a container that never serves it never builds it)
and kept. Every schema in it comes from pydantic: the request bodies and query strings
from the models the handlers validate with (validation mode), the answers from
chalicelib/answers.py (serialization mode), all named under components/schemas. OpenAPI
3.1's schema dialect is JSON Schema 2020-12, which is what pydantic writes.
"""
from __future__ import annotations

from functools import lru_cache
from typing import Any

from chalice.app import Request, Response
from pydantic import BaseModel, TypeAdapter

from chalicelib.api.http import endpoint, json_response
from chalicelib.api.operations import OPERATIONS, PATH_PARAMETERS, READERS, Operation
from chalicelib.answers import Error
from chalicelib.api.schemas import IDEMPOTENCY_KEY

REF_TEMPLATE = "#/components/schemas/{model}"
JSON = "application/json"

_STATUS_TEXT = {
    200: "OK",
    201: "Created",
    202: "Accepted: the work is queued",
    400: "The body is empty or not JSON (empty_body, malformed_json)",
    401: "No valid bearer token (unauthenticated, token_invalid, token_expired)",
    403: "The caller's role may not do this (forbidden, forbidden_role)",
    404: "Not found, or not visible to the caller (not_found)",
    409: "Conflict (conflict)",
    415: "The body is not sent as application/json (unsupported_media_type)",
    422: "Invalid input: the bad fields are named (validation_failed)",
    429: "Too many requests (rate_limited): see Retry-After",
    500: "An unexpected failure (internal): nothing was written; retry later",
    503: "AWS or a provider is throttling or out of reach (service_unavailable, sms_unavailable): see Retry-After",
}

_SECURITY_SCHEMES = {
    "staff": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "A staff ID token (RS256) from the city's identity provider (Amazon Cognito, or the local "
            "issuer): exactly one role in its groups claim (dispatcher, handler, leader, admin), a "
            "handler's unit in custom:unit. An operation lists the roles that may call it."
        ),
    },
    "resident": {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": (
            "A resident token (HS256, 30 minutes) from POST /api/v1/otp/verify: the verified phone's own requests"
        ),
    },
    "partnerApiKey": {
        "type": "apiKey",
        "in": "header",
        "name": "X-Api-Key",
        "description": "A partner channel's API key (<channel>.<key id>.<secret>), issued by an administrator",
    },
}


def _models(operations: tuple[Operation, ...]) -> list[tuple[Any, str, TypeAdapter]]:
    """Each body and answer model once, with the mode its schema is made in."""
    models = [(Error, "serialization")]
    for op in operations:
        models += [(model, "validation") for model in op.body]
        models += [(model, "serialization") for model in op.answers.values()]
    return [
        (model, mode, model if isinstance(model, TypeAdapter) else TypeAdapter(model))
        for model, mode in dict.fromkeys(models)
    ]


def _parameter_schema(schema: dict) -> dict:
    """A query parameter's schema: a missing parameter is the model's None, never a null value."""
    schema = {k: v for k, v in schema.items() if k != "title" and not (k == "default" and v is None)}
    branches = [b for b in schema.pop("anyOf", []) if b != {"type": "null"}]
    if len(branches) == 1:
        schema = branches[0] | schema
    elif branches:
        schema["anyOf"] = branches
    return schema


def _query_parameters(model: type[BaseModel]) -> list[dict]:
    schema = model.model_json_schema(mode="validation", ref_template=REF_TEMPLATE)
    if "$defs" in schema:  # a query string holds flat values: a nested model is a mistake
        raise ValueError(f"{model.__name__}: a query model's fields must be plain values")
    required = set(schema.get("required", ()))
    parameters = []
    for name, field in schema["properties"].items():
        parameter = {"name": name, "in": "query", "required": name in required, "schema": _parameter_schema(field)}
        if "description" in field:
            parameter["description"] = parameter["schema"].pop("description")
        parameters.append(parameter)
    return parameters


_STRING = {"type": "string"}


def _path_parameters(op: Operation) -> list[dict]:
    return [
        {"name": name, "in": "path", "required": True, "description": PATH_PARAMETERS[name], "schema": _STRING}
        for name in op.path_parameters
    ]


def _header_parameters(op: Operation) -> list[dict]:
    if not op.idempotency_key:
        return []
    return [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Makes a retry safe: the same key and body answer the first answer (a UUID is a good key)",
            "schema": IDEMPOTENCY_KEY.json_schema(mode="validation"),
        }
    ]


def _json(schema: dict) -> dict:
    return {JSON: {"schema": schema}}


def _responses(op: Operation, schema_of) -> dict:
    responses = {}
    for status, model in sorted(op.answers.items()):
        if op.media_type == JSON:
            content = _json(schema_of(model, "serialization"))
        else:  # text (CSV): what the model's description says
            content = {op.media_type: {"schema": {"type": "string", "description": model.__doc__.strip()}}}
        responses[str(status)] = {"description": op.notes.get(status, _STATUS_TEXT[status]), "content": content}
    error = schema_of(Error, "serialization")
    for status in op.error_statuses:
        responses[str(status)] = {"description": op.notes.get(status, _STATUS_TEXT[status]), "content": _json(error)}
        if status in (409, 429, 503):  # a 409 has it when trying again can succeed (a request in progress)
            responses[str(status)]["headers"] = {
                "Retry-After": {"description": "Seconds to wait", "schema": {"type": "integer", "minimum": 1}}
            }
    return responses


def _security(op: Operation) -> list[dict] | None:
    if op.roles:
        return [{"staff": [role.value for role in op.roles]}]
    if op.resident:
        return [{"resident": []}]
    if op.partner_key:
        return [{}, {"partnerApiKey": []}]  # a resident's submission needs nothing
    if op.staff_optional:
        return [{}, {"staff": [role.value for role in READERS]}]
    return None


def _operation(op: Operation, schema_of) -> dict:
    operation: dict[str, Any] = {"operationId": op.view, "tags": [op.tag], "summary": op.summary}
    if op.description:
        operation["description"] = op.description
    parameters = _path_parameters(op) + (_query_parameters(op.query) if op.query else []) + _header_parameters(op)
    if parameters:
        operation["parameters"] = parameters
    if op.body:
        bodies = [schema_of(model, "validation") for model in op.body]
        body = bodies[0] if len(bodies) == 1 else {"anyOf": bodies}
        operation["requestBody"] = {"required": True, "content": _json(body)}
    elif op.csv_body:
        schema = {"type": "string", "description": op.csv_body}
        operation["requestBody"] = {"required": True, "content": {"text/csv": {"schema": schema}}}
    operation["responses"] = _responses(op, schema_of)
    security = _security(op)
    if security is not None:
        operation["security"] = security
    return operation


def build(operations: tuple[Operation, ...] = OPERATIONS) -> dict:
    models = _models(operations)
    by_key, definitions = TypeAdapter.json_schemas(models, ref_template=REF_TEMPLATE)

    def schema_of(model, mode: str) -> dict:
        return by_key[(model, mode)]

    paths: dict[str, dict] = {}
    for op in operations:
        paths.setdefault(op.path, {})[op.method.lower()] = _operation(op, schema_of)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Suqiu 诉求",
            "version": "1",
            "description": (
                "Residents' requests to their city: submission, tracking, rating, the case library; the staff's "
                "queue and actions; partner channels' API keys. Every error answers "
                '{"error": {"code", "message", "fields"}}. Times are ISO 8601 in the city\'s time zone. '
                "An empty query parameter (?unit=) is the same as a missing one. "
                "Open311 GeoReport v2 (/open311/v2, form-encoded, JSON or XML) is described by its own "
                "specification and is not in this document."
            ),
        },
        "tags": [{"name": name} for name in dict.fromkeys(op.tag for op in operations)],
        "paths": paths,
        "components": {"schemas": definitions.get("$defs", {}), "securitySchemes": _SECURITY_SCHEMES},
    }


@lru_cache(maxsize=1)
def document() -> dict:
    return build()


@endpoint
def serve(request: Request) -> Response:
    # Deployed, the API lives under its stage's path (/api): the document says so.
    stage = (request.context or {}).get("stage")
    response = json_response({**document(), "servers": [{"url": f"/{stage}" if stage else "/"}]}, 200)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response
