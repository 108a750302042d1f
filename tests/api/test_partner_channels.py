"""Partner channels: administrators' API keys, and partners submitting through the native API.

A partner (the 12345 hotline, the grid system…) posts to /api/v1/requests with
``X-Api-Key``: no SMS code, its channel and key on the order and its audit trail,
verified if the channel vouches for its callers. Its own ``external_id`` makes
retries and re-syncs safe: the same id from the same channel answers the order it
made, even when two submissions race.
"""
from __future__ import annotations

import boto3
import pytest

from chalicelib import storage
from tests.api.resident_helpers import (
    NAME,
    PHONE,
    REQUESTS,
    assert_error,
    body,
    order_count,
    raw_order,
    staff_view,
    submit,
    upload,
)
from tests.open311.helpers import issue_key

ADMIN_API = "/api/v1/admin/channels"
E164 = "+86" + PHONE


def partner_submit(api, key: str, status: int = 201, **overrides):
    answer = api.post(REQUESTS, body(**overrides), {"X-Api-Key": key})
    assert answer.status == status, answer
    return answer.json


@pytest.fixture
def key(api, staff) -> str:
    return issue_key(api, staff, "hotline", "12345热线系统")["api_key"]


# ---- administrators and keys -----------------------------------------------------------

def test_an_admin_issues_a_key_shown_once_and_stored_as_a_keyed_hash(api, staff, clock):
    issued = issue_key(api, staff, "grid", "网格化平台（生产）")
    channel, key_id, secret = issued["api_key"].split(".")
    assert (channel, key_id) == ("grid", issued["key_id"]) and len(secret) >= 32
    assert issued | {"api_key": None} == {
        "channel": "grid",
        "key_id": key_id,
        "label": "网格化平台（生产）",
        "active": True,
        "created_at": "2026-11-20T10:00:00+08:00",
        "created_by": "test-admin-0",
        "revoked_at": None,
        "revoked_by": None,
        "api_key": None,
    }
    listed = api.get(f"{ADMIN_API}/grid/api-keys", staff("admin"))
    assert listed.status == 200 and [k["key_id"] for k in listed.json["items"]] == [key_id]
    assert "api_key" not in listed.json["items"][0] and secret not in listed.text
    stored = boto3.client("dynamodb").get_item(
        TableName="suqiu-test-api-keys", Key={"channel": {"S": "grid"}, "key_id": {"S": key_id}}
    )["Item"]
    assert secret not in str(stored) and len(stored["key_hash"]["S"]) == 64


def test_the_channels_are_listed_with_their_live_keys(api, staff, key):
    answer = api.get(ADMIN_API, staff("admin"))
    assert answer.status == 200, answer
    channels = {c["code"]: c for c in answer.json["items"]}
    assert list(channels) == ["hotline", "grid", "police", "open311"]
    assert channels["hotline"] == {
        "code": "hotline",
        "name": "12345热线",
        "vouches_for_contact": True,
        "note": "由12345热线受理，来电人已由话务员核实，免短信验证",
        "active_keys": 1,
    }
    assert channels["grid"]["active_keys"] == 0


def test_a_revoked_key_stays_listed_as_revoked_and_revoking_again_changes_nothing(api, staff, key, clock):
    key_id = key.split(".")[1]
    clock.tick(60)
    first = api.delete(f"{ADMIN_API}/hotline/api-keys/{key_id}", staff("admin"))
    assert first.status == 200, first
    assert first.json["active"] is False and first.json["revoked_at"] == "2026-11-20T10:01:00+08:00"
    clock.tick(60)
    again = api.delete(f"{ADMIN_API}/hotline/api-keys/{key_id}", staff("admin"))
    assert again.json == first.json
    [listed] = api.get(f"{ADMIN_API}/hotline/api-keys", staff("admin")).json["items"]
    assert listed == first.json
    assert api.get(ADMIN_API, staff("admin")).json["items"][0]["active_keys"] == 0


@pytest.mark.parametrize("who", [("dispatcher",), ("leader",), ("handler", "lsq-cg")])
def test_only_admins_manage_keys(api, staff, key, who):
    key_id = key.split(".")[1]
    assert_error(api.get(ADMIN_API, staff(*who)), 403, "forbidden")
    assert_error(api.post(f"{ADMIN_API}/hotline/api-keys", {"label": "x"}, staff(*who)), 403, "forbidden")
    assert_error(api.get(f"{ADMIN_API}/hotline/api-keys", staff(*who)), 403, "forbidden")
    assert_error(api.delete(f"{ADMIN_API}/hotline/api-keys/{key_id}", staff(*who)), 403, "forbidden")
    assert_error(api.get(ADMIN_API), 401, "unauthenticated")


def test_unknown_channels_and_keys_are_404_and_a_label_is_required(api, staff, key):
    admin = staff("admin")
    assert_error(api.post(f"{ADMIN_API}/web/api-keys", {"label": "x"}, admin), 404, "not_found")
    assert_error(api.get(f"{ADMIN_API}/nowhere/api-keys", admin), 404, "not_found")
    assert_error(api.delete(f"{ADMIN_API}/hotline/api-keys/0123456789ab", admin), 404, "not_found")
    assert_error(api.delete(f"{ADMIN_API}/hotline/api-keys/{'x' * 3000}", admin), 404, "not_found")
    assert_error(api.post(f"{ADMIN_API}/hotline/api-keys", {}, admin), 422, "validation_failed", "label")
    assert_error(api.post(f"{ADMIN_API}/hotline/api-keys", {"label": "x" * 61}, admin), 422, "validation_failed")


# ---- partners' submissions -----------------------------------------------------------

def test_a_partner_submits_a_named_request_without_an_sms_code(api, staff, key, clock):
    receipt = partner_submit(api, key)
    assert receipt["tracking_no"].startswith("LY20261120") and receipt["state"] == "dispatched"
    outbox = boto3.client("dynamodb").scan(TableName="suqiu-test-outbox")["Items"]
    templates = {(item["tracking_no"]["S"], item["template"]["S"]) for item in outbox}
    assert (receipt["tracking_no"], "received") in templates, "the caller gets the query code by SMS"

    detail = staff_view(api, staff, receipt["tracking_no"])
    assert (detail["channel"], detail["external_id"], detail["verified"]) == ("hotline", None, True)
    assert detail["contact"] == {"name": NAME, "phone": E164, "masked": False}
    submitted = detail["trail"][0]
    assert submitted["action"] == "submit"
    assert submitted["note"] == "由12345热线受理，来电人已由话务员核实，免短信验证"
    assert submitted["actor"] == {"role": "resident", "id": f"hotline/{key.split('.')[1]}", "unit": None}


def test_a_vouched_caller_finds_the_request_among_their_own(api, key):
    """The hotline checked the phone: the order carries its hash, as a verified resident's does."""
    receipt = partner_submit(api, key)
    item = raw_order(receipt["tracking_no"])
    from chalicelib.services.verification import phone_hash

    assert item["phone_hash"]["S"] == phone_hash(E164) and item["verified"]["BOOL"] is True


def test_a_channel_that_does_not_vouch_keeps_the_phone_unverified(api, staff):
    key = issue_key(api, staff, "open311")["api_key"]
    receipt = partner_submit(api, key)
    detail = staff_view(api, staff, receipt["tracking_no"])
    assert (detail["channel"], detail["verified"]) == ("open311", False)
    assert "phone_hash" not in raw_order(receipt["tracking_no"])
    assert detail["trail"][0]["note"] == "由Open311客户端提交，免短信验证；联系电话未经核实"


def test_the_same_external_id_from_the_same_channel_answers_the_order_it_made(api, staff, key, clock):
    first = partner_submit(api, key, external_id="HL-20261120-0042")
    clock.tick(30)
    again = partner_submit(api, key, 200, external_id=" HL-20261120-0042 ", description="重复推送的同一工单内容")
    assert again == first  # the same number and query code, as the order stands now
    assert order_count() == 1
    assert staff_view(api, staff, first["tracking_no"])["external_id"] == "HL-20261120-0042"

    other = issue_key(api, staff, "grid")["api_key"]
    elsewhere = partner_submit(api, other, external_id="HL-20261120-0042")
    assert elsewhere["tracking_no"] != first["tracking_no"] and order_count() == 2


def test_a_repeat_shows_the_order_as_it_stands_now(api, staff, key):
    first = partner_submit(api, key, external_id="HL-7")
    no = first["tracking_no"]
    detail = staff_view(api, staff, no)
    api.post(f"/api/v1/staff/requests/{no}/actions", {"action": "sign", "version": detail["version"]},
             staff("handler", "lsq-cg"))
    again = partner_submit(api, key, 200, external_id="HL-7")
    assert (again["tracking_no"], again["query_code"], again["state"]) == (no, first["query_code"], "in_progress")


def test_two_submissions_racing_with_one_external_id_make_one_order(api, key, monkeypatch):
    """The second got past the look-up before the first was stored: its transaction loses the claim."""
    first = partner_submit(api, key, external_id="HL-race")
    photo = upload(api)
    monkeypatch.setattr(storage, "get_claim", _missing_once(storage.get_claim))

    racer = partner_submit(api, key, 200, external_id="HL-race", media=[photo])

    assert racer == first and order_count() == 1
    from tests.api.resident_helpers import bucket_keys

    assert bucket_keys("media/") == [], "the loser's media copies are discarded"
    assert bucket_keys("uploads/") != [], "the upload itself stays, for a retry"


def test_a_racing_retry_whose_uploads_the_first_attached_answers_the_order_it_made(api, key, monkeypatch):
    """The retry got past the look-up before the first was stored, and then found its photo attached
    (by the first): it is the same submission, answered 200 with that order, not refused."""
    photo = upload(api)
    first = partner_submit(api, key, external_id="HL-race-media", media=[photo])
    monkeypatch.setattr(storage, "get_claim", _missing_once(storage.get_claim))

    racer = partner_submit(api, key, 200, external_id="HL-race-media", media=[photo])

    assert racer == first and order_count() == 1


def _missing_once(get_claim):
    calls = []

    def first_call_finds_nothing(name):
        calls.append(name)
        return None if len(calls) == 1 else get_claim(name)

    return first_call_finds_nothing


def test_an_external_id_needs_a_partner_key(api):
    assert_error(api.post(REQUESTS, body(external_id="HL-1", anonymous=True)), 422, "validation_failed", "external_id")


@pytest.mark.parametrize("external_id", ["", "x" * 129])
def test_a_bad_external_id_is_refused(api, key, external_id):
    answer = api.post(REQUESTS, body(external_id=external_id), {"X-Api-Key": key})
    assert_error(answer, 422, "validation_failed", "external_id")
    assert order_count() == 0


@pytest.mark.parametrize("bad", ["nonsense", "hotline.0123456789ab.secret", "hotline.zz.secret", "web.0123456789ab.x"])
def test_an_unknown_key_is_401_and_writes_nothing(api, key, bad):
    assert_error(api.post(REQUESTS, body(), {"X-Api-Key": bad}), 401, "api_key_invalid")
    assert order_count() == 0


def test_a_revoked_key_is_403_at_once(api, staff, key):
    partner_submit(api, key)
    api.delete(f"{ADMIN_API}/hotline/api-keys/{key.split('.')[1]}", staff("admin"))
    assert_error(api.post(REQUESTS, body(), {"X-Api-Key": key}), 403, "api_key_revoked")
    assert order_count() == 1


def test_an_empty_key_header_is_no_key(api):
    """A resident's named request, then: it needs its SMS code."""
    assert_error(api.post(REQUESTS, body(), {"X-Api-Key": " "}), 422, "validation_failed", "contact.otp")


# ---- extra questions (the same for residents and partners) ----------------------------------

def test_a_category_with_a_required_question_needs_its_answer(api, key):
    answer = api.post(REQUESTS, body(category="traffic"), {"X-Api-Key": key})
    assert_error(answer, 422, "validation_failed", "answers.spot")
    answer = api.post(REQUESTS, body(category="traffic", answers={"spot": "moon", "colour": "red"}), {"X-Api-Key": key})
    error = assert_error(answer, 422, "validation_failed")
    assert error["fields"] == {"answers.spot": "不在可选范围内", "answers.colour": "该分类没有这个问题"}
    assert order_count() == 0


def test_answers_are_kept_and_shown_to_staff_by_their_names(api, staff, key):
    traffic = partner_submit(api, key, category="traffic", answers={"spot": "crossing"})
    pollution = partner_submit(api, key, category="pollution", answers={"kinds": ["noise", "smoke"]})
    residents = submit(api, category="utilities", answers={"service": "heating"})
    assert staff_view(api, staff, traffic["tracking_no"], "jj")["answers"] == [
        {"code": "spot", "question": "问题发生在什么地方？", "answer": "路口"}
    ]
    dispatcher = api.get(f"/api/v1/staff/requests/{pollution['tracking_no']}", staff("dispatcher")).json
    assert dispatcher["answers"] == [{"code": "kinds", "question": "属于哪类污染？（可多选）", "answer": "噪声、烟尘废气"}]
    assert raw_order(residents["tracking_no"])["answers"]["S"] == '{"service": "heating"}'
