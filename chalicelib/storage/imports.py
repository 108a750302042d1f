"""The imports table: one batch import of hotline records and letters, and each of its rows' results.

Keyed (import_id, row): row 0 is the import itself (who made it, how many rows, the counts so
far), row n ≥ 1 the result of the file's n-th data row. A row's result is put on condition that
it is not there yet, in one transaction with the ADD to its import's counts: a queue message
delivered twice (SQS delivers at least once; a failed batch is retried whole) counts each row
once. The results are read in row order, a page at a time. Items expire (TTL) after
``IMPORT_TTL``, as the file does (the media bucket's imports/ rule).
"""
from __future__ import annotations

import datetime as dt

from pynamodb.attributes import JSONAttribute, NumberAttribute, TTLAttribute, UnicodeAttribute, UTCDateTimeAttribute
from pynamodb.exceptions import TransactWriteError
from pynamodb.models import Model
from pynamodb.transactions import TransactWrite

from chalicelib.domain.errors import InvalidInput, Unavailable
from chalicelib.domain.imports import Progress, RowResult
from chalicelib.storage.models import connection, table_meta
from chalicelib.storage.pages import decode_cursor, encode_cursor
from chalicelib.storage.retries import TimingConflict, retry_conflicts

IMPORT_TTL = dt.timedelta(days=30)
_SUMMARY = 0
# Slices of one import run side by side and all add to its row 0 (storage/retries.py).
_CONFLICT_PAUSES = (0.02, 0.05, 0.1, 0.2)


class ImportModel(Model):
    Meta = table_meta("imports")

    import_id = UnicodeAttribute(hash_key=True)
    row = NumberAttribute(range_key=True)
    expires_at = TTLAttribute()
    # the import (row 0)
    total = NumberAttribute(null=True)
    created = NumberAttribute(null=True)  # the counts: added to with ADD (a missing one reads as 0)
    existing = NumberAttribute(null=True)
    refused = NumberAttribute(null=True)
    staff_id = UnicodeAttribute(null=True)
    role = UnicodeAttribute(null=True)
    unit = UnicodeAttribute(null=True)
    created_at = UTCDateTimeAttribute(null=True)
    # a row's result
    status = UnicodeAttribute(null=True)
    tracking_no = UnicodeAttribute(null=True)
    errors = JSONAttribute(null=True)


def create_import(progress: Progress) -> None:
    ImportModel(
        progress.import_id,
        _SUMMARY,
        expires_at=progress.created_at + IMPORT_TTL,
        total=progress.total,
        staff_id=progress.staff_id,
        role=progress.role,
        unit=progress.unit,
        created_at=progress.created_at,
    ).save(condition=ImportModel.import_id.does_not_exist())


def get_import(import_id: str) -> Progress | None:
    try:
        item = ImportModel.get(import_id, _SUMMARY, consistent_read=True)
    except ImportModel.DoesNotExist:
        return None
    return Progress(
        import_id=item.import_id,
        total=int(item.total or 0),
        created=int(item.created or 0),
        existing=int(item.existing or 0),
        refused=int(item.refused or 0),
        staff_id=item.staff_id or "",
        role=item.role or "",
        unit=item.unit,
        created_at=item.created_at,
    )


def rows_done(import_id: str, rows: range) -> set[int]:
    """Which of ``rows`` have their result already (consistent BatchGetItems, keys only)."""
    keys = [(import_id, n) for n in rows]
    items = ImportModel.batch_get(keys, consistent_read=True, attributes_to_get=["import_id", "row"])
    return {int(item.row) for item in items}


def record_row(import_id: str, result: RowResult, started_at: dt.datetime) -> bool:
    """Put the row's result and count it, once: False if it was there already (nothing written). It
    expires with its import (started at ``started_at``)."""
    item = ImportModel(
        import_id,
        result.row,
        expires_at=started_at + IMPORT_TTL,
        status=result.status,
        tracking_no=result.tracking_no,
        errors=result.errors,
    )
    counter = getattr(ImportModel, result.status)

    def attempt() -> bool:
        try:
            with TransactWrite(connection=connection()) as transaction:
                transaction.save(item, condition=ImportModel.row.does_not_exist())
                transaction.update(ImportModel(import_id, _SUMMARY), actions=[counter.add(1)])
        except TransactWriteError as exc:
            reasons = [r.code if r is not None else None for r in exc.cancellation_reasons or ()]
            if reasons and reasons[0] == "ConditionalCheckFailed":
                return False
            if set(reasons) - {None} == {"TransactionConflict"}:  # another slice counting at the same moment
                raise TimingConflict() from None
            raise
        return True

    try:
        return retry_conflicts(attempt, _CONFLICT_PAUSES)
    except TimingConflict:
        raise Unavailable("导入进度未能保存，稍后重试") from None


def results(import_id: str, cursor: str | None, limit: int) -> tuple[list[RowResult], str | None]:
    """Up to ``limit`` results in row order, after ``cursor`` (the previous page's); a cursor if there are more."""
    after = _SUMMARY if cursor is None else _row_of(cursor)
    items = list(ImportModel.query(import_id, ImportModel.row > after, consistent_read=True, limit=limit + 1))
    page = [RowResult(int(i.row), i.status, i.tracking_no, i.errors) for i in items[:limit]]
    return page, encode_cursor(f"row#{page[-1].row}") if len(items) > limit else None


def _row_of(cursor: str) -> int:
    kind, _, row = decode_cursor(cursor).partition("#")
    if kind != "row" or not row.isdigit():
        raise InvalidInput("分页游标无效", {"cursor": "无效"})
    return int(row)
