"""Batch import (dispatcher, admin): POST a CSV of hotline records or letters, then follow its progress."""
from __future__ import annotations

from chalice.app import Request, Response

from chalicelib.api.http import ApiError, endpoint, query, respond
from chalicelib.commands.queries import ImportResultsQuery
from chalicelib.services import imports, runtime


@endpoint
def start(request: Request) -> Response:
    who = runtime.staff_actor(request.headers.get("authorization"))
    raw = request.raw_body
    if not raw:
        raise ApiError(400, "empty_body", "请求体不能为空")
    return respond(imports.start(who, raw), 202)


@endpoint
def progress(request: Request, import_id: str) -> Response:
    who = runtime.staff_actor(request.headers.get("authorization"))
    page = query(request, ImportResultsQuery)
    return respond(imports.progress(who, import_id, page.cursor, page.limit))
