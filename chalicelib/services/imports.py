"""Batch import of hotline records and letters (批量导入): a CSV file, worked through from a queue.

``start`` (dispatcher, admin) reads the file's header and counts its rows in the request
(domain/imports.py: a header problem or more than 5,000 rows is a 422, and nothing is stored),
keeps the file in S3 under ``imports/`` and puts one message per slice of ``SLICE`` rows on the
imports queue. S3, not DynamoDB chunks: a 5,000-row file is a few MB (DynamoDB's items stop at
400 KB), one PUT here and one GET per slice there, and the bucket's lifecycle rule deletes it.

``process_slice`` (the queue's function) puts each row of its slice through the residents' own
intake as a partner's submission is (services/channels.py ``submit``), with a ``Source`` for
the row's staff channel (the city's ``intake.staff_channels``): no SMS code, the caller's phone
vouched for (the operator spoke to the caller; the letter bears it), the row's ``external_id``
claimed per channel, so a re-import answers the order the first made (``existing``) and creates
nothing; the submit event names the importing staff member (its actor) and the channel (its note).
A refused row writes nothing but its result, with the 422's fields by column. Each result is
put once, with its count, in one transaction (storage/imports.py): a slice delivered again
skips the rows it finished and counts none twice.
"""
from __future__ import annotations

import json
import uuid
from typing import Any

from chalicelib import storage
from chalicelib.adapters import queue
from chalicelib.adapters.media import get_media_store
from chalicelib.answers import ImportAccepted, ImportProgress, ImportRowResult
from chalicelib.city import City
from chalicelib.domain import imports
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound, Unavailable
from chalicelib.domain.imports import CREATED, EXISTING, REFUSED, Progress, RowResult
from chalicelib.domain.lifecycle import Actor, Role
from chalicelib.domain.orders import ROLE_LABELS
from chalicelib.observability import count, logger
from chalicelib.services import intake, runtime, views

SLICE = 100  # rows per queue message: about 10 s of work in Lambda, well inside its timeout
IMPORTERS = (Role.DISPATCHER, Role.ADMIN)


def _importer_only(actor: Actor) -> None:
    if actor.role not in IMPORTERS:
        raise Forbidden("只有指挥中心派单员和管理员可以批量导入")


# ---- the request: the file checked, stored and queued ---------------------------------------

def start(actor: Actor, raw: bytes) -> ImportAccepted:
    _importer_only(actor)
    text = imports.decode(raw)
    total = len(imports.rows(text))
    import_id = uuid.uuid4().hex
    get_media_store().put_import(import_id, text)
    storage.create_import(
        Progress(import_id, total, 0, 0, 0, actor.id, actor.role.value, actor.unit, runtime.now())
    )
    slices = [
        json.dumps({"import_id": import_id, "start": s, "stop": min(s + SLICE, total)}) for s in range(0, total, SLICE)
    ]
    refused = queue.send(slices, spec=queue.IMPORTS)
    if refused:
        refused = queue.send([slices[n] for n in refused], spec=queue.IMPORTS)  # once more: SQS throttled a batch
    if refused:
        # The slices queued run; the import stays unfinished and expires. The file is sent again.
        logger.error("import not wholly queued", import_id=import_id, slices_refused=len(refused))
        raise Unavailable("导入任务未能排队，请稍后重新导入（已导入的行不会重复建单）")
    count("ImportStarted")
    logger.info("import started", import_id=import_id, rows=total, slices=len(slices))
    return ImportAccepted(import_id=import_id)


# ---- the progress ---------------------------------------------------------------------------

def progress(actor: Actor, import_id: str, cursor: str | None, limit: int) -> ImportProgress:
    _importer_only(actor)
    job = storage.get_import(import_id) if _looks_like_an_id(import_id) else None
    if job is None:
        raise NotFound("导入任务不存在")
    results, next_cursor = (None, None)
    if job.state == "done":
        page, next_cursor = storage.results(import_id, cursor, limit)
        results = [ImportRowResult(row=r.row, status=r.status, tracking_no=r.tracking_no, errors=r.errors) for r in page]
    # The answer's own fields, as the record holds them; the time in the city's zone, the results' page.
    counts = {name: getattr(job, name) for name in ImportProgress.model_fields if hasattr(job, name)}
    created_at = views.iso(job.created_at, runtime.city())
    return ImportProgress(**counts | {"created_at": created_at}, results=results, cursor=next_cursor)


def _looks_like_an_id(import_id: str) -> bool:
    return len(import_id) == 32 and all(c in "0123456789abcdef" for c in import_id)


# ---- the queue: a slice of rows --------------------------------------------------------------

def process(event: dict, lambda_context: Any = None) -> dict:
    """An SQS batch of slices; the slices not finished, as SQS's partial batch response."""
    from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType, process_partial_response

    # A slice that fails comes back after the visibility timeout (and after three receives lands on
    # the dead-letter queue, whose alarm calls the operators): an answer, not an error to raise.
    processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
    return process_partial_response(event=event, record_handler=_slice_record, processor=processor)


def _slice_record(record) -> None:
    message = json.loads(record.body)
    process_slice(str(message["import_id"]), int(message["start"]), int(message["stop"]))


def process_slice(import_id: str, start: int, stop: int) -> None:
    """Rows ``start`` < n ≤ ``stop`` of the import (0-based ``start``), each once."""
    job = storage.get_import(import_id)
    if job is None:  # expired with its file: nothing left to do
        logger.warning("import slice of an unknown import", import_id=import_id)
        return
    city = runtime.city()
    done = storage.rows_done(import_id, range(start + 1, stop + 1))
    todo = [row for row in imports.rows(get_media_store().read_import(import_id))[start:stop] if row.number not in done]
    importer = Actor(Role(job.role), job.staff_id, job.unit)
    for row in todo:
        result = import_row(row, importer, city)
        storage.record_row(import_id, result, job.created_at)
    logger.info("import slice done", import_id=import_id, start=start, stop=stop, rows=len(todo))


def import_row(row: imports.Row, importer: Actor, city: City) -> RowResult:
    """One row through intake: created, existing (its external_id made an order before) or refused."""
    from chalicelib.commands.bodies import PartnerSubmitRequest
    from chalicelib.services import channels  # partners' submissions: the external_id's claim
    from pydantic import ValidationError

    parsed = imports.parse(row, city.intake.staff_channels)
    if parsed.problems:
        return RowResult(row.number, REFUSED, errors=parsed.problems)
    try:
        request = PartnerSubmitRequest.model_validate(parsed.request)
    except ValidationError as exc:
        return RowResult(row.number, REFUSED, errors=imports.columns_of(_fields(exc)))
    source = intake.Source(
        channel=parsed.channel,
        actor=importer,
        note=_note(parsed, importer, city),
        needs_otp=False,
        vouches_for_contact=True,
    )
    try:
        submitted = channels.submit(source, request)
    except InvalidInput as refused:  # the catalogue, the city's boundary: what a submission gets as a 422
        return RowResult(row.number, REFUSED, errors=imports.columns_of(refused.fields))
    count("ImportRowCreated" if submitted.created else "ImportRowExisting")
    return RowResult(row.number, CREATED if submitted.created else EXISTING, submitted.answer.tracking_no)


def _note(parsed: imports.Parsed, importer: Actor, city: City) -> str:
    """The submit event's note: the channel, when it was received, who imported it, why no SMS code."""
    label = city.intake.staff_channels[parsed.channel]
    received = ""
    if parsed.received_at is not None:
        at = parsed.received_at
        at = at.replace(tzinfo=city.zone) if at.tzinfo is None else at.astimezone(city.zone)
        received = f"，原受理时间 {at:%Y-%m-%d %H:%M}"
    return f"{label}件{received}，由{ROLE_LABELS[importer.role]}批量导入；反映人已由工作人员核实，免短信验证"


def _fields(exc) -> dict[str, str]:
    """A pydantic refusal's field → message, as the API's 422 words the usual ones."""
    fields: dict[str, str] = {}
    for err in exc.errors(include_url=False, include_input=False):
        name = ".".join(str(part) for part in err["loc"]) or "row"
        if err["type"] == "value_error":  # our own validators speak Chinese already
            message = err["msg"].removeprefix("Value error, ")
        else:
            message = {"missing": "必填", "string_too_short": "太短", "string_too_long": "太长"}.get(
                err["type"], "格式不正确"
            )
        fields.setdefault(name, message)
    return fields

