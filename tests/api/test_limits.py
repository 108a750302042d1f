"""The caps on the public endpoints that cost money, each met the way it was abused.

- SMS pumping: codes asked for premium-rate numbers abroad, and from one address for many phones;
- a flood of anonymous submissions from one address; a partner's key, and the whole city;
- query codes guessed by the hundred on one tracking number (the burst in parallel is in
  tests/test_concurrency.py).

Every test runs on the frozen clock (Friday 10:00:00 in Liaoyuan): the windows are the clock's
minute, hour and day, and Retry-After counts the seconds to the end of the one that is full.
"""
from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

import boto3
import pytest

from chalicelib.domain.phones import to_e164
from chalicelib.services import runtime
from tests.api.resident_helpers import (
    COUNTERS,
    FRIDAY_10AM,
    OTP,
    PHONE,
    REQUESTS,
    act,
    assert_error,
    body,
    forget_otp,
    order_count,
    rate,
    sms_texts,
    track,
    verified,
)
from tests.open311.helpers import errors_of, issue_key

ATTACKER, NEIGHBOUR = "203.0.113.7", "198.51.100.23"
ANONYMOUS = body(anonymous=True, drop=("contact",))


def at(clock, seconds: float) -> None:
    clock.move_to(dt.datetime.fromisoformat(FRIDAY_10AM) + dt.timedelta(seconds=seconds))


def phone(n: int) -> str:
    return f"139{n:08d}"


def send(api, number: str, ip: str = ATTACKER):
    return api.post(OTP, {"phone": number}, ip=ip)


def limited(answer, retry_after: int | None = None) -> dict:
    error = assert_error(answer, 429, "rate_limited")
    assert int(answer.headers["Retry-After"]) >= 1, answer.headers
    if retry_after is not None:
        assert answer.headers["Retry-After"] == str(retry_after), answer.headers
    return error


def counters() -> list[dict]:
    return boto3.client("dynamodb").scan(TableName=COUNTERS, ConsistentRead=True)["Items"]


@pytest.fixture
def caps(monkeypatch):
    """caps(submissions={"city": {"minute": 3}}): the city with those caps instead of its own."""

    def set_caps(**sections):
        city = runtime.city()
        limits = city.limits.model_copy(
            update={
                name: getattr(city.limits, name).model_copy(
                    update={scope: type(getattr(city.limits, name).per_ip)(**caps) for scope, caps in scopes.items()}
                )
                for name, scopes in sections.items()
            }
        )
        changed = city.model_copy(update={"limits": limits})
        monkeypatch.setattr(runtime, "city", lambda: changed)

    return set_caps


# ---- SMS codes: where they may go ---------------------------------------------------

PREMIUM = ["+447700900123", "+12025550143", "+88234567890", "+6797012345", "+2348031234567",
           "+37061234567", "+9647701234567", "+252612345678"]


@pytest.mark.parametrize("number", PREMIUM)
def test_no_code_goes_to_a_number_abroad(api, clock, number):
    answer = send(api, number)

    error = assert_error(answer, 422, "validation_failed", "phone")
    assert "中国大陆手机号" in error["fields"]["phone"]
    assert sms_texts(number) == []


def test_a_country_the_city_lists_gets_codes(api, clock, monkeypatch):
    city = runtime.city()
    sms = city.sms.model_copy(update={"otp_country_codes": ("86", "852")})
    monkeypatch.setattr(runtime, "city", lambda: city.model_copy(update={"sms": sms}))

    assert send(api, "+85291234567").status == 200
    assert send(api, PHONE).status == 200
    assert_error(send(api, "+447700900123"), 422, "validation_failed", "phone")


def test_a_named_submission_needs_a_phone_that_can_receive_its_code(api, clock):
    named = body(contact={"name": "王秀英", "phone": "+447700900123", "otp": "123456"})

    answer = api.post(REQUESTS, named)

    assert_error(answer, 422, "validation_failed", "contact.phone")
    assert order_count() == 0


# ---- SMS codes: how many -------------------------------------------------------------

def test_one_address_gets_five_codes_a_minute_for_any_phones(api, clock):
    for n in range(5):
        assert send(api, phone(n)).status == 200
    at(clock, 20)

    limited(send(api, phone(5)), retry_after=40)  # the minute ends at 10:01
    assert sms_texts(to_e164(phone(5))) == []
    assert send(api, phone(5), ip=NEIGHBOUR).status == 200  # another address is not held up
    at(clock, 60)
    assert send(api, phone(6)).status == 200  # a new minute


def test_one_address_gets_twenty_codes_an_hour(api, clock):
    for n in range(20):
        at(clock, 60 * (n // 4))  # four a minute: under the minute's cap
        assert send(api, phone(n)).status == 200, n

    at(clock, 300)
    limited(send(api, phone(20)), retry_after=3300)  # until 11:00


def test_the_city_gets_sixty_codes_a_minute_from_any_addresses(api, clock):
    for n in range(60):
        assert send(api, phone(n), ip=f"10.0.{n}.1").status == 200, n

    limited(send(api, phone(60), ip="10.0.99.1"), retry_after=60)
    assert sms_texts(to_e164(phone(60))) == []


def test_the_counters_keep_no_address_and_expire_with_their_window(api, clock):
    assert send(api, PHONE).status == 200

    items = counters()
    assert items and not any(ATTACKER in str(item) for item in items)
    ends = {item["name"]["S"].split("#")[3]: int(item["expires_at"]["N"]) for item in items}
    start = dt.datetime.fromisoformat(FRIDAY_10AM)
    assert ends == {
        "minute": int((start + dt.timedelta(minutes=1)).timestamp()),
        "hour": int((start + dt.timedelta(hours=1)).timestamp()),
        "day": int(dt.datetime.fromisoformat("2026-11-21T00:00:00+08:00").timestamp()),
    }


def test_a_refused_request_uses_up_nothing(api, clock, caps):
    caps(otp={"per_ip": {"minute": 5, "hour": 6}})
    for n in range(5):
        assert send(api, phone(n)).status == 200
    for n in range(5, 9):
        limited(send(api, phone(n)))  # the minute is full: the hour is not counted either

    at(clock, 60)
    assert send(api, phone(9)).status == 200  # the hour's sixth
    limited(send(api, phone(10)), retry_after=3540)


# ---- submissions ---------------------------------------------------------------------

def test_thirty_anonymous_submissions_in_five_seconds_from_one_address(api, clock):
    answers = []
    for n in range(30):
        at(clock, n / 6)
        answers.append(api.post(REQUESTS, ANONYMOUS, ip=ATTACKER))

    assert [a.status for a in answers[:10]] == [201] * 10
    for answer in answers[10:]:
        limited(answer)
    assert answers[-1].headers["Retry-After"] == "56"  # 10:00:04.8 → 10:01
    assert order_count() == 10
    assert api.post(REQUESTS, ANONYMOUS, ip=NEIGHBOUR).status == 201


def test_a_verified_resident_is_not_counted_by_address(api, clock):
    for _ in range(10):
        assert api.post(REQUESTS, ANONYMOUS, ip=ATTACKER).status == 201
    limited(api.post(REQUESTS, ANONYMOUS, ip=ATTACKER))

    # A resident behind the same address (a carrier's NAT), with the SMS code of their phone.
    assert api.post(REQUESTS, verified(api, body()), ip=ATTACKER).status == 201


def test_a_made_up_sms_code_is_counted_by_address(api, clock):
    for _ in range(10):
        assert api.post(REQUESTS, ANONYMOUS, ip=ATTACKER).status == 201

    bluff = body(contact={"name": "王秀英", "phone": PHONE, "otp": "123456"})  # no code was ever sent
    limited(api.post(REQUESTS, bluff, ip=ATTACKER))


def test_a_partner_key_is_capped_per_key_not_per_address(api, staff, clock, caps):
    caps(submissions={"per_key": {"minute": 3}})
    hotline = {"X-Api-Key": issue_key(api, staff, "hotline")["api_key"]}
    grid = {"X-Api-Key": issue_key(api, staff, "grid")["api_key"]}

    for _ in range(3):
        assert api.post(REQUESTS, body(), hotline, ip=ATTACKER).status == 201
    limited(api.post(REQUESTS, body(), hotline, ip=NEIGHBOUR), retry_after=60)
    assert api.post(REQUESTS, body(), grid, ip=ATTACKER).status == 201
    assert api.post(REQUESTS, ANONYMOUS, ip=ATTACKER).status == 201  # the address was not counted


def test_the_city_caps_every_submission_whatever_its_source(api, staff, clock, caps):
    caps(submissions={"city": {"minute": 3}})
    hotline = {"X-Api-Key": issue_key(api, staff, "hotline")["api_key"]}
    assert api.post(REQUESTS, ANONYMOUS, ip=ATTACKER).status == 201
    assert api.post(REQUESTS, verified(api, body())).status == 201
    assert api.post(REQUESTS, body(), hotline).status == 201

    limited(api.post(REQUESTS, body(), hotline), retry_after=60)
    limited(api.post(REQUESTS, ANONYMOUS, ip=NEIGHBOUR), retry_after=60)
    assert order_count() == 3


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_is_capped_per_key_in_its_own_error_format(api, staff, clock, caps, fmt):
    caps(submissions={"per_key": {"minute": 2}})
    key = issue_key(api, staff, "open311")["api_key"]
    form = urlencode({"api_key": key, "service_code": "sanitation", "lat": "42.902", "long": "125.145",
                      "description": "小区门口的垃圾已经三天没有清运了"})
    headers = {"Content-Type": "application/x-www-form-urlencoded"}

    for _ in range(2):
        assert api.post(f"/open311/v2/requests.{fmt}", form, headers, ip=ATTACKER).status == 201
    answer = api.post(f"/open311/v2/requests.{fmt}", form, headers, ip=NEIGHBOUR)

    [description] = errors_of(answer, fmt, 429)
    assert "频繁" in description
    assert answer.headers["Retry-After"] == "60"


# ---- query codes ---------------------------------------------------------------------

def made(api) -> dict:
    return api.post(REQUESTS, ANONYMOUS, ip=NEIGHBOUR).json


def test_three_hundred_wrong_codes_on_one_number(api, clock):
    order = made(api)
    answers = []
    for n in range(300):
        at(clock, n * 16 / 300)
        answers.append(track(api, order["tracking_no"], f"WRONG{n:03d}"))

    assert [a.status for a in answers[:10]] == [404] * 10
    for answer in answers[10:]:
        limited(answer)
    assert answers[-1].headers["Retry-After"] == "3585"  # 10:00:15 → 11:00
    limited(track(api, order["tracking_no"], order["query_code"]))  # the right code too, while it lasts

    at(clock, 3600)  # the hour is over: the owner's code works again
    assert track(api, order["tracking_no"], order["query_code"]).status == 200


def test_the_tries_on_a_number_are_counted_from_any_address(api, clock):
    order = made(api)
    for n in range(10):
        assert api.get(f"{REQUESTS}/{order['tracking_no']}?code=WRONGONE", ip=f"10.1.{n}.1").status == 404
    limited(api.get(f"{REQUESTS}/{order['tracking_no']}?code=WRONGONE", ip="10.1.99.1"))


def test_an_unknown_number_answers_exactly_as_a_known_one(api, clock):
    known = made(api)["tracking_no"]
    unknown = known[:-4] + "0999"

    def tries(i: int, number: str) -> list:
        answers = [api.get(f"{REQUESTS}/{number}?code=WRONGONE", ip=f"10.2.{n}.{i}") for n in range(12)]
        return [(a.status, a.json, a.headers.get("Retry-After")) for a in answers]

    seen = {number: tries(i, number) for i, number in enumerate((known, unknown))}
    assert seen[known] == seen[unknown]
    assert [status for status, _, _ in seen[unknown]] == [404] * 10 + [429] * 2


def test_one_address_gets_ten_wrong_codes_an_hour_on_any_numbers(api, clock):
    known = made(api)["tracking_no"]
    for n in range(10):  # unknown numbers, and strings that cannot be numbers
        number = known[:-4] + f"{n + 100:04d}" if n % 2 else f"nothing-{n}"
        assert api.get(f"{REQUESTS}/{number}?code=WRONGONE", ip=ATTACKER).status == 404

    limited(api.get(f"{REQUESTS}/{known}?code=WRONGONE", ip=ATTACKER), retry_after=3600)
    assert api.get(f"{REQUESTS}/{known}?code=WRONGONE", ip=NEIGHBOUR).status == 404


def test_the_right_code_is_no_wrong_try(api, clock):
    order = made(api)
    for _ in range(30):
        assert track(api, order["tracking_no"], order["query_code"]).status == 200
    for _ in range(10):
        assert track(api, order["tracking_no"], "WRONGONE").status == 404
    limited(track(api, order["tracking_no"], "WRONGONE"))


def test_wrong_codes_in_ratings_count_too(api, staff, clock):
    order = made(api)
    for n in range(10):
        assert rate(api, order["tracking_no"], f"WRONG{n:03d}", 5).status == 404
    limited(rate(api, order["tracking_no"], order["query_code"], 5))
    limited(track(api, order["tracking_no"], order["query_code"]))  # one count for both
