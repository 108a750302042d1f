"""Staff endpoints refuse callers without a valid token (401) or without a usable role (403)."""
from __future__ import annotations

import time

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from tests.api.staff_helpers import API, DISPATCHER, START, assert_error

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

ENDPOINTS = ["list", "detail", "act"]


def call(desk, endpoint: str, no: str, headers: dict):
    if endpoint == "list":
        return desk.api.get(f"{API}/staff/requests", headers)
    if endpoint == "detail":
        return desk.api.get(f"{API}/staff/requests/{no}", headers)
    body = {"action": "priority", "version": 2, "on": True}
    return desk.api.post(f"{API}/staff/requests/{no}/actions", body, headers)


@pytest.fixture
def order_no(desk) -> str:
    return desk.submit("sanitation", "220402")["tracking_no"]  # → lsq-cg, version 2


@pytest.fixture(scope="module")
def stranger_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def forged(issuer, key) -> str:
    """A token that looks like the issuer's (its kid, its claims) but is signed by another key."""
    now = int(time.time())
    claims = {
        "iss": issuer.issuer, "aud": issuer.audience, "sub": "mallory", "iat": now, "exp": now + 3600,
        "cognito:groups": ["dispatcher"],
    }
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": issuer.kid})


UNAUTHENTICATED = {
    "no header": lambda issuer, key: {},
    "empty header": lambda issuer, key: {"Authorization": ""},
    "basic scheme": lambda issuer, key: {"Authorization": "Basic ZGlzcGF0Y2hlcjpkZW1v"},
    "bearer without token": lambda issuer, key: {"Authorization": "Bearer"},
    "not a jwt": lambda issuer, key: bearer("not.a.jwt"),
    "forged": lambda issuer, key: bearer(forged(issuer, key)),
    "expired": lambda issuer, key: bearer(issuer.mint("d", "dispatcher", exp=int(time.time()) - 3600)),
    "wrong issuer": lambda issuer, key: bearer(issuer.mint("d", "dispatcher", iss="https://evil.example")),
    "wrong audience": lambda issuer, key: bearer(issuer.mint("d", "dispatcher", aud="another-app")),
}
UNAUTHENTICATED_CODES = {
    "no header": "unauthenticated",
    "empty header": "unauthenticated",
    "basic scheme": "unauthenticated",
    "bearer without token": "unauthenticated",
    "expired": "token_expired",
}


@pytest.mark.parametrize("case", list(UNAUTHENTICATED))
def test_without_a_valid_token_every_staff_endpoint_answers_401(desk, issuer, stranger_key, order_no, case):
    headers = UNAUTHENTICATED[case](issuer, stranger_key)

    for endpoint in ENDPOINTS:
        answer = call(desk, endpoint, order_no, headers)
        assert_error(answer, 401, UNAUTHENTICATED_CODES.get(case, "token_invalid"), set())
        assert answer.headers["WWW-Authenticate"] == "Bearer", endpoint


FORBIDDEN = {
    "unknown role": (["janitor"], None, "forbidden_role"),
    "no role": ([], None, "forbidden_role"),
    "two roles": (["dispatcher", "leader"], None, "forbidden_role"),
    "handler of a unit the city lacks": ("handler", "nowhere", "forbidden_unit"),
    "handler without a unit": ("handler", None, "forbidden_unit"),
}


@pytest.mark.parametrize("case", list(FORBIDDEN))
def test_a_token_without_a_usable_role_answers_403(desk, issuer, order_no, case):
    role, unit, code = FORBIDDEN[case]
    headers = bearer(issuer.mint("someone", role, unit))

    for endpoint in ENDPOINTS:
        answer = call(desk, endpoint, order_no, headers)
        assert_error(answer, 403, code, set())
        assert "WWW-Authenticate" not in answer.headers, endpoint


def test_a_valid_token_gets_through_every_staff_endpoint(desk, order_no):
    statuses = [call(desk, endpoint, order_no, desk.headers(DISPATCHER)).status for endpoint in ENDPOINTS]

    assert statuses == [200, 200, 200]


def test_an_unsigned_in_action_writes_nothing(desk, order_no):
    call(desk, "act", order_no, {})

    assert desk.order(order_no)["version"] == 2


def test_the_guard_sees_the_queries_staff_make(desk, aws_calls):  # noqa: F811
    desk.list()

    assert "Query" in [name for name, _ in aws_calls]
