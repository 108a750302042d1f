"""The filters of the lists a use case reads: the queue, the export, the statistics, the case library."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import ConfigDict, Field, StringConstraints

from chalicelib.commands.base import Body, Code


class PageQuery(Body):
    """A page of a list, newest first: ``cursor`` is the previous page's answer."""

    cursor: Annotated[str, StringConstraints(max_length=400)] | None = None
    limit: int = Field(default=20, ge=1, le=50)


class ImportResultsQuery(Body):
    """GET /api/v1/staff/imports/{import_id}: a page of the rows' results, in row order."""

    cursor: Annotated[str, StringConstraints(max_length=100)] | None = None
    limit: int = Field(default=500, ge=1, le=1000)


class CasesQuery(PageQuery):
    """GET /api/v1/cases: the public case library, newest first, optionally by keyword."""

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None


class StaffListQuery(Body):
    state: Code | None = None
    unit: Code | None = None
    category: Code | None = None
    area: Code | None = None
    type: Code | None = None
    level: Literal["normal", "warning", "yellow", "red"] | None = None  # ?level=red: the leaders' 督办 list
    # ?verified=true: the 实名 requests, which the command centre takes first (实名优先).
    verified: bool | None = None
    # ?assignee=me: the caller's own orders (承办人); ?assignee=<id>: a person's, by account id.
    assignee: Code | None = None
    # ?priority=true: the orders the command centre made 重点办 (the priority action); false: the others.
    priority: bool | None = None
    # Whose part: the orders the unit handles (main, the default), those it co-handles (co, 协办), or both.
    involvement: Literal["main", "co", "all"] = "main"
    created_from: dt.date | None = Field(default=None, alias="from")
    created_to: dt.date | None = Field(default=None, alias="to")
    # urgency: the command centre's working order — level (red, yellow, warning, normal), then 重点办,
    # then the nearest due time, then the newest; newest: by creation time alone. A cursor pages the
    # order it was made in.
    sort: Literal["urgency", "newest"] = "urgency"
    cursor: Annotated[str, StringConstraints(max_length=400)] | None = None
    limit: int = Field(default=20, ge=1, le=100)

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


# The most orders one CSV export holds (a Lambda answer must stay under 6 MB).
EXPORT_MAX_ROWS = 5000


class ExportQuery(StaffListQuery):
    """GET /api/v1/staff/export: the queue's filters; every order they select, up to ``limit``."""

    limit: int = Field(default=EXPORT_MAX_ROWS, ge=1, le=EXPORT_MAX_ROWS)


class StatsQuery(Body):
    """GET /api/v1/staff/stats: a period of days, both included (default: the last 30 days)."""

    created_from: dt.date | None = Field(default=None, alias="from")
    created_to: dt.date | None = Field(default=None, alias="to")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class WorkloadQuery(Body):
    """GET /api/v1/staff/workload: the open orders per person of a unit and the units below it."""

    unit: Code
