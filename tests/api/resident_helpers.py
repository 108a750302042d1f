"""Shared by the residents' API tests: request bodies, uploads as a browser makes
them, staff steps, raw reads of what was stored, and the no-Scan watch.

Raw reads (get_item, scan) are the tests' own and happen outside API calls, so
the watch does not count them: it records AWS operations only while a request
is being served.
"""
from __future__ import annotations

import itertools
import re

import boto3

from tests.media_samples import file_of

BUCKET = "suqiu-test-media"
ORDERS = "suqiu-test-orders"
COUNTERS = "suqiu-test-counters"
IDEMPOTENCY = "suqiu-test-idempotency"
OTP_TABLE = "suqiu-test-otp"
REQUESTS = "/api/v1/requests"
UPLOADS = "/api/v1/uploads"
OTP = "/api/v1/otp"

NAME, PHONE = "王秀英", "13904371234"
# A Friday morning in Liaoyuan; 5 working days later is the next Friday, same hour.
FRIDAY_10AM = "2026-11-20T10:00:00+08:00"
FRIDAY_DAY = "20261120"
SANITATION_DUE = "2026-11-27T10:00:00+08:00"


# What an "other" request says unless a test says otherwise: nothing the category
# suggestion would route, so it waits for the dispatcher.
OTHER_DESCRIPTION = "想咨询一下办理户口迁移需要带哪些材料"


def body(*, drop: tuple[str, ...] = (), **overrides) -> dict:
    """A named sanitation complaint in 龙山区 (routed to lsq-cg, 5 working days)."""
    base = {
        "type": "complaint",
        "category": "sanitation",
        "description": "小区门口的垃圾已经三天没有清运了",
        "location": {"lat": 42.902, "lng": 125.145, "coord_system": "gcj02", "address": "龙山区向阳街道人民大街8号"},
        "area": "220402",
        "anonymous": False,
        "contact": {"name": NAME, "phone": PHONE},
    }
    if overrides.get("category") == "other":
        base["description"] = OTHER_DESCRIPTION
    return {k: v for k, v in {**base, **overrides}.items() if k not in drop}


def grant_upload(api, content_type: str = "image/jpeg", size: int = 2048) -> dict:
    answer = api.post(UPLOADS, {"filename": "现场.jpg", "content_type": content_type, "size": size})
    assert answer.status == 201, answer
    return answer.json


def put_object(grant: dict, content_type: str, size: int, content: bytes | None = None) -> None:
    """What the browser's POST to S3 would store (moto does not enforce the policy): a file of
    ``content_type`` unless ``content`` says what."""
    boto3.client("s3").put_object(
        Bucket=BUCKET,
        Key=grant["fields"]["key"],
        Body=file_of(content_type, size) if content is None else content,
        ContentType=content_type,
    )


def upload(api, content_type: str = "image/jpeg", size: int = 2048) -> str:
    """An upload granted and completed as declared; its id."""
    grant = grant_upload(api, content_type, size)
    put_object(grant, content_type, size)
    return grant["upload_id"]


_VISITS = itertools.count(1)


def visitor() -> str:
    """A source address of its own: what the helpers send stands for another resident's visit each
    time (the caps per address have their own tests, test_limits.py)."""
    n = next(_VISITS)
    return f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}"


def submit(api, headers: dict | None = None, **overrides) -> dict:
    answer = api.post(REQUESTS, verified(api, body(**overrides)), headers, ip=visitor())
    assert answer.status == 201, answer
    return answer.json


def track(api, tracking_no: str, code: str):
    return api.get(f"{REQUESTS}/{tracking_no}?code={code}")


def rate(api, tracking_no: str, code: str, stars, **extra):
    return api.post(f"{REQUESTS}/{tracking_no}/rating", {"code": code, "stars": stars, **extra})


def act(api, staff, tracking_no: str, action: str, unit: str = "lsq-cg", **params) -> dict:
    """A handler of ``unit`` takes ``action`` on the order's current version."""
    headers = staff("handler", unit)
    detail = api.get(f"/api/v1/staff/requests/{tracking_no}", headers)
    assert detail.status == 200, detail
    answer = api.post(
        f"/api/v1/staff/requests/{tracking_no}/actions",
        {"action": action, "version": detail.json["version"], **params},
        headers,
    )
    assert answer.status == 200, answer
    return answer.json


def staff_view(api, staff, tracking_no: str, unit: str = "lsq-cg") -> dict:
    answer = api.get(f"/api/v1/staff/requests/{tracking_no}", staff("handler", unit))
    assert answer.status == 200, answer
    return answer.json


def assert_error(answer, status: int, code: str, field: str | None = None) -> dict:
    """The one error format; ``field`` must be among the named fields."""
    assert answer.status == status, answer
    assert set(answer.json) == {"error"}, answer
    error = answer.json["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert error["code"] == code, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["fields"], dict), error
    if field is not None:
        assert field in error["fields"], error
    return error


# ---- phone verification: the codes residents read from their SMS --------------

def sms_texts(phone: str) -> list[str]:
    """What moto's SNS recorded for ``phone`` (E.164), oldest first."""
    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.sns import sns_backends

    recorded = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()
    return [text for number, text in recorded if number == phone]


def otp_pattern() -> re.Pattern:
    """A verification SMS as the city's template words it; group 1 is the code."""
    from chalicelib.services import runtime

    sms = runtime.city().sms
    pattern = re.escape(f"【{sms.signature}】" + sms.templates["otp"])
    return re.compile(pattern.replace(re.escape("{code}"), r"([0-9]{6})").replace(re.escape("{minutes}"), "5"))


def otp_in(text: str) -> str:
    found = otp_pattern().fullmatch(text)
    assert found, text
    return found.group(1)


def request_otp(api, phone: str = PHONE) -> str:
    """Ask for a code for ``phone`` and read it from the one SMS that brought it."""
    from chalicelib.domain.phones import to_e164

    number = to_e164(phone)
    before = len(sms_texts(number))
    answer = api.post(OTP, {"phone": phone}, ip=visitor())
    assert answer.status == 200, answer
    [text] = sms_texts(number)[before:]
    return otp_in(text)


def forget_otp(phone: str = PHONE) -> None:
    """Drop the phone's verification record, rate-limit history included."""
    from chalicelib.domain.phones import to_e164
    from chalicelib.services.verification import phone_hash

    key = {"phone_hash": {"S": phone_hash(to_e164(phone))}}
    boto3.client("dynamodb").delete_item(TableName=OTP_TABLE, Key=key)


def verified(api, payload: dict) -> dict:
    """``payload`` with a fresh code for its contact's phone, if it is a named request.

    Each named submission here stands for a visit of its own, so the phone's send
    history is forgotten first: the rate limits have their own tests (test_otp.py).
    """
    from chalicelib.domain.phones import to_e164

    contact = payload.get("contact") if isinstance(payload, dict) else None
    if not isinstance(contact, dict) or payload.get("anonymous") or not to_e164(str(contact.get("phone"))):
        return payload  # not a named request, or one refused before any code is looked at
    forget_otp(contact["phone"])
    return {**payload, "contact": {**contact, "otp": request_otp(api, contact["phone"])}}


# ---- raw reads ---------------------------------------------------------------

def raw_order(tracking_no: str) -> dict | None:
    key = {"tracking_no": {"S": tracking_no}}
    return boto3.client("dynamodb").get_item(TableName=ORDERS, Key=key, ConsistentRead=True).get("Item")


def order_count() -> int:
    return boto3.client("dynamodb").scan(TableName=ORDERS, Select="COUNT", ConsistentRead=True)["Count"]


def counter(day: str) -> int | None:
    key = {"name": {"S": f"LY#{day}"}}
    item = boto3.client("dynamodb").get_item(TableName=COUNTERS, Key=key, ConsistentRead=True).get("Item")
    return int(item["value"]["N"]) if item else None


def idempotency_records() -> list[dict]:
    return boto3.client("dynamodb").scan(TableName=IDEMPOTENCY, ConsistentRead=True)["Items"]


def bucket_keys(prefix: str) -> list[str]:
    listing = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix)
    return [o["Key"] for o in listing.get("Contents", [])]
