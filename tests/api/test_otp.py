"""Phone verification (实名): SMS codes and their limits, named submissions, the resident's own list."""
from __future__ import annotations

import datetime as dt
import sys

import boto3
import jwt
import pytest

from chalicelib.adapters.crypto import get_cipher
from chalicelib.observability import logger
from chalicelib.services import verification
from tests.api.resident_helpers import (
    FRIDAY_10AM,
    OTP,
    OTP_TABLE,
    PHONE,
    REQUESTS,
    assert_error,
    body,
    bucket_keys,
    forget_otp,
    grant_upload,
    order_count,
    otp_in,
    raw_order,
    request_otp,
    sms_texts,
    staff_view,
    submit,
    upload,
    verified,
)

PHONE_E164 = "+86" + PHONE
OTHER = "13812345678"
VERIFY = "/api/v1/otp/verify"
MINE = "/api/v1/me/requests"
KEY = {"Idempotency-Key": "0d7c1e52-5b9a-4f7e-8c3d-2a6b9e1f4c80"}


def send(api, phone: str = PHONE):
    return api.post(OTP, {"phone": phone})


def check(api, code: str, phone: str = PHONE):
    return api.post(VERIFY, {"phone": phone, "code": code})


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def otp_item(phone: str = PHONE) -> dict | None:
    key = {"phone_hash": {"S": verification.phone_hash("+86" + phone)}}
    return boto3.client("dynamodb").get_item(TableName=OTP_TABLE, Key=key, ConsistentRead=True).get("Item")


def at(clock, seconds: float) -> None:
    """Move the frozen clock to ``seconds`` after the Friday morning the tests start at."""
    clock.move_to(dt.datetime.fromisoformat(FRIDAY_10AM) + dt.timedelta(seconds=seconds))


def token_for(api, phone: str = PHONE) -> str:
    forget_otp(phone)
    answer = check(api, request_otp(api, phone), phone)
    assert answer.status == 200, answer
    return answer.json["token"]


def mine(api, token: str, query: str = ""):
    return api.get(f"{MINE}{query}", {"Authorization": f"Bearer {token}"})


# ---- sending a code ------------------------------------------------------------

def test_a_code_goes_by_sms_in_the_city_template_to_the_e164_number(api, clock):
    answer = send(api, "139 0437 1234")

    assert answer.status == 200, answer
    assert answer.json == {"expires_in": 300, "resend_in": 60}
    [text] = sms_texts(PHONE_E164)
    assert text == f"【辽源民生诉求】您的验证码是{otp_in(text)}，5分钟内有效。请勿告诉他人。"


@pytest.mark.parametrize("phone", ["0437-3212345", "12345", "23904371234", "+8604373212345"])
def test_a_number_that_cannot_take_an_sms_gets_no_code(api, phone):
    assert_error(send(api, phone), 422, "validation_failed", "phone")


def test_a_phone_gets_one_code_a_minute(api, clock):
    assert send(api).status == 200
    at(clock, 45)
    refused = send(api)
    at(clock, 60)
    again = send(api)

    assert_error(refused, 429, "rate_limited")
    assert refused.headers["Retry-After"] == "15"
    assert again.status == 200, again
    assert len(sms_texts(PHONE_E164)) == 2


def test_a_phone_gets_five_codes_an_hour(api, clock):
    for minute in range(5):
        at(clock, minute * 60)
        assert send(api).status == 200
    at(clock, 5 * 60)
    sixth = send(api)
    at(clock, 60 * 60)  # the first send has left the hour
    later = send(api)

    assert_error(sixth, 429, "rate_limited")
    assert sixth.headers["Retry-After"] == str(55 * 60)
    assert later.status == 200, later
    assert len(sms_texts(PHONE_E164)) == 6


def test_the_limits_are_per_phone(api, clock):
    assert send(api).status == 200

    assert send(api).status == 429
    assert send(api, OTHER).status == 200


def test_a_request_that_lost_the_race_to_another_sends_nothing(api, clock, monkeypatch):
    assert send(api).status == 200
    # As if this request had read the phone's record before the first one wrote it.
    monkeypatch.setattr(verification.storage, "get_otp", lambda key: None)

    assert_error(send(api), 429, "rate_limited")
    assert len(sms_texts(PHONE_E164)) == 1


class _DownSender:
    def send(self, phone: str, text: str) -> None:
        raise ConnectionError("the SMS provider is down")


@pytest.mark.parametrize("earlier_code", [False, True], ids=["first-code", "after-an-earlier-code"])
def test_when_the_sms_fails_the_answer_is_503_and_the_phone_is_left_as_it_was(api, clock, monkeypatch, earlier_code):
    if earlier_code:
        request_otp(api)
        at(clock, 60)
    before = otp_item()
    with monkeypatch.context() as patch:
        patch.setattr(verification, "get_sender", lambda: _DownSender())
        answer = send(api)

    assert_error(answer, 503, "sms_unavailable")
    assert otp_item() == before  # no new code, and its send not counted
    assert send(api).status == 200  # no wait imposed by the failed attempt


# ---- verifying a code ----------------------------------------------------------

def test_the_right_code_gives_a_30_minute_resident_token(api, clock):
    answer = check(api, request_otp(api))

    assert answer.status == 200, answer
    assert answer.json["expires_in"] == 1800
    claims = jwt.decode(answer.json["token"], options={"verify_signature": False})
    assert claims["sub"] == get_cipher().keyed_hash("phone", PHONE_E164)
    assert claims["aud"] == "suqiu-resident"
    assert claims["exp"] - claims["iat"] == 1800
    assert jwt.get_unverified_header(answer.json["token"])["alg"] == "HS256"


@pytest.mark.parametrize("seconds, status", [(299, 200), (300, 422)], ids=["4m59s", "5m"])
def test_a_code_lives_five_minutes(api, clock, seconds, status):
    code = request_otp(api)
    at(clock, seconds)

    assert check(api, code).status == status


@pytest.mark.parametrize("wrong_tries, status", [(4, 200), (5, 422)])
def test_five_wrong_tries_burn_the_code(api, clock, wrong_tries, status):
    code = request_otp(api)
    for _ in range(wrong_tries):
        assert_error(check(api, wrong(code)), 422, "validation_failed", "code")

    assert check(api, code).status == status
    assert "code_hash" not in otp_item()  # used or burnt: gone either way


def test_a_code_works_once(api, clock):
    code = request_otp(api)

    assert check(api, code).status == 200
    assert_error(check(api, code), 422, "validation_failed", "code")


def test_a_code_sent_to_one_phone_proves_no_other(api, clock):
    code = request_otp(api)

    assert_error(check(api, code, OTHER), 422, "validation_failed", "code")
    assert check(api, code).status == 200  # and the try at the other phone cost this one nothing


@pytest.mark.parametrize("code", ["12345", "1234567", "１２３４５６", "abcdef"])
def test_a_code_that_is_not_six_digits_is_refused(api, code):
    assert_error(check(api, code), 422, "validation_failed", "code")


# ---- named submissions ---------------------------------------------------------

def test_a_named_request_without_a_code_is_refused(api, clock):
    assert_error(api.post(REQUESTS, body()), 422, "validation_failed", "contact.otp")
    assert order_count() == 0


def test_a_named_request_with_a_wrong_code_is_refused_and_costs_a_try(api, clock):
    payload = verified(api, body(media=[upload(api)]))
    payload["contact"]["otp"] = wrong(payload["contact"]["otp"])

    assert_error(api.post(REQUESTS, payload), 422, "validation_failed", "contact.otp")
    assert order_count() == 0
    assert bucket_keys("media/") == []
    assert otp_item()["attempts"] == {"N": "1"}


def test_a_verified_request_is_marked_for_staff_and_keeps_the_phones_hash(api, staff, clock):
    no = submit(api)["tracking_no"]

    assert staff_view(api, staff, no)["verified"] is True
    [item] = api.get("/api/v1/staff/requests?unit=lsq-cg", staff("dispatcher")).json["items"]
    assert item["verified"] is True
    stored = raw_order(no)
    assert stored["verified"] == {"BOOL": True}
    assert stored["phone_hash"] == {"S": verification.phone_hash(PHONE_E164)}


def test_the_queue_can_take_verified_requests_first(api, staff, clock):
    named = submit(api)["tracking_no"]
    anonymous = submit(api, anonymous=True, contact=None)["tracking_no"]
    queue = "/api/v1/staff/requests?unit=lsq-cg&verified="

    assert [i["tracking_no"] for i in api.get(queue + "true", staff("dispatcher")).json["items"]] == [named]
    assert [i["tracking_no"] for i in api.get(queue + "false", staff("dispatcher")).json["items"]] == [anonymous]


def test_an_anonymous_request_needs_no_code_and_is_not_marked(api, staff, clock):
    no = submit(api, anonymous=True, contact=None)["tracking_no"]

    assert staff_view(api, staff, no)["verified"] is False
    assert "phone_hash" not in raw_order(no)


def test_one_code_makes_one_request_but_a_keyed_retry_gets_its_answer(api, clock):
    payload = verified(api, body())
    first = api.post(REQUESTS, payload, KEY)

    retry = api.post(REQUESTS, payload, KEY)
    another = api.post(REQUESTS, payload, {"Idempotency-Key": "a-second-submission-0001"})

    assert first.status == retry.status == 201, (first, retry)
    assert retry.json == first.json
    assert_error(another, 422, "validation_failed", "contact.otp")
    assert order_count() == 1


def test_a_code_used_to_verify_cannot_make_a_request(api, clock):
    payload = verified(api, body())
    assert check(api, payload["contact"]["otp"]).status == 200

    assert_error(api.post(REQUESTS, payload), 422, "validation_failed", "contact.otp")


def test_a_submission_that_failed_leaves_its_code_usable(api, clock):
    grant = grant_upload(api)  # granted, never uploaded
    payload = verified(api, body(media=[grant["upload_id"]]))
    assert_error(api.post(REQUESTS, payload), 422, "validation_failed", "media.0")

    assert api.post(REQUESTS, {**payload, "media": []}).status == 201


# ---- the resident's own requests -----------------------------------------------

@pytest.fixture
def history(api, clock):
    """Three requests from PHONE a minute apart, one from another phone, one anonymous."""
    numbers = []
    for description in ("第一次：路灯不亮了很久", "第二次：井盖丢失很危险", "第三次：垃圾没人清运"):
        numbers.append(submit(api, description=description)["tracking_no"])
        clock.tick(60)
    submit(api, contact={"name": "李四", "phone": OTHER})
    submit(api, anonymous=True, contact=None)
    return numbers


def test_my_requests_are_those_of_my_phone_newest_first(api, history):
    answer = mine(api, token_for(api))

    assert answer.status == 200, answer
    assert [i["tracking_no"] for i in answer.json["items"]] == history[::-1]
    assert answer.json["cursor"] is None
    assert answer.json["items"][-1] == {
        "tracking_no": history[0],
        "type": {"code": "complaint", "name": "投诉"},
        "category": {"code": "sanitation", "name": "环境卫生"},
        "area": {"code": "220402", "name": "龙山区"},
        "summary": "第一次：路灯不亮了很久",
        "status": "处理中",
        "state": "dispatched",
        "state_label": "待签收",
        "unit": {"code": "lsq-cg", "name": "龙山区城市管理局"},
        "created_at": "2026-11-20T10:00:00+08:00",
        "due_at": "2026-11-27T10:00:00+08:00",
    }


def test_my_requests_come_in_pages(api, history):
    token = token_for(api)
    first = mine(api, token, "?limit=2")
    second = mine(api, token, f"?limit=2&cursor={first.json['cursor']}")

    assert [i["tracking_no"] for i in first.json["items"]] == history[:0:-1]
    assert [i["tracking_no"] for i in second.json["items"]] == history[:1]
    assert second.json["cursor"] is None


@pytest.mark.parametrize("query, field", [("?limit=51", "limit"), ("?limit=0", "limit"), ("?cursor=xyz", "cursor")])
def test_a_bad_page_request_is_refused(api, clock, query, field):
    assert_error(mine(api, token_for(api), query), 422, "validation_failed", field)


def _forged(**changes) -> str:
    now = int(dt.datetime.fromisoformat(FRIDAY_10AM).timestamp())
    claims = {"sub": verification.phone_hash(PHONE_E164), "aud": "suqiu-resident", "iat": now, "exp": now + 600}
    key = changes.pop("key", get_cipher().token_key())
    return jwt.encode({**claims, **changes}, key, algorithm="HS256")


@pytest.mark.parametrize(
    ("authorization", "code"),
    [
        (None, "unauthenticated"),
        ("Bearer not-a-token", "token_invalid"),
        (f"Token {_forged()}", "unauthenticated"),
        (f"Bearer {_forged(aud='suqiu-test')}", "token_invalid"),
        (f"Bearer {_forged(key=b'k' * 32)}", "token_invalid"),
        (
            f"Bearer {jwt.encode({'sub': 'x', 'aud': 'suqiu-resident'}, get_cipher().token_key(), algorithm='HS256')}",
            "token_invalid",
        ),
    ],
    ids=["none", "garbage", "not-bearer", "other-audience", "other-key", "no-expiry"],
)
def test_only_a_residents_own_valid_token_opens_the_list(api, clock, authorization, code):
    headers = {"Authorization": authorization} if authorization else {}

    assert_error(api.get(MINE, headers), 401, code)


@pytest.mark.parametrize("claim", ["exp", "iat"])
def test_a_token_whose_times_are_not_numbers_is_refused(api, clock, claim):
    now = int(dt.datetime.fromisoformat(FRIDAY_10AM).timestamp())
    as_text = {"exp": str(now + 600), "iat": str(now)}  # PyJWT reads a number from these itself

    assert_error(api.get(MINE, {"Authorization": f"Bearer {_forged(**{claim: as_text[claim]})}"}), 401, "token_invalid")


def test_a_staff_token_does_not_open_the_residents_list_nor_the_other_way_round(api, staff, clock):
    assert_error(api.get(MINE, staff("dispatcher")), 401, "token_invalid")
    resident = {"Authorization": f"Bearer {token_for(api)}"}
    assert api.get("/api/v1/staff/requests", resident).status == 401


@pytest.mark.parametrize("minutes, status", [(29, 200), (31, 401)])
def test_the_token_lasts_30_minutes(api, clock, minutes, status):
    token = token_for(api)
    clock.tick(minutes * 60)

    answer = mine(api, token)

    assert answer.status == status, answer
    if status == 401:
        assert answer.json["error"]["code"] == "token_expired"


# ---- secrets -------------------------------------------------------------------

def test_codes_are_never_logged_nor_stored_in_clear(api, clock, capsys, monkeypatch):
    # Powertools' handler kept the stdout of import time; point it at the one capsys captures.
    monkeypatch.setattr(logger.registered_handler, "stream", sys.stdout)
    codes = iter(["482915", "730264", "915837"])  # known, so that a match cannot be a coincidence
    monkeypatch.setattr(verification, "_new_code", lambda: next(codes))

    assert check(api, "000000").status == 422  # a wrong try: refused and logged
    assert check(api, request_otp(api)).status == 200
    forget_otp()
    submit(api)
    forget_otp()
    request_otp(api)  # sent, never used

    logs = capsys.readouterr().out
    assert '"route":"/api/v1/otp/verify"' in logs  # the capture works
    dynamodb = boto3.client("dynamodb")
    stored = repr([dynamodb.scan(TableName=t)["Items"] for t in dynamodb.list_tables()["TableNames"]])
    assert verification.phone_hash(PHONE_E164) in stored  # the scan sees the verification records
    for code in ("482915", "730264", "915837"):
        assert code not in logs and code not in stored
