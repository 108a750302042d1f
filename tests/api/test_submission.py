"""Residents' API, first half: the catalogue, uploads, submitting a request, idempotency."""
from __future__ import annotations

import base64
import datetime as dt
import json
import re

import boto3
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from chalicelib import storage
from chalicelib.adapters.crypto import get_cipher
from tests.api.resident_helpers import (
    BUCKET,
    FRIDAY_DAY,
    IDEMPOTENCY,
    NAME,
    PHONE,
    REQUESTS,
    SANITATION_DUE,
    UPLOADS,
    assert_error,
    body,
    bucket_keys,
    counter,
    grant_upload,
    idempotency_records,
    order_count,
    put_object,
    raw_order,
    submit,
    upload,
    verified,
)
from tests.media_samples import HTML, SAMPLES, file_of

MiB = 1024 * 1024


# ---- catalogue ---------------------------------------------------------------

def test_catalog_offers_the_configured_types_categories_areas_and_media_limits(api):
    answer = api.get("/api/v1/catalog")

    assert answer.status == 200
    assert "public" in answer.headers["Cache-Control"]
    catalog = answer.json
    assert catalog["city"] == {"code": "liaoyuan", "name": "辽源市"}
    assert [t["code"] for t in catalog["types"]] == ["consult", "help", "complaint", "report", "suggestion", "praise"]
    assert {"code": "complaint", "name": "投诉"} in catalog["types"]
    assert [c["code"] for c in catalog["categories"]] == [
        "sanitation", "municipal", "traffic", "public_security", "pollution", "greening",
        "property", "utilities", "market", "labor", "other",
    ]
    assert {"code": "sanitation", "name": "环境卫生", "questions": []} in catalog["categories"]
    traffic = next(c for c in catalog["categories"] if c["code"] == "traffic")
    assert traffic["questions"] == [
        {
            "code": "spot",
            "question": "问题发生在什么地方？",
            "datatype": "singlevaluelist",
            "required": True,
            "choices": [
                {"key": "crossing", "name": "路口"}, {"key": "road", "name": "路段"},
                {"key": "parking", "name": "停车场"}, {"key": "estate", "name": "小区内"},
            ],
        }
    ]
    districts = catalog["areas"]
    assert [(a["code"], a["name"]) for a in districts] == [
        ("220402", "龙山区"), ("220403", "西安区"), ("220421", "东丰县"), ("220422", "东辽县"),
    ]
    xiangyang = districts[0]["children"][0]
    assert (xiangyang["code"], xiangyang["name"]) == ("220402001", "向阳街道")
    # A community has no shape of its own: a request located by it alone goes to its street's point.
    assert xiangyang["children"] == [
        {"code": "220402001001", "name": "龙山社区", "center": xiangyang["center"], "children": []},
        {"code": "220402001002", "name": "向阳社区", "center": xiangyang["center"], "children": []},
    ]
    assert xiangyang["center"] == {"lat": 42.92, "lng": 125.156}  # the middle of its rectangle
    assert catalog["media"] == {
        "max_per_request": 9,
        "kinds": {
            "photo": {"max_bytes": 10 * MiB, "types": ["image/jpeg", "image/png", "image/webp", "image/heic"]},
            "video": {"max_bytes": 100 * MiB, "types": ["video/mp4", "video/quicktime"]},
            "audio": {"max_bytes": 10 * MiB, "types": ["audio/mp4", "audio/x-m4a", "audio/mpeg", "audio/aac", "audio/amr"]},
        },
    }


# ---- uploads -----------------------------------------------------------------

def test_upload_grant_is_a_presigned_post_pinning_the_type_and_the_declared_size(api):
    answer = api.post(UPLOADS, {"filename": "门口.jpg", "content_type": "image/jpeg", "size": 204800})

    assert answer.status == 201, answer
    grant = answer.json
    assert grant["kind"] == "photo"
    assert grant["expires_in"] == 900
    assert "suqiu-test-media" in grant["url"]
    fields = grant["fields"]
    assert re.fullmatch(r"uploads/[0-9a-f]{32}", fields["key"])
    assert fields["Content-Type"] == "image/jpeg"
    conditions = json.loads(base64.b64decode(fields["policy"]))["conditions"]
    assert {"Content-Type": "image/jpeg"} in conditions
    assert ["content-length-range", 1, 204800] in conditions
    assert {"key": fields["key"]} in conditions


@pytest.mark.parametrize(
    "content_type, kind, pinned",
    [("video/mp4", "video", "video/mp4"), ("audio/mpeg", "audio", "audio/mpeg"), ("IMAGE/PNG", "photo", "image/png")],
)
def test_upload_kind_follows_the_content_type(api, content_type, kind, pinned):
    answer = api.post(UPLOADS, {"filename": "f", "content_type": content_type, "size": 10})

    assert answer.status == 201, answer
    assert answer.json["kind"] == kind
    assert answer.json["fields"]["Content-Type"] == pinned


@pytest.mark.parametrize("content_type", ["application/pdf", "image/gif", "text/html", "image/jpeg; x=y"])
def test_upload_of_an_unsupported_type_is_refused(api, content_type):
    answer = api.post(UPLOADS, {"filename": "f", "content_type": content_type, "size": 10})

    assert_error(answer, 422, "validation_failed", "content_type")


@pytest.mark.parametrize(
    "content_type, limit", [("image/jpeg", 10 * MiB), ("video/mp4", 100 * MiB), ("audio/mpeg", 10 * MiB)]
)
def test_upload_may_be_as_large_as_its_kind_allows_and_not_a_byte_more(api, content_type, limit):
    at_limit = api.post(UPLOADS, {"filename": "f", "content_type": content_type, "size": limit})
    over = api.post(UPLOADS, {"filename": "f", "content_type": content_type, "size": limit + 1})

    assert at_limit.status == 201, at_limit
    assert_error(over, 422, "validation_failed", "size")


@pytest.mark.parametrize(
    "payload, field",
    [
        ({"content_type": "image/jpeg", "size": 10}, "filename"),
        ({"filename": "f", "size": 10}, "content_type"),
        ({"filename": "f", "content_type": "image/jpeg"}, "size"),
        ({"filename": "f", "content_type": "image/jpeg", "size": 10, "acl": "public-read"}, "acl"),
        ({"filename": "f", "content_type": "image/jpeg", "size": 0}, "size"),
        ({"filename": "f", "content_type": "image/jpeg", "size": -5}, "size"),
        ({"filename": "f", "content_type": "image/jpeg", "size": 1.5}, "size"),
        ({"filename": "f", "content_type": "image/jpeg", "size": "lots"}, "size"),
        ({"filename": "   ", "content_type": "image/jpeg", "size": 10}, "filename"),
    ],
    ids=["no-filename", "no-type", "no-size", "extra-field", "zero", "negative", "fraction", "text", "blank-name"],
)
def test_upload_request_with_bad_fields_is_refused(api, payload, field):
    assert_error(api.post(UPLOADS, payload), 422, "validation_failed", field)


# ---- submission --------------------------------------------------------------

@pytest.fixture
def named(api, clock):
    """A named sanitation complaint with one photo, submitted on the frozen Friday."""
    upload_id = upload(api, "image/jpeg", 2048)
    answer = api.post(REQUESTS, verified(api, body(media=[upload_id])))
    assert answer.status == 201, answer
    return answer.json


def test_submission_is_numbered_for_the_day_routed_and_given_a_deadline(named):
    assert re.fullmatch(r"LY\d{8}\d{4}", named["tracking_no"])
    assert named["tracking_no"] == f"LY{FRIDAY_DAY}0001"
    assert len(named["query_code"]) >= 6
    assert named["state"] == "dispatched"
    assert named["status"] == "处理中"
    assert named["unit"] == {"code": "lsq-cg", "name": "龙山区城市管理局"}
    assert named["due_at"] == SANITATION_DUE  # a sanitation complaint: 5 working days


def test_submitted_media_is_copied_under_the_tracking_number(api, named):
    keys = bucket_keys(f"media/{named['tracking_no']}/")

    assert len(keys) == 1
    head = boto3.client("s3").head_object(Bucket=BUCKET, Key=keys[0])
    assert (head["ContentType"], head["ContentLength"]) == ("image/jpeg", 2048)
    media = raw_order(named["tracking_no"])["media"]["L"]
    assert [m["M"]["key"]["S"] for m in media] == keys


def test_stored_order_keeps_the_contact_encrypted_and_only_a_hash_of_the_query_code(named):
    item = raw_order(named["tracking_no"])

    sealed = item["contact"]["B"]
    assert PHONE.encode() not in sealed and NAME.encode() not in sealed
    assert get_cipher().open(sealed, named["tracking_no"]) == {"name": NAME, "phone": "+86" + PHONE}  # E.164
    assert re.fullmatch(r"[0-9a-f]{64}", item["query_code_hash"]["S"])
    assert named["query_code"] not in repr(item)
    assert PHONE not in repr(item) and NAME not in repr(item)


@pytest.mark.parametrize("contact", [{"name": NAME, "phone": PHONE}, None], ids=["contact-sent", "no-contact"])
def test_anonymous_request_stores_no_contact(api, contact):
    receipt = submit(api, anonymous=True, contact=contact)

    item = raw_order(receipt["tracking_no"])
    assert item["anonymous"] == {"BOOL": True}
    assert item.get("contact", {"NULL": True}) == {"NULL": True}
    assert PHONE not in repr(item) and NAME not in repr(item)


def test_request_of_category_other_waits_for_the_dispatcher(api):
    receipt = submit(api, type="suggestion", category="other", area=None)

    assert receipt["state"] == "submitted"
    assert receipt["status"] == "已受理"
    assert receipt["unit"] is None
    assert receipt["due_at"] is None


def test_sequence_numbers_run_through_the_day_and_restart_on_the_next_local_day(api, clock):
    friday = [submit(api)["tracking_no"] for _ in range(3)]
    clock.move_to("2026-11-21T00:30:00+08:00")  # still Friday in UTC, Saturday in Liaoyuan
    saturday = submit(api)["tracking_no"]

    assert friday == [f"LY{FRIDAY_DAY}{n:04d}" for n in (1, 2, 3)]
    assert saturday == "LY202611210001"


# ---- uploads: what S3 holds, used once --------------------------------------

def _anonymous(media: list[str]) -> dict:
    return body(anonymous=True, drop=("contact",), media=media)


def _uploaded_as(api, declared: str, content: bytes) -> str:
    """An upload granted for ``declared`` whose POST carried ``content`` (the header as granted)."""
    grant = grant_upload(api, declared, len(content))
    put_object(grant, declared, len(content), content)
    return grant["upload_id"]


CITY_TYPES = sorted(SAMPLES)


@pytest.mark.parametrize("content_type", CITY_TYPES)
def test_a_genuine_file_of_each_type_is_attached(api, clock, content_type):
    upload_id = _uploaded_as(api, content_type, file_of(content_type, 4096))

    receipt = api.post(REQUESTS, _anonymous([upload_id]))

    assert receipt.status == 201, receipt
    [key] = bucket_keys(f"media/{receipt.json['tracking_no']}/")
    stored = boto3.client("s3").get_object(Bucket=BUCKET, Key=key)
    assert stored["ContentType"] == content_type


@pytest.mark.parametrize(
    "declared, content",
    [
        ("image/jpeg", HTML),
        ("image/jpeg", file_of("image/png", 2048)),
        ("image/png", file_of("image/jpeg", 2048)),
        ("video/mp4", file_of("image/heic", 2048)),
        ("audio/mpeg", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
    ],
    ids=["html-as-jpeg", "png-as-jpeg", "jpeg-as-png", "heic-as-mp4", "svg-as-mp3"],
)
def test_a_file_whose_bytes_are_not_its_type_is_refused_and_nothing_is_written(api, clock, declared, content):
    answer = api.post(REQUESTS, _anonymous([upload(api), _uploaded_as(api, declared, content)]))

    error = assert_error(answer, 422, "validation_failed", "media.1")
    assert error["fields"]["media.1"].startswith("文件内容与类型不符")
    assert "media.0" not in error["fields"]
    assert order_count() == 0
    assert bucket_keys("media/") == []


def test_an_upload_attached_to_one_request_is_refused_in_another_and_nothing_is_written(api, clock):
    photo = upload(api)
    first = api.post(REQUESTS, _anonymous([photo]))
    assert first.status == 201, first
    copies = bucket_keys("media/")

    again = api.post(REQUESTS, _anonymous([upload(api), photo]))

    error = assert_error(again, 422, "validation_failed", "media.1")
    assert error["fields"]["media.1"].startswith("附件已使用")
    assert order_count() == 1
    assert bucket_keys("media/") == copies  # nothing copied for the refused one, nothing of the first lost
    assert counter(FRIDAY_DAY) == 1  # refused before it was given a number


def test_the_same_upload_nine_times_in_one_request_is_refused(api, clock):
    photo = upload(api)

    answer = api.post(REQUESTS, _anonymous([photo] * 9))

    error = assert_error(answer, 422, "validation_failed")
    assert set(error["fields"]) == {f"media.{n}" for n in range(1, 9)}
    assert order_count() == 0
    assert bucket_keys("media/") == []


def test_an_upload_used_by_a_racing_request_is_refused_at_its_write(api, clock, monkeypatch):
    """Two requests with one upload pass their checks together: the order's own transaction decides."""
    from chalicelib.services import intake

    photo = upload(api)
    monkeypatch.setattr(intake.storage, "taken_claims", lambda names: set())  # neither sees the other's claim yet
    first = api.post(REQUESTS, _anonymous([photo]))
    second = api.post(REQUESTS, _anonymous([photo]))

    assert first.status == 201, first
    error = assert_error(second, 422, "validation_failed", "media.0")
    assert error["fields"]["media.0"].startswith("附件已使用")
    assert order_count() == 1
    assert bucket_keys("media/") == bucket_keys(f"media/{first.json['tracking_no']}/")


def test_a_keyed_retry_with_media_gets_the_first_answer(api, clock):
    payload = verified(api, body(media=[upload(api)]))
    first = api.post(REQUESTS, payload, KEY)
    again = api.post(REQUESTS, payload, KEY)

    assert first.status == again.status == 201, (first, again)
    assert again.json == first.json
    assert order_count() == 1


# ---- bad input: refused, nothing written -------------------------------------

def _tampered(part: int, value: str):
    """A genuine upload id with one of its dot-separated parts replaced."""

    def make(api):
        parts = upload(api).split(".")
        parts[part] = value
        return body(media=[".".join(parts)])

    return make


def _stored_as(content_type: str, extra_bytes: int):
    def make(api):
        grant = grant_upload(api, "image/jpeg", 2048)
        put_object(grant, content_type, 2048 + extra_bytes)
        return body(media=[grant["upload_id"]])

    return make


def _raw(text: str):
    return lambda api: text


BAD_REQUESTS = [
    pytest.param(lambda api: body(type="petition"), 422, "validation_failed", "type", id="unknown-type"),
    pytest.param(lambda api: body(category="weather"), 422, "validation_failed", "category", id="unknown-category"),
    pytest.param(lambda api: body(area="110101"), 422, "validation_failed", "area", id="unknown-area"),
    pytest.param(lambda api: body(location={"lat": 91, "lng": 125.1}), 422, "validation_failed", "location.lat",
                 id="lat-91"),
    pytest.param(lambda api: body(location={"lat": 42.9, "lng": 181}), 422, "validation_failed", "location.lng",
                 id="lng-181"),
    pytest.param(_raw('{"type": "complaint", "category": "sanitation", "description": "垃圾没人清运",'
                      ' "location": {"lat": NaN, "lng": 125.1}, "anonymous": true}'),
                 422, "validation_failed", "location.lat", id="lat-NaN"),
    pytest.param(_raw('{"type": "complaint", "category": "sanitation", "description": "垃圾没人清运",'
                      ' "location": {"lat": 42.9, "lng": Infinity}, "anonymous": true}'),
                 422, "validation_failed", "location.lng", id="lng-Infinity"),
    pytest.param(lambda api: body(description="垃圾太多"), 422, "validation_failed", "description", id="4-chars"),
    pytest.param(lambda api: body(description="脏" * 2001), 422, "validation_failed", "description", id="2001-chars"),
    pytest.param(lambda api: body(media=["x"] * 10), 422, "validation_failed", "media", id="10-media"),
    pytest.param(lambda api: body(media=[grant_upload(api)["upload_id"]]), 422, "validation_failed", "media.0",
                 id="never-uploaded"),
    pytest.param(_tampered(0, "0" * 32), 422, "validation_failed", "media.0", id="other-key"),
    pytest.param(_tampered(1, str(10 * MiB)), 422, "validation_failed", "media.0", id="other-size"),
    pytest.param(_tampered(2, "image_png"), 422, "validation_failed", "media.0", id="other-type"),
    pytest.param(_tampered(3, "AAAAAAAAAAAAAAAA"), 422, "validation_failed", "media.0", id="forged-signature"),
    pytest.param(_tampered(3, "签名签名"), 422, "validation_failed", "media.0", id="non-ascii-signature"),
    pytest.param(lambda api: body(media=["not-an-upload"]), 422, "validation_failed", "media.0", id="garbage-id"),
    pytest.param(_stored_as("image/png", 0), 422, "validation_failed", "media.0", id="stored-as-other-type"),
    pytest.param(_stored_as("image/jpeg", 1), 422, "validation_failed", "media.0", id="stored-larger"),
    pytest.param(lambda api: body(drop=("contact",)), 422, "validation_failed", "contact", id="named-no-contact"),
    pytest.param(lambda api: body(contact={"name": NAME, "phone": "12345"}), 422, "validation_failed",
                 "contact.phone", id="bad-phone"),
    pytest.param(lambda api: body(contact={"name": NAME}), 422, "validation_failed", "contact.phone",
                 id="no-phone"),
    pytest.param(lambda api: body(priority=True), 422, "validation_failed", "priority", id="extra-field"),
    pytest.param(_raw('{"type": "complaint",'), 400, "malformed_json", None, id="malformed-json"),
    pytest.param(_raw(json.dumps([body()])), 422, "validation_failed", "body", id="json-array"),
    pytest.param(_raw(""), 400, "empty_body", None, id="empty-body"),
]


@pytest.mark.parametrize("make, status, code, field", BAD_REQUESTS)
def test_bad_submission_is_refused_and_writes_nothing(api, clock, make, status, code, field):
    answer = api.post(REQUESTS, verified(api, make(api)))  # with a good code: the fault is the one named

    assert_error(answer, status, code, field)
    assert order_count() == 0
    assert counter(FRIDAY_DAY) is None
    assert bucket_keys("media/") == []


def test_submission_as_plain_text_is_unsupported(api):
    answer = api.post(REQUESTS, json.dumps(body()), {"Content-Type": "text/plain"})

    assert_error(answer, 415, "unsupported_media_type")
    assert order_count() == 0


def test_deeply_nested_json_is_refused_without_a_server_error(api):
    answer = api.post(REQUESTS, '{"type": ' + "[" * 2000 + "]" * 2000 + "}")  # a 4 kB body

    assert_error(answer, 400, "malformed_json")


# Any JSON value, as a client might send it.
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=10,
)
# Seeds that pass validation (see the test below), so changed values reach past it.
_VALID = {
    REQUESTS: body(anonymous=True, drop=("contact",)),
    UPLOADS: {"filename": "a.jpg", "content_type": "image/jpeg", "size": 10},
    f"{REQUESTS}/LY202611200001/rating": {"code": "ABCDEFGH", "stars": 5},
}
_SEED_ANSWERS = {REQUESTS: 201, UPLOADS: 201, f"{REQUESTS}/LY202611200001/rating": 404}  # no such order


def test_the_fuzzing_seeds_pass_validation(api):
    assert {path: api.post(path, seed).status for path, seed in _VALID.items()} == _SEED_ANSWERS


@st.composite
def _posts(draw):
    """A residents' endpoint and a body: random, or a valid one with random values under its keys."""
    path = draw(st.sampled_from(sorted(_VALID)))
    valid = _VALID[path]
    shape = draw(st.sampled_from(["random", "top-level", "nested"]))
    if shape == "random":
        keys = st.sampled_from(sorted(valid)) | st.text(max_size=8)
        return path, draw(st.dictionaries(keys, _JSON, max_size=6))
    if shape == "top-level":
        key = draw(st.sampled_from(sorted(valid)))
        return path, {**valid, key: draw(_JSON)}
    parent = draw(st.sampled_from(sorted(k for k, v in valid.items() if isinstance(v, dict)) or sorted(valid)))
    nested = valid[parent] if isinstance(valid[parent], dict) else {}
    child = draw(st.sampled_from(sorted(nested) or ["x"]) | st.text(max_size=8))
    return path, {**valid, parent: {**nested, child: draw(_JSON)}}


@settings(
    max_examples=100, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(post=_posts())
def test_no_body_makes_a_residents_endpoint_fail_with_a_server_error(api, post):
    path, payload = post
    answer = api.post(path, json.dumps(payload))  # NaN/Infinity and \\u escapes as a client may send them

    assert answer.status < 500, (payload, answer)
    if answer.status >= 400:
        assert set(answer.json["error"]) == {"code", "message", "fields"}


# ---- idempotency -------------------------------------------------------------

KEY = {"Idempotency-Key": "3f6d2c1e-9a4b-4c8e-b1d7-5e0f2a9c8b71"}


def test_a_retry_with_the_same_key_gets_the_first_answer_and_no_second_order(api, clock):
    payload = verified(api, body())
    first = api.post(REQUESTS, payload, KEY)
    again = api.post(REQUESTS, payload, KEY)  # the same body: its code was used by the first

    assert first.status == again.status == 201, (first, again)
    assert again.json == first.json
    assert order_count() == 1
    assert counter(FRIDAY_DAY) == 1


def test_the_same_key_with_another_body_is_refused(api):
    first = submit(api, KEY)

    # A body that would be accepted on its own (its own SMS code): the key is the one fault.
    answer = api.post(REQUESTS, verified(api, body(description="路灯坏了一个星期了")), KEY)

    assert_error(answer, 422, "idempotency_key_reused", "Idempotency-Key")
    assert order_count() == 1
    assert raw_order(first["tracking_no"]) is not None


def test_a_key_stays_bound_to_its_body_after_its_record_expires(api, clock):
    payload = verified(api, body())
    first = api.post(REQUESTS, payload, KEY).json
    clock.tick(dt.timedelta(hours=25))
    [record] = idempotency_records()  # gone, as DynamoDB's TTL deletes it a day on
    boto3.client("dynamodb").delete_item(TableName=IDEMPOTENCY, Key={"id": record["id"]})

    other = api.post(REQUESTS, verified(api, body(description="路灯坏了一个星期了")), KEY)
    again = api.post(REQUESTS, payload, KEY)  # the very request, retried late

    assert_error(other, 422, "idempotency_key_reused", "Idempotency-Key")
    assert first["query_code"] not in json.dumps(other.json)
    assert again.status == 201 and again.json["tracking_no"] == first["tracking_no"]
    assert again.json["query_code"] == first["query_code"]
    assert order_count() == 1 and counter(FRIDAY_DAY) == 1  # and the refused one took no number


def test_different_keys_make_different_orders(api):
    first = submit(api, {"Idempotency-Key": "k" * 128})
    second = submit(api, {"Idempotency-Key": "another-key-0123456789"})

    assert first["tracking_no"] != second["tracking_no"]
    assert order_count() == 2


@pytest.mark.parametrize(
    "key", ["k" * 129, "k" * 15, "幂等键" * 8, "   "], ids=["too-long", "too-short", "non-ascii", "blank"]
)
def test_an_invalid_idempotency_key_is_refused(api, key):
    answer = api.post(REQUESTS, verified(api, body()), {"Idempotency-Key": key})

    assert_error(answer, 422, "validation_failed", "Idempotency-Key")
    assert order_count() == 0


@pytest.mark.parametrize("fixed", ["upload-completed", "media-dropped"])
def test_a_submission_that_failed_can_be_retried_with_the_same_key(api, fixed):
    # The upload was granted but never completed: the submission fails inside the
    # idempotent call, and Powertools deletes the record of a failed call.
    grant = grant_upload(api, "image/jpeg", 2048)
    payload = verified(api, body(media=[grant["upload_id"]]))
    failed = api.post(REQUESTS, payload, KEY)
    assert_error(failed, 422, "validation_failed", "media.0")
    assert idempotency_records() == []

    if fixed == "upload-completed":  # the same body, now valid
        put_object(grant, "image/jpeg", 2048)
        retry = api.post(REQUESTS, payload, KEY)
    else:  # a different body: the failed attempt did not claim the key (nor use the code)
        retry = api.post(REQUESTS, {**payload, "media": []}, KEY)

    assert retry.status == 201, retry
    assert order_count() == 1
    assert [r["status"]["S"] for r in idempotency_records()] == ["COMPLETED"]


def test_the_idempotency_record_keeps_the_answer_sealed(api):
    receipt = submit(api, KEY)

    records = idempotency_records()
    assert len(records) == 1
    stored = repr(records)
    assert receipt["tracking_no"] not in stored
    assert receipt["query_code"] not in stored
    assert PHONE not in stored and NAME not in stored


def test_the_scan_watch_sees_the_apps_calls_but_not_the_tests(api, app_operations):
    submit(api, KEY, media=[upload(api)])
    order_count()  # the test's own Scan

    assert {"GetObject", "BatchGetItem", "CopyObject", "UpdateItem", "TransactWriteItems", "PutItem"} <= set(app_operations)
    assert "PutObject" not in app_operations  # the browser's upload, done by the test
    assert "Scan" not in app_operations


def test_a_submission_whose_write_fails_leaves_no_media_copies(api, monkeypatch):
    upload_id = upload(api)

    def failing(*args, **kwargs):
        raise RuntimeError("DynamoDB is unavailable")

    monkeypatch.setattr(storage, "create_order", failing)
    answer = api.post(REQUESTS, verified(api, body(media=[upload_id])))

    assert_error(answer, 500, "internal")
    assert bucket_keys("media/") == []
    assert len(bucket_keys("uploads/")) == 1  # still there for a retry
