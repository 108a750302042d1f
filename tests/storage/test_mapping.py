"""The one codec between the stored items and the domain's records: what is written is read back the same,
and each field is stored as its type says (enums as their values, tuples as lists, maps as attribute maps)."""
from __future__ import annotations

import dataclasses
import datetime as dt

from chalicelib.domain.orders import DATETIME_FIELDS, TUPLE_FIELDS, Actor, Event, Level, Role, State, WorkOrder
from chalicelib.domain.reports import Listed, Location, Media, Report, StoredOrder
from chalicelib.storage.mapping import order_item, read, to_stored
from chalicelib.storage.models import OrderModel

AT = dt.datetime(2026, 11, 9, 1, 2, 3, 456000, tzinfo=dt.timezone.utc)

REPORT = Report(
    description="路灯不亮",
    location=Location(42.9, 125.14, "gcj02", "人民大街8号"),
    media=(Media("media/LY1/a.jpg", "image/jpeg", 2048, "photo"), Media("media/LY1/b.mp4", "video/mp4", 9, "video")),
    anonymous=False,
    contact=b"\x00sealed",
    query_code_hash="f" * 64,
    channel="hotline",
    verified=True,
    phone_hash="p" * 64,
    suggested_category="municipal",
    suggestion_confidence=0.75,
    answers={"spot": ["crossing"], "when": "夜里"},
    external_id="ext-1",
    geo_cell="municipal#wz8upd",
    duplicates=("LY202611090001",),
)
ORDER = WorkOrder(
    "LY202611090002", "complaint", "municipal", "lsq",  # the tracking number, type, category and area
    created_at=AT,
    state=State.IN_PROGRESS,
    version=3,
    unit="lsq-cg",
    co_units=("lsq-jt",),
    dispatched_at=AT,
    due_at=AT + dt.timedelta(days=3),
    level=Level.YELLOW,
    round=2,
    extensions_used=1,
    pending_extension_days=2,
    followers=("LY202611090003",),
    result_media=("media/LY1/result-1-a.jpg",),
    rating=4,
    published_at=AT,
    case_title="路灯",
)
SIGN = Event(4, AT + dt.timedelta(hours=1), "sign", Actor(Role.HANDLER, "h", "lsq-cg"), State.DISPATCHED,
             State.IN_PROGRESS, "已签收", {}, True)


def test_a_stored_order_reads_back_as_it_was_written_with_its_latest_change():
    item = order_item(StoredOrder(ORDER, REPORT, public_note="earlier"), [SIGN])

    assert to_stored(OrderModel.from_raw_data(item.serialize())) == StoredOrder(ORDER, REPORT, SIGN.at, "已签收")


def test_each_field_is_stored_as_its_type_says():
    image = order_item(StoredOrder(ORDER, REPORT)).serialize()

    assert image["state"] == {"S": "in_progress"} and image["level"] == {"S": "yellow"}
    assert image["co_units"] == {"L": [{"S": "lsq-jt"}]}
    assert image["media"]["L"][0]["M"]["size"] == {"N": "2048"}
    assert image["location"]["M"]["coord_system"] == {"S": "gcj02"}
    assert "check_partition" not in image  # nothing to check: out of the sweep's sparse index
    assert image["case_partition"] == {"S": "case"}  # published: in the case library's sparse index


def test_an_order_without_answers_stores_none_and_reads_back_empty_tuples():
    bare = StoredOrder(dataclasses.replace(ORDER, co_units=(), followers=()), dataclasses.replace(REPORT, answers={}))
    image = order_item(bare).serialize()

    assert "answers" not in image
    back = to_stored(OrderModel.from_raw_data(image))
    assert back.order.co_units == () and back.report.answers is None


def test_a_list_reads_its_projection_as_a_listed_record():
    listed = read(Listed, order_item(StoredOrder(ORDER, REPORT)))

    assert listed.state is State.IN_PROGRESS and listed.level is Level.YELLOW and listed.round == 2
    assert (listed.tracking_no, listed.description, listed.verified) == (ORDER.tracking_no, "路灯不亮", True)


def test_the_domain_declares_its_datetime_and_tuple_fields_from_its_types():
    assert {"created_at", "due_at", "published_at", "next_check_at"} <= DATETIME_FIELDS
    assert "tracking_no" not in DATETIME_FIELDS and "pending_extension_days" not in DATETIME_FIELDS
    assert TUPLE_FIELDS == {"co_units", "followers", "result_media"}
