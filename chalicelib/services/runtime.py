"""What the services share at run time: the city, its calendar, the clock, the staff verifier.

Each is built once per Lambda container, on first use, so a cold start pays
only for what its first request needs.
"""
from __future__ import annotations

import datetime as dt
from functools import lru_cache

from chalicelib.adapters.identity import TokenVerifier, token_use_for
from chalicelib.city import City, load_city
from chalicelib.domain.calendar import WorkingCalendar
from chalicelib.domain.lifecycle import Actor, Context, Role
from chalicelib.settings import get_settings


@lru_cache(maxsize=1)
def city() -> City:
    return load_city(get_settings().city_file)


@lru_cache(maxsize=1)
def calendar() -> WorkingCalendar:
    return WorkingCalendar(city())


def now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def domain_context() -> Context:
    return Context(city(), calendar(), now())


@lru_cache(maxsize=1)
def verifier() -> TokenVerifier:
    settings = get_settings()
    return TokenVerifier(
        issuer=settings.auth_issuer,
        audience=settings.auth_audience,
        jwks_url=settings.auth_jwks_url,
        roles_claim=settings.auth_roles_claim,
        unit_claim=settings.auth_unit_claim,
        unit_exists=lambda code: code in city().unit_by_code,
        token_use=token_use_for(settings.auth_issuer),
    )


def staff_actor(authorization_header: str | None) -> Actor:
    principal = verifier().verify(authorization_header)
    return Actor(Role(principal.role), principal.subject, principal.unit)
