"""Verification of staff bearer tokens.

Staff sign in with the identity provider (Cognito in the cloud, moto's Cognito
in the dev stack, with the sign-in page of ``infra/issuer.py``), which issues
RS256-signed ID tokens. Every staff request is checked here and turned into a ``Principal``:
who the caller is, the one role they act in and, for handlers, their unit.

PyJWT (and the RSA code of ``cryptography`` under it) is loaded when the first
verifier is made, so residents' requests never pay for its import.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

ROLES = ("dispatcher", "handler", "leader", "admin", "operator")

_ALGORITHMS = ["RS256"]
_REQUIRED_CLAIMS = ["exp", "iat", "iss", "aud", "sub"]
# Lambda hosts and the identity provider never agree to the second.
_CLOCK_SKEW_SECONDS = 30
# A stalled key fetch must fail well before API Gateway's 29 s limit.
_JWKS_TIMEOUT_SECONDS = 5
_TIME_CLAIMS = ("exp", "iat", "nbf")
_COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[\w-]+$")


@dataclass(frozen=True)
class Principal:
    subject: str
    role: str
    unit: str | None
    name: str | None = None


class AuthError(Exception):
    """The caller is not signed in (401) or may not act as staff (403)."""

    def __init__(self, status: int, code: str, message: str):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


class TokenVerifier:
    def __init__(
        self,
        *,
        issuer: str,
        audience: str,
        jwks_url: str,
        roles_claim: str = "cognito:groups",
        unit_claim: str = "custom:unit",
        unit_exists: Callable[[str], bool] = lambda code: True,
        jwks_cache_seconds: int = 300,
        token_use: str | None = None,
    ):
        self._issuer = issuer
        self._token_use = token_use
        self._audience = audience
        self._roles_claim = roles_claim
        self._unit_claim = unit_claim
        self._unit_exists = unit_exists
        import jwt

        # One client per verifier, so a warm Lambda fetches the key set once
        # per cache period instead of once per request. No network happens here.
        self._jwks = jwt.PyJWKClient(
            jwks_url,
            cache_keys=True,
            lifespan=jwks_cache_seconds,
            timeout=_JWKS_TIMEOUT_SECONDS,
        )

    def verify(self, authorization_header: str | None) -> Principal:
        claims = self._decode(bearer_token(authorization_header))
        role = self._role(claims)
        return Principal(
            subject=claims["sub"],
            role=role,
            unit=self._unit(claims, role),
            name=_string_or_none(claims.get("name")),
        )

    def _decode(self, token: str) -> dict[str, Any]:
        import jwt

        try:
            signing_key = self._jwks.get_signing_key_from_jwt(token)
            claims = jwt.decode(
                token,
                signing_key.key,
                algorithms=_ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                leeway=_CLOCK_SKEW_SECONDS,
                options={"require": _REQUIRED_CLAIMS, "strict_aud": True},
            )
        except jwt.ExpiredSignatureError as exc:
            raise AuthError(401, "token_expired", "登录已过期，请重新登录") from exc
        except jwt.PyJWKClientConnectionError as exc:
            raise AuthError(401, "keys_unavailable", "暂时无法校验登录凭证，请稍后重试") from exc
        except jwt.PyJWTError as exc:
            # The caller learns only "invalid": details would help a forger.
            # The chained cause stays in server logs for diagnosis.
            raise AuthError(401, "token_invalid", "登录凭证无效，请重新登录") from exc
        if not numeric_times(claims) or (self._token_use is not None and claims.get("token_use") != self._token_use):
            raise AuthError(401, "token_invalid", "登录凭证无效，请重新登录")
        return claims

    def _role(self, claims: dict[str, Any]) -> str:
        groups = claims.get(self._roles_claim)
        # Cognito sends a list of groups; other providers may send one string.
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, list):
            groups = []
        # Groups outside ROLES belong to other applications and are not ours to judge.
        roles = {group for group in groups if group in ROLES}
        if len(roles) != 1:
            raise AuthError(403, "forbidden_role", "该账号未分配唯一的工作角色，请联系管理员")
        return roles.pop()

    def _unit(self, claims: dict[str, Any], role: str) -> str | None:
        unit = _string_or_none(claims.get(self._unit_claim))
        known = unit is not None and self._unit_exists(unit)
        if role == "handler" and not known:
            raise AuthError(403, "forbidden_unit", "该承办账号未关联有效的承办单位，请联系管理员")
        return unit if known else None


def token_use_for(issuer: str) -> str | None:
    """What ``token_use`` a staff token of ``issuer`` must say: Cognito's ID tokens say "id", and its
    access tokens ("access") carry no profile, groups or unit of the kind we read; others say nothing."""
    return "id" if _COGNITO_ISSUER.match(issuer) else None


def numeric_times(claims: dict[str, Any]) -> bool:
    """Whether the token's times are numbers, as RFC 7519 has them: PyJWT takes ``"exp": "9999999999"``
    (and ``true``) too, a shape no issuer of ours makes."""
    return all(
        isinstance(claims[name], (int, float)) and not isinstance(claims[name], bool)
        for name in _TIME_CLAIMS
        if name in claims
    )


def bearer_token(authorization_header: str | None, missing: str = "请先登录") -> str:
    """The token of an ``Authorization: Bearer <token>`` header; 401 with ``missing`` otherwise."""
    parts = (authorization_header or "").split()
    if len(parts) != 2 or parts[0].lower() != "bearer":
        raise AuthError(401, "unauthenticated", missing)
    return parts[1]


def _string_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None
