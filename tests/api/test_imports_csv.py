"""Batch import of hotline records and letters: a CSV posted, its rows submitted from the imports queue.

The queue is driven as Lambda drives it (infra/drivers.py); each row goes through the residents'
own intake as a staff channel's submission, its external_id claimed per channel.
"""
from __future__ import annotations

import json

import boto3
import pytest

from app import app
from chalicelib import storage
from chalicelib.adapters import queue
from chalicelib.settings import get_settings
from infra.drivers import QueueDriver
from tests.api.resident_helpers import assert_error, order_count, staff_view

IMPORTS = "/api/v1/staff/imports"
HEADER = "external_id,received_at,channel,type,category,description,address,lat,lng,coord_system,area,caller_name,caller_phone"
CALL = "RX-001,2026-11-19 16:30,电话,complaint,sanitation,小区门口的垃圾三天没人清运了,龙山区向阳街道,42.9,125.14,wgs84,220402,张三,13812341234"
LETTER = "RX-002,2026-11-18,letter,suggestion,greening,建议在广场东侧多种几棵树,,42.91,125.15,,,,"
OUTSIDE = "RX-003,,phone,complaint,sanitation,北京的垃圾没人清运,,39.9,116.4,,,,"
UNKNOWN = "RX-004,,phone,complaint,no-such-category,分类不存在的诉求,,42.9,125.14,,,李四,"


def csv_file(*rows: str, header: str = HEADER) -> str:
    return "\r\n".join([header, *rows]) + "\r\n"


def post_csv(api, staff, data: bytes | str, who=("dispatcher",), content_type="text/csv"):
    raw = data if isinstance(data, bytes) else data.encode("utf-8")
    return api.post(IMPORTS, raw, {"Content-Type": content_type, **staff(*who)})


def started(api, staff, data) -> str:
    answer = post_csv(api, staff, data)
    assert answer.status == 202, answer
    assert set(answer.json) == {"import_id"}
    return answer.json["import_id"]


def drain() -> int:
    """Work the imports queue until it is empty; how many messages were handled."""
    driver = QueueDriver(app, get_settings().imports_queue, visibility_timeout=0, function_name="import_rows")
    handled = 0
    for _ in range(100):
        n = driver.poll()
        if not n:
            return handled
        handled += n
    raise AssertionError("the imports queue never emptied")


def progress(api, staff, import_id: str, who=("dispatcher",), **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    answer = api.get(f"{IMPORTS}/{import_id}" + (f"?{query}" if query else ""), staff(*who))
    assert answer.status == 200, answer
    return answer.json


def imported(api, staff, data) -> dict:
    import_id = started(api, staff, data)
    drain()
    return progress(api, staff, import_id)


def queued_messages() -> int:
    sqs = boto3.client("sqs")
    url = queue.queue_url(get_settings().imports_queue)
    attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])
    return int(attributes["Attributes"]["ApproximateNumberOfMessages"])


def stored_files() -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=get_settings().media_bucket, Prefix="imports/")
    return [item["Key"] for item in listed.get("Contents", [])]


# ---- a file imported ---------------------------------------------------------------------------

def test_a_gb18030_file_is_queued_then_each_row_becomes_an_order(api, staff, clock):
    import_id = started(api, staff, csv_file(CALL, LETTER).encode("gb18030"))
    before = progress(api, staff, import_id)
    assert before | {"created_at": None} == {
        "import_id": import_id, "total": 2, "done": 0, "created": 0, "existing": 0, "refused": 0,
        "state": "queued", "created_at": None, "results": None, "cursor": None,
    }
    assert order_count() == 0, "the rows are submitted from the queue, not in the request"

    drain()
    after = progress(api, staff, import_id)
    assert (after["state"], after["total"], after["done"], after["created"]) == ("done", 2, 2, 2)
    assert [(r["row"], r["status"], r["errors"]) for r in after["results"]] == [(1, "created", None), (2, "created", None)]

    call = staff_view(api, staff, after["results"][0]["tracking_no"])
    assert (call["channel"], call["external_id"], call["verified"]) == ("phone", "RX-001", True)
    assert call["contact"] == {"name": "张三", "phone": "+8613812341234", "masked": False}
    submitted = call["trail"][0]
    assert submitted["note"] == "电话件，原受理时间 2026-11-19 16:30，由派单员批量导入；反映人已由工作人员核实，免短信验证"
    assert submitted["actor"] == {"role": "dispatcher", "id": "test-dispatcher-0", "unit": None}
    letter = api.get(f"/api/v1/staff/requests/{after['results'][1]['tracking_no']}", staff("dispatcher")).json
    assert (letter["channel"], letter["external_id"]) == ("letter", "RX-002")
    assert letter["trail"][0]["note"].startswith("来信件，原受理时间 2026-11-18 00:00，")


def test_a_utf8_file_with_its_bom_is_read(api, staff, clock):
    done = imported(api, staff, ("\ufeff" + csv_file(CALL)).encode("utf-8"))
    assert (done["state"], done["created"], done["refused"]) == ("done", 1, 0)


def test_a_refused_row_writes_nothing_and_says_why_by_column(api, staff, clock):
    done = imported(api, staff, csv_file(CALL, OUTSIDE, UNKNOWN, "RX-005,,传真,complaint,sanitation,abc,,x,125.14,,,,"))
    assert (done["total"], done["created"], done["refused"]) == (4, 1, 3)
    outside, unknown, bad = done["results"][1:]
    assert outside["status"] == "refused" and outside["tracking_no"] is None
    assert set(outside["errors"]) == {"lat"} and "辽源" in outside["errors"]["lat"]
    assert unknown["errors"] == {"category": "未知的问题分类"}
    assert set(bad["errors"]) == {"channel", "lat"}, bad
    assert order_count() == 1
    assert storage.get_claim(storage.external_claim("phone", "RX-003")) is None


def test_a_named_row_without_a_phone_number_that_texts_is_refused(api, staff, clock):
    row = "RX-006,,phone,complaint,sanitation,小区门口的垃圾三天没人清运了,,42.9,125.14,,,王五,12345"
    done = imported(api, staff, csv_file(row))
    assert list(done["results"][0]["errors"]) == ["caller_phone"]


def test_importing_the_same_file_again_creates_nothing(api, staff, clock):
    first = imported(api, staff, csv_file(CALL, LETTER, OUTSIDE))
    again = imported(api, staff, csv_file(CALL, LETTER, OUTSIDE).encode("gb18030"))
    assert (again["created"], again["existing"], again["refused"]) == (0, 2, 1)
    assert [r["tracking_no"] for r in again["results"]] == [r["tracking_no"] for r in first["results"]]
    assert [r["status"] for r in again["results"]] == ["existing", "existing", "refused"]
    assert order_count() == 2


def test_a_slice_delivered_twice_counts_each_row_once(api, staff, clock):
    import_id = started(api, staff, csv_file(CALL, LETTER, OUTSIDE))
    url = queue.queue_url(get_settings().imports_queue)
    message = boto3.client("sqs").receive_message(QueueUrl=url, VisibilityTimeout=0)["Messages"][0]
    # SQS's at-least-once, made certain: the same slice twice.
    boto3.client("sqs").send_message(QueueUrl=url, MessageBody=message["Body"])
    assert drain() == 2
    done = progress(api, staff, import_id)
    assert (done["total"], done["done"], done["created"], done["refused"]) == (3, 3, 2, 1)
    assert len(done["results"]) == 3 and order_count() == 2


def test_a_slice_that_failed_halfway_is_finished_by_its_retry_and_counted_once(api, staff, clock, monkeypatch):
    from chalicelib.services import imports

    import_id = started(api, staff, csv_file(CALL, LETTER, OUTSIDE))
    real = imports.import_row
    calls = []

    def dies_on_the_second(row, importer, city):
        calls.append(row.number)
        if len(calls) == 2:
            raise RuntimeError("the Lambda timed out")
        return real(row, importer, city)

    monkeypatch.setattr(imports, "import_row", dies_on_the_second)
    drain()
    done = progress(api, staff, import_id)
    assert calls == [1, 2, 2, 3], "the retry skips the row finished before the failure"
    assert (done["done"], done["created"], done["refused"], order_count()) == (3, 2, 1, 2)


def test_the_results_of_a_large_import_come_in_pages(api, staff, clock):
    rows = [f"P-{n},,phone,complaint,sanitation,第{n}条：小区门口的垃圾没人清运,,42.9,125.14,,,," for n in range(1, 6)]
    import_id = started(api, staff, csv_file(*rows))
    drain()
    first = progress(api, staff, import_id, limit=2)
    second = progress(api, staff, import_id, limit=2, cursor=first["cursor"])
    third = progress(api, staff, import_id, limit=2, cursor=second["cursor"])
    assert [[r["row"] for r in page["results"]] for page in (first, second, third)] == [[1, 2], [3, 4], [5]]
    assert third["cursor"] is None


# ---- files refused whole -------------------------------------------------------------------

def test_5001_rows_are_refused_and_nothing_is_stored(api, staff, clock):
    rows = [f"X-{n},,phone,complaint,sanitation,小区门口的垃圾没人清运,,42.9,125.14,,,," for n in range(5001)]
    answer = post_csv(api, staff, csv_file(*rows))
    assert_error(answer, 422, "validation_failed", "file")
    assert "5000" in answer.json["error"]["message"]
    assert (stored_files(), queued_messages()) == ([], 0)


@pytest.mark.parametrize(
    ("header", "field"),
    [
        ("received_at,channel,type,category,description,lat,lng", "external_id"),
        ("external_id,channel,type,category,description,lat,lng,phone_number", "header"),
        ("external_id,type,type,category,description,lat,lng", "header"),
    ],
)
def test_a_header_problem_refuses_the_file(api, staff, clock, header, field):
    answer = post_csv(api, staff, csv_file("A,B,C,D,E,F,G", header=header))
    assert_error(answer, 422, "validation_failed", field)
    assert (stored_files(), queued_messages()) == ([], 0)


def test_bytes_that_are_no_text_and_an_empty_body_are_refused(api, staff, clock):
    assert_error(post_csv(api, staff, b"\xff\xfe\x00\x00\x81"), 422, "validation_failed", "file")
    assert post_csv(api, staff, b"").status == 400
    assert post_csv(api, staff, csv_file(CALL), content_type="application/json").status == 415


# ---- who may ----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", [("handler", "lsq-cg"), ("leader",)])
def test_only_the_command_centre_and_admins_import_or_read_an_import(api, staff, clock, who):
    import_id = started(api, staff, csv_file(CALL))
    assert_error(post_csv(api, staff, csv_file(CALL), who=who), 403, "forbidden")
    assert_error(api.get(f"{IMPORTS}/{import_id}", staff(*who)), 403, "forbidden")
    assert progress(api, staff, import_id, who=("admin",))["total"] == 1
    assert api.post(IMPORTS, csv_file(CALL).encode(), {"Content-Type": "text/csv"}).status == 401


def test_an_unknown_import_is_not_found(api, staff, clock):
    assert_error(api.get(f"{IMPORTS}/{'0' * 32}", staff("dispatcher")), 404, "not_found")
    assert_error(api.get(f"{IMPORTS}/nonsense", staff("dispatcher")), 404, "not_found")


def test_each_message_is_a_slice_of_at_most_a_hundred_rows(api, staff, clock):
    rows = [f"S-{n},,phone,complaint,sanitation,小区门口的垃圾没人清运,,42.9,125.14,,,," for n in range(250)]
    started(api, staff, csv_file(*rows))
    url = queue.queue_url(get_settings().imports_queue)
    bodies = []
    while got := boto3.client("sqs").receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages"):
        bodies += [json.loads(m["Body"]) for m in got]
    assert sorted((b["start"], b["stop"]) for b in bodies) == [(0, 100), (100, 200), (200, 250)]
