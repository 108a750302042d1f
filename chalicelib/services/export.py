"""The queue as a spreadsheet: the orders a filter selects, as CSV that Excel opens as is.

The same filters and the same visibility as the queue (a handler exports only its own
units' orders), read by the same index queries in the same order (the working order by default,
``sort=newest`` by creation time), at most ``EXPORT_MAX_ROWS`` a file (the answer's ``X-Next-Cursor`` resumes after them). UTF-8 with a byte order mark, which Excel needs to read Chinese
text right. A cell that begins like a formula (= + - @) is prefixed with an apostrophe,
so a description cannot run as one when the file is opened (CSV injection).
"""
from __future__ import annotations

import csv
import io

from chalicelib import storage
from chalicelib.commands.queries import ExportQuery
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.lifecycle import STATE_LABELS, Actor, Role, State
from chalicelib.services import runtime, staff, views

BOM = "\ufeff"
COLUMNS = (
    "受理编号", "受理时间", "诉求类型", "问题分类", "所属区域", "状态", "承办单位", "办理时限", "督办等级",
    "重点办理", "实名", "办理轮次", "诉求内容",
)
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _cell(value) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def orders_csv(actor: Actor, query: ExportQuery) -> tuple[str, str | None]:
    """The CSV text, and the cursor of the orders that did not fit in it (None: all of them did)."""
    if actor.role is Role.OPERATOR:
        # The operator looks orders up one caller at a time; the city's orders in bulk are not its work.
        raise Forbidden("话务员不能导出工单")
    city = runtime.city()
    page = staff.queue_page(actor, query)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(COLUMNS)
    for item in page.items:
        shown = views.classification(item, city)
        writer.writerow([_cell(value) for value in (
            item.tracking_no,
            views.iso(item.created_at, city),
            shown["type"].name,
            shown["category"].name,
            shown["area"].name if shown["area"] else "",
            STATE_LABELS[State(item.state)],
            city.unit_by_code[item.unit].name if item.unit else "",
            views.iso(item.due_at, city),
            views.level_ref(item.level).label,
            "是" if item.priority else "否",
            "是" if item.verified else "否",
            int(item.round),
            item.description,
        )])
    return out.getvalue(), page.cursor
