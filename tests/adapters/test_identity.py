from __future__ import annotations

import base64
import hashlib
import socket
import time
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from moto.server import ThreadedMotoServer

from chalicelib.adapters.identity import AuthError, Principal, TokenVerifier, token_use_for
from infra.issuer import SignInPage
from infra.staff_pool import DEMO_PASSWORD, StaffPool, create_staff_pool
from tests.token_issuer import TokenIssuer

KNOWN_UNITS = {"U-WATER", "U-ROADS"}


@pytest.fixture(scope="module")
def issuer():
    """The tests' own key pair: the verifier's refusals need tokens no real issuer would sign."""
    local = TokenIssuer(audience="suqiu-local")
    yield local
    local.stop()


def make_verifier(issuer: TokenIssuer, **overrides) -> TokenVerifier:
    settings = {
        "issuer": issuer.issuer,
        "audience": issuer.audience,
        "jwks_url": issuer.jwks_url,
        "unit_exists": lambda code: code in KNOWN_UNITS,
    }
    return TokenVerifier(**{**settings, **overrides})


@pytest.fixture(scope="module")
def verifier(issuer):
    return make_verifier(issuer)


def bearer(token: str) -> str:
    return f"Bearer {token}"


def refusal(verifier: TokenVerifier, header: str | None) -> tuple[int, str]:
    with pytest.raises(AuthError) as caught:
        verifier.verify(header)
    return caught.value.status, caught.value.code


@pytest.mark.parametrize(
    ("role", "unit", "expected_unit"),
    [
        ("dispatcher", None, None),
        ("leader", "U-ROADS", "U-ROADS"),
        ("admin", "U-GONE", None),  # only known units are passed through
        ("handler", "U-WATER", "U-WATER"),
    ],
)
def test_valid_token_verifies_to_principal(issuer, verifier, role, unit, expected_unit):
    token = issuer.mint("user-1", role, unit, name="张三")

    assert verifier.verify(bearer(token)) == Principal("user-1", role, expected_unit, "张三")


def test_scheme_is_case_insensitive_and_unknown_groups_are_ignored(issuer, verifier):
    token = issuer.mint("user-2", ["Everyone", "leader"])

    assert verifier.verify(f"bearer {token}") == Principal("user-2", "leader", None)


def test_roles_claim_may_be_a_plain_string(issuer, verifier):
    token = issuer.mint("user-3", [], **{"cognito:groups": "admin"})

    assert verifier.verify(bearer(token)).role == "admin"


def test_expiry_within_clock_skew_is_accepted(issuer, verifier):
    now = int(time.time())
    token = issuer.mint("user-4", "admin", iat=now - 600, exp=now - 10)

    assert verifier.verify(bearer(token)).subject == "user-4"


@pytest.mark.parametrize("header", [None, "", "Bearer", "Basic dXNlcjpwdw==", "Token abc", "Bearer a b"])
def test_missing_or_malformed_header_is_unauthenticated(verifier, header):
    assert refusal(verifier, header) == (401, "unauthenticated")


def test_garbage_token_is_invalid(verifier):
    assert refusal(verifier, bearer("not-a-jwt")) == (401, "token_invalid")


def test_token_signed_by_another_key_with_same_kid_is_invalid(issuer, verifier):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = int(time.time())
    claims = {"iss": issuer.issuer, "aud": issuer.audience, "sub": "mallory",
              "iat": now, "exp": now + 600, "cognito:groups": ["admin"]}
    forged = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": issuer.kid})

    assert refusal(verifier, bearer(forged)) == (401, "token_invalid")


def test_token_with_unknown_kid_is_invalid(issuer, verifier):
    other_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = jwt.decode(issuer.mint("mallory", "admin"), options={"verify_signature": False})
    forged = jwt.encode(claims, other_key, algorithm="RS256", headers={"kid": "other"})

    assert refusal(verifier, bearer(forged)) == (401, "token_invalid")


@pytest.mark.parametrize("claim", ["exp", "iat", "nbf"])
def test_a_token_whose_times_are_not_numbers_is_invalid(issuer, verifier, claim):
    now = int(time.time())
    token = issuer.mint("user-6", "admin", **{claim: str(now + 600 if claim == "exp" else now - 60)})

    assert refusal(verifier, bearer(token)) == (401, "token_invalid")


def test_a_cognito_access_token_is_not_an_id_token(issuer):
    verifier = make_verifier(issuer, token_use="id")

    assert refusal(verifier, bearer(issuer.mint("user-7", "admin", token_use="access"))) == (401, "token_invalid")
    assert refusal(verifier, bearer(issuer.mint("user-7", "admin", token_use=None))) == (401, "token_invalid")
    assert verifier.verify(bearer(issuer.mint("user-7", "admin"))).subject == "user-7"


@pytest.mark.parametrize(
    ("issuer_url", "token_use"),
    [
        ("https://cognito-idp.cn-north-1.amazonaws.com.cn/cn-north-1_AbC123", "id"),
        ("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123", "id"),
        ("https://sso.liaoyuan.gov.cn/realms/staff", None),
        ("https://cognito-idp.us-east-1.amazonaws.com.evil.example/x", None),
    ],
)
def test_tokens_of_cognito_must_be_id_tokens(issuer_url, token_use):
    assert token_use_for(issuer_url) == token_use


def test_expired_token(issuer, verifier):
    now = int(time.time())
    token = issuer.mint("user-5", "admin", iat=now - 7200, exp=now - 3600)

    assert refusal(verifier, bearer(token)) == (401, "token_expired")


@pytest.mark.parametrize("claim", [{"iss": "https://evil.example"}, {"aud": "another-app"}])
def test_wrong_issuer_or_audience_is_invalid(issuer, verifier, claim):
    token = issuer.mint("user-6", "admin", **claim)

    assert refusal(verifier, bearer(token)) == (401, "token_invalid")


def test_unreachable_key_set_is_reported(issuer):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    verifier = make_verifier(issuer, jwks_url=f"http://127.0.0.1:{closed_port}/.well-known/jwks.json")

    assert refusal(verifier, bearer(issuer.mint("user-7", "admin"))) == (401, "keys_unavailable")


@pytest.mark.parametrize(
    "groups", [[], ["dispatcher", "leader"], ["superuser"]], ids=["none", "two", "unknown-only"]
)
def test_token_without_exactly_one_role_is_forbidden(issuer, verifier, groups):
    token = issuer.mint("user-8", groups)

    assert refusal(verifier, bearer(token)) == (403, "forbidden_role")


@pytest.mark.parametrize("unit", [None, "U-GONE"], ids=["no-unit", "unknown-unit"])
def test_handler_needs_an_existing_unit(issuer, verifier, unit):
    token = issuer.mint("user-9", "handler", unit)

    assert refusal(verifier, bearer(token)) == (403, "forbidden_unit")


def test_key_set_is_fetched_once_for_many_verifications(issuer):
    verifier = make_verifier(issuer)
    tokens = {role: issuer.mint(f"user-{role}", role, "U-WATER") for role in ("dispatcher", "handler", "admin")}
    before = issuer.jwks_requests

    for _ in range(10):
        for role, token in tokens.items():
            assert verifier.verify(bearer(token)).role == role

    assert issuer.jwks_requests - before == 1


# ---- moto's Cognito: the local stack's identity provider (infra/staff_pool.py) ---------------


@pytest.fixture(scope="module")
def moto_endpoint():
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture(scope="module")
def pool(moto_endpoint) -> StaffPool:
    return create_staff_pool(["U-WATER"], endpoint_url=moto_endpoint)


@pytest.fixture(scope="module")
def pool_verifier(pool, moto_endpoint) -> TokenVerifier:
    """The app's verifier as the local stack configures it for moto's Cognito."""
    return TokenVerifier(issuer=pool.issuer, audience=pool.client_id, jwks_url=pool.jwks_url(moto_endpoint),
                         unit_exists=lambda code: code in KNOWN_UNITS, token_use=token_use_for(pool.issuer))


def _subject(pool: StaffPool, username: str) -> str:
    user = pool.cognito.admin_get_user(UserPoolId=pool.pool_id, Username=username)
    return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


def test_moto_issues_the_cloud_issuer_and_an_id_token_the_verifier_takes(pool, pool_verifier):
    token = pool.sign_in("handler:U-WATER", DEMO_PASSWORD)

    claims = jwt.decode(token, options={"verify_signature": False})
    assert (claims["iss"], claims["aud"], claims["token_use"]) == (pool.issuer, pool.client_id, "id")
    assert token_use_for(pool.issuer) == "id"  # a Cognito issuer: its access tokens are refused
    assert pool_verifier.verify(bearer(token)) == Principal(_subject(pool, "handler:U-WATER"), "handler", "U-WATER",
                                                            "演示承办人（U-WATER）")


def test_every_demo_account_gets_a_token_of_its_role(pool, pool_verifier):
    tokens = pool.demo_tokens()

    assert list(tokens) == ["dispatcher", "leader", "admin", "operator", "handler:U-WATER"]
    for username, token in tokens.items():
        principal = pool_verifier.verify(bearer(token))
        assert (principal.role, principal.unit) == (username.partition(":")[0], username.partition(":")[2] or None)


@pytest.mark.parametrize(("username", "password"), [("admin", "wrong"), ("handler:U-ROADS", "demo"), ("", "demo")])
def test_moto_refuses_a_wrong_password_or_an_unknown_account(pool, username, password):
    assert pool.sign_in(username, password) is None


# ---- the sign-in page's authorization code flow (what the staff pages use) --------------------

REDIRECT = "http://127.0.0.1:8000/staff"
VERIFIER = "a-long-random-verifier-0123456789abcdefghijklmnop"


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def page(pool):
    sign_in_page = SignInPage(pool).start()
    yield sign_in_page
    sign_in_page.stop()


def _authorize(page, **overrides) -> dict:
    params = {
        "response_type": "code", "client_id": page.pool.client_id, "redirect_uri": REDIRECT, "scope": "openid",
        "state": "s-1", "code_challenge": _challenge(VERIFIER), "code_challenge_method": "S256",
    }
    return {**params, **overrides}


def _sign_in(page, username="dispatcher", password="demo", **overrides):
    params = _authorize(page, **overrides)
    return requests.post(page.authorize_url, data={**params, "username": username, "password": password},
                         allow_redirects=False, timeout=5)


def _code(answer) -> str:
    assert answer.status_code == 302, answer.text
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == ["s-1"]
    return query["code"][0]


def _redeem(page, code: str, verifier: str = VERIFIER, **overrides):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "client_id": page.pool.client_id, "code_verifier": verifier, **overrides}
    return requests.post(page.token_url, data=form, timeout=5)


def test_the_sign_in_page_offers_the_demo_accounts_and_keeps_the_request(page):
    form = requests.get(page.authorize_url, params=_authorize(page), timeout=5)
    assert form.status_code == 200 and form.headers["Content-Type"] == "text/html; charset=utf-8"
    assert '<label for="username">用户名</label>' in form.text and 'value="handler:U-WATER"' in form.text
    assert f'name="code_challenge" value="{_challenge(VERIFIER)}"' in form.text


def test_a_signed_in_account_gets_a_code_that_its_verifier_trades_once_for_an_id_token(page, pool, pool_verifier):
    code = _code(_sign_in(page, "handler:U-WATER"))

    answer = _redeem(page, code)

    assert answer.status_code == 200 and answer.headers["Access-Control-Allow-Origin"] == "*"
    tokens = answer.json()
    assert tokens["token_type"] == "Bearer"
    assert pool_verifier.verify(f"Bearer {tokens['id_token']}") == Principal(
        _subject(pool, "handler:U-WATER"), "handler", "U-WATER", "演示承办人（U-WATER）")
    assert _redeem(page, code).json()["error"] == "invalid_grant"  # used


@pytest.mark.parametrize(
    "overrides",
    [{"verifier": "another-verifier-0123456789abcdefghijklmnopqrstu"}, {"redirect_uri": "http://elsewhere/staff"},
     {"client_id": "another-client"}, {"grant_type": "password"}],
    ids=["wrong-verifier", "other-redirect", "other-client", "other-grant"],
)
def test_a_code_is_refused_to_anyone_but_who_asked_for_it(page, overrides):
    answer = _redeem(page, _code(_sign_in(page)), **overrides)
    assert answer.status_code == 400 and answer.json()["error"] == "invalid_grant"


def test_a_wrong_password_shows_the_form_again_and_gives_no_code(page):
    answer = _sign_in(page, password="wrong")
    assert answer.status_code == 401 and "用户名或密码错误" in answer.text and "Location" not in answer.headers


@pytest.mark.parametrize(
    "overrides",
    [{"client_id": "another-client"}, {"code_challenge": ""}, {"response_type": "token"},
     {"code_challenge": VERIFIER, "code_challenge_method": "plain"}, {"code_challenge_method": ""}],
    ids=["unknown-client", "no-pkce", "implicit", "plain-pkce", "pkce-without-method"],
)
def test_an_authorization_request_the_sign_in_page_does_not_serve_is_refused(page, overrides):
    assert requests.get(page.authorize_url, params=_authorize(page, **overrides), timeout=5).status_code == 400
    assert _sign_in(page, **overrides).status_code == 400
