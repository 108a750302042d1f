"""A page of results and the cursor that resumes after it (opaque to clients, checked when read)."""
from __future__ import annotations

import base64
import datetime as dt
import re
from dataclasses import dataclass

from pynamodb.attributes import UTCDateTimeAttribute

from chalicelib.domain.errors import InvalidInput


@dataclass(frozen=True)
class Page:
    items: list  # the domain's records of what was read
    cursor: str | None


def page_of(results, limit: int, cursor_of, read=lambda item: item) -> Page:
    """Up to ``limit`` of ``results`` (a Query asked for ``limit`` + 1), each as ``read`` makes it, and a
    cursor if there are more: ``cursor_of(last item)`` is the sort key to resume below."""
    items = list(results)
    more = len(items) > limit
    items = items[:limit]
    return Page([read(item) for item in items], encode_cursor(cursor_of(items[-1])) if more else None)


CASE_KEY = UTCDateTimeAttribute()


def decode_case_cursor(cursor: str) -> dt.datetime:
    try:
        return CASE_KEY.deserialize(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None


def encode_cursor(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode()


def _bad_cursor() -> InvalidInput:
    return InvalidInput("分页游标无效", {"cursor": "无效"})


def decode_cursor(cursor: str, shape: re.Pattern | None = None) -> str:
    """The sort key a cursor resumes after; with ``shape``, only a key of that shape (a cursor of one
    order of a list is refused by another: it would resume at a meaningless place)."""
    try:
        key = base64.urlsafe_b64decode(cursor.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise _bad_cursor() from None
    if "#" not in key or (shape and not shape.match(key)):
        raise _bad_cursor()
    return key
