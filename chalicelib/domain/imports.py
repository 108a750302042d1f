"""Batch import of hotline records and letters (CSV): the file's text, its header, each row's fields.

Pure: bytes in, a submission's fields and their problems out; services/imports.py stores the
file, queues its slices and puts each row through intake.

The file is what Excel saves in China: UTF-8 (with or without its BOM) or GB18030 (GBK's
superset). UTF-8 is tried first: GB18030 decodes almost any bytes, UTF-8 very few that are not
UTF-8, so the other order would read a UTF-8 file as mojibake. A header problem or too many rows
refuses the whole file (nothing is stored); a row's own problems refuse that row only.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass, field

from chalicelib.domain.errors import InvalidInput

MAX_ROWS = 5_000
# About 800 bytes a row at most (a 2,000-character description is 6 kB, rarely sent): well under
# Lambda's 6 MB request payload, which the body reaches as text.
MAX_BYTES = 4 * 1024 * 1024
COLUMNS = (
    "external_id", "received_at", "channel", "type", "category", "description", "address",
    "lat", "lng", "coord_system", "area", "caller_name", "caller_phone",
)
REQUIRED_COLUMNS = ("external_id",)
EXTERNAL_ID_MAX = 128  # as a partner's (commands/bodies.py PartnerSubmitRequest)

# A submission's field (as SubmitRequest and intake name it) → the column that holds it, so a
# refused row names what to correct in the file.
COLUMN_OF = {
    "location.lat": "lat",
    "location.lng": "lng",
    "location.coord_system": "coord_system",
    "location.address": "address",
    "location": "lat",  # outside the city's boundary: the point
    "contact.name": "caller_name",
    "contact.phone": "caller_phone",
    "contact": "caller_phone",
}

_FILE = "file"
_BOM = "\ufeff"


def decode(raw: bytes) -> str:
    """The file's text: UTF-8 (its BOM dropped), else GB18030; 422 if neither, empty, or too big."""
    if len(raw) > MAX_BYTES:
        raise InvalidInput(f"文件不能超过 {MAX_BYTES // (1024 * 1024)} MB", {_FILE: "文件太大，请分批导入"})
    for encoding in ("utf-8", "gb18030"):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        return text.removeprefix(_BOM)
    raise InvalidInput("无法识别文件编码，请另存为 UTF-8 或 GB18030 的 CSV 文件", {_FILE: "编码无法识别"})


@dataclass(frozen=True)
class Row:
    number: int  # 1 for the first row under the header
    cells: dict[str, str]  # column → its text, stripped; empty cells left out
    problems: dict[str, str] = field(default_factory=dict)  # what the file's shape did to the row


def rows(text: str) -> list[Row]:
    """The file's data rows (blank lines skipped); 422 for a header problem or more than MAX_ROWS."""
    try:
        lines = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:  # a NUL byte, a field past the csv module's size limit
        raise InvalidInput("文件不是有效的 CSV", {_FILE: "格式不正确"}) from None
    lines = [line for line in lines if any(cell.strip() for cell in line)]
    if not lines:
        raise InvalidInput("文件为空", {_FILE: "没有表头和数据"})
    header = [cell.strip().lower() for cell in lines[0]]
    _check_header(header)
    data = lines[1:]
    if not data:
        raise InvalidInput("文件只有表头，没有数据行", {_FILE: "没有数据行"})
    if len(data) > MAX_ROWS:
        raise InvalidInput(
            f"一次最多导入 {MAX_ROWS} 行，本文件有 {len(data)} 行，请分批导入", {_FILE: f"最多 {MAX_ROWS} 行"}
        )
    return [_row(n, header, line) for n, line in enumerate(data, start=1)]


def _check_header(header: list[str]) -> None:
    problems = {}
    unknown = [name for name in header if name and name not in COLUMNS]
    if unknown:
        problems["header"] = f"不认识的列：{'、'.join(unknown)}（可用的列：{', '.join(COLUMNS)}）"
    repeated = sorted({name for name in header if name and header.count(name) > 1})
    if repeated:
        problems["header"] = f"列重复：{'、'.join(repeated)}"
    for name in REQUIRED_COLUMNS:
        if name not in header:
            problems[name] = "缺少此列"
    if problems:
        raise InvalidInput("表头有误，请检查列名", problems)


def _row(number: int, header: list[str], line: list[str]) -> Row:
    problems = {}
    if len(line) > len(header) and any(cell.strip() for cell in line[len(header):]):
        problems["row"] = f"比表头多 {len(line) - len(header)} 列"
    cells = {name: cell.strip() for name, cell in zip(header, line) if name and cell.strip()}
    return Row(number, cells, problems)


@dataclass(frozen=True)
class Parsed:
    """A row read as a submission: ``request`` in SubmitRequest's shape (with its external_id)."""

    row: int
    external_id: str | None
    channel: str | None
    received_at: dt.datetime | None
    request: dict
    problems: dict[str, str]


def parse(row: Row, staff_channels: dict[str, str]) -> Parsed:
    """The row's submission and what is wrong with it, column by column (empty: nothing)."""
    cells, problems = row.cells, dict(row.problems)
    external_id = cells.get("external_id")
    if external_id is None:
        problems["external_id"] = "必填"
    elif len(external_id) > EXTERNAL_ID_MAX:
        problems["external_id"] = "太长"
    channel = _channel(cells.get("channel"), staff_channels)
    if channel is None:
        labels = "、".join(staff_channels.values())
        problems["channel"] = f"须为{labels}之一" if staff_channels else "本市未开放人工录入渠道"
    received_at = _time(cells.get("received_at"))
    if "received_at" in cells and received_at is None:
        problems["received_at"] = "时间格式应为 YYYY-MM-DD HH:MM"
    location: dict = {}
    for name in ("lat", "lng"):
        value = _number(cells.get(name))
        if value is None:
            problems[name] = "必填" if name not in cells else "须为数值"
        else:
            location[name] = value
    for name in ("coord_system", "address"):
        if name in cells:
            location[name] = cells[name].lower() if name == "coord_system" else cells[name]
    request = {name: cells[name] for name in ("type", "category", "description", "area") if name in cells}
    for name in ("type", "category", "description"):
        if name not in cells:
            problems[name] = "必填"
    request["location"] = location
    request["external_id"] = external_id
    if "caller_phone" in cells:
        request["contact"] = {"name": cells.get("caller_name", ""), "phone": cells["caller_phone"]}
        if "caller_name" not in cells:
            problems["caller_name"] = "填写了来电电话时必填"
    else:
        request["anonymous"] = True  # no phone: nobody to text or to call back
    return Parsed(row.number, external_id, channel, received_at, request, problems)


def _channel(given: str | None, staff_channels: dict[str, str]) -> str | None:
    """A staff channel by its code or its label (电话, 来信: what a person types in Excel)."""
    if given is None:
        return None
    if given.lower() in staff_channels:
        return given.lower()
    return next((code for code, label in staff_channels.items() if label == given), None)


def _number(text: str | None) -> float | None:
    try:
        value = float(text) if text is not None else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _time(text: str | None) -> dt.datetime | None:
    """ISO 8601 (a space for the T), a date alone being its midnight; None if it is not one."""
    if text is None:
        return None
    try:
        return dt.datetime.fromisoformat(text.replace("/", "-"))
    except ValueError:
        return None


def columns_of(fields: dict[str, str]) -> dict[str, str]:
    """A submission's field → message map (a 422's ``fields``), keyed by the file's columns instead."""
    named: dict[str, str] = {}
    for name, message in fields.items():
        named.setdefault(COLUMN_OF.get(name, name), message)
    return named


CREATED, EXISTING, REFUSED = "created", "existing", "refused"


@dataclass(frozen=True)
class RowResult:
    row: int
    status: str  # CREATED, EXISTING or REFUSED
    tracking_no: str | None = None
    errors: dict[str, str] | None = None  # a refused row's: column → message


@dataclass(frozen=True)
class Progress:
    """An import as stored: who made it, and its rows' counts (each row counted once)."""

    import_id: str
    total: int
    created: int
    existing: int
    refused: int
    staff_id: str
    role: str
    unit: str | None
    created_at: dt.datetime

    @property
    def done(self) -> int:
        return self.created + self.existing + self.refused

    @property
    def state(self) -> str:
        """queued: no row done yet; running: some; done: every one."""
        return "done" if self.done >= self.total else "running" if self.done else "queued"
