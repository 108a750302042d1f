"""Fuzzing: schemathesis makes requests from the OpenAPI document and sends them to the local stack.

One test per operation of the document, each with a bounded number of generated
requests, valid and invalid (both generation modes), derandomized so that a run is
repeatable, plus schemathesis' coverage phase (boundary values, missing and
mistyped fields, other methods and content types). Staff and administrators'
operations are called with a valid token of a role the document lists for them, the
resident's with a token got by SMS code, as a client would.

Every answer must not be a server error, must have a status the document lists for
the operation, and a content type and a body its schema describes. (Not checked: that
an invalid request is refused. The values mixed in below can make one valid.)

Made-up codes and numbers only ever meet 404 or 422, so the fuzzer also draws, for
a field or parameter of a name the stack knows, a value it holds: the city's types,
categories, areas, units and states, two real orders with a query code and their
live version, the demo channel and its key id, a point in the city, mobile numbers.
The handlers behind the lookups are fuzzed too, and real actions are taken.
"""
from __future__ import annotations

import zlib

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from chalicelib.api.openapi import document
from chalicelib.domain.lifecycle import RULES
from chalicelib.domain.orders import Role, State
from chalicelib.services import runtime
from tests.local_stack import HTTP, LocalStack, local_stack

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
EXAMPLES_PER_OPERATION = 25
# Where the input is rich and the handler goes deep (intake, the lifecycle, the queue's filters): more.
DEEP_OPERATIONS = ["submit_request", "staff_act", "staff_list_requests"]
EXAMPLES_PER_DEEP_OPERATION = 80

SCHEMA = schemathesis.openapi.from_dict(
    document(),
    config=schemathesis.Config.from_dict(
        {
            "generation": {"mode": "all", "max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
            "phases": {
                # API Gateway knows no other methods (TRACE never reaches the app).
                "coverage": {"unexpected-methods": ["GET", "PUT", "POST", "PATCH", "DELETE", "OPTIONS"]},
                "stateful": {"enabled": False},
            },
            "operations": [
                {
                    "include-operation-id": DEEP_OPERATIONS,
                    "generation": {"max-examples": EXAMPLES_PER_DEEP_OPERATION, "deterministic": True},
                }
            ],
        }
    ),
)

# Values the running stack holds, by the name of the field or parameter they fit (see the fixture).
KNOWN: dict[str, list] = {}
STACK: list[LocalStack] = []


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> LocalStack:
    with local_stack(tmp_path_factory.mktemp("fuzz-stack")) as running:
        city = runtime.city()
        phone = "13904379999"
        verified = HTTP.post(f"{running.api}/otp/verify", json={"phone": phone, "code": running.otp(phone)})
        hotline = {"X-Api-Key": running.tokens["api_key:hotline"]}
        vouched = _request(1, contact={"name": "赵", "phone": phone})  # one of the verified resident's own
        orders = [
            HTTP.post(f"{running.api}/requests", json=_request(0, anonymous=True)).json(),
            HTTP.post(f"{running.api}/requests", json=vouched, headers=hotline).json(),
        ]
        KNOWN.update(
            type=[t.code for t in city.types],
            category=[c.code for c in city.categories],
            area=sorted(city.area_parent),
            unit=[u.code for u in city.units],
            units=[[u.code for u in city.units[:2]]],
            state=[s.value for s in State],
            tracking_no=[o["tracking_no"] for o in orders],
            into=[o["tracking_no"] for o in orders],
            code=[o["query_code"] for o in orders],
            channel=["hotline"],
            key_id=[running.tokens["api_key:hotline"].split(".")[1]],
            location=[{"lat": 42.905, "lng": 125.145}, {"lat": 42.89, "lng": 125.13, "coord_system": "gcj02"}],
            phone=["13904370001", "13904370002", "+8613904370003"],
            contact=[{"name": "李桂兰", "phone": "13904370004"}],
            anonymous=[True],
            media=[[], [_uploaded(running)]],
            result_media=[[], [_uploaded(running)]],
            content_type=["image/jpeg", "video/mp4", "audio/amr"],
            answers=[{}],
            resident=[verified.json()["token"]],
            # Dates at the ends of the calendar.
            **{"from": ["0001-01-01", "9999-12-31"], "to": ["0001-01-01", "9999-12-31"]},
        )
        STACK.append(running)
        yield running
        STACK.clear()
        KNOWN.clear()


def _request(n: int, **who) -> dict:
    return {
        "type": "complaint",
        "category": "sanitation",
        "description": f"龙山区向阳街道龙山社区门口垃圾堆了{n + 2}天，没人清运。",
        "location": {"lat": 42.905, "lng": 125.145},
        **who,
    }


def _uploaded(stack: LocalStack) -> str:
    """A photo's upload id, the photo sent to its presigned POST as a phone would."""
    declared = {"filename": "a.jpg", "content_type": "image/jpeg", "size": 4}
    ticket = HTTP.post(f"{stack.api}/uploads", json=declared).json()
    photo = ("a.jpg", b"\xff\xd8\xff\xd9", "image/jpeg")
    sent = HTTP.post(ticket["url"], data=ticket["fields"], files={"file": photo})
    assert sent.status_code in (200, 204), sent.text
    return ticket["upload_id"]


def _mixed(values, live: dict | None = None) -> st.SearchStrategy:
    """``values`` as generated, or with some of its fields set to values the stack holds."""
    if not isinstance(values, dict):
        return st.just(values)
    known = {name: options for name, options in (KNOWN | (live or {})).items() if name in values}
    if not known:
        return st.just(values)
    return st.fixed_dictionaries(
        {name: _mostly_known(values[name], options) for name, options in known.items()}
    ).map(lambda chosen: values | chosen)


def _mostly_known(generated, known: list) -> st.SearchStrategy:
    """A known value three times in four: one wrong field is enough to stop a request early."""
    return st.sampled_from([True, True, True, False]).flatmap(
        lambda real: st.sampled_from(known) if real else st.just(generated)
    )


@SCHEMA.hook
def flatmap_path_parameters(context, path_parameters) -> st.SearchStrategy:
    return _mixed(path_parameters)


@SCHEMA.hook
def flatmap_query(context, query) -> st.SearchStrategy:
    return _mixed(query)


@SCHEMA.hook
def flatmap_body(context, body) -> st.SearchStrategy:
    if context.operation.path.endswith("/actions") and isinstance(body, dict) and "version" in body:
        return _mixed(body, {"version": _versions()})
    return _mixed(body)


def _versions() -> list[int]:
    """The real orders' versions now: an action decided on one is taken, if its state allows."""
    headers = {"Authorization": f"Bearer {STACK[0].tokens['dispatcher']}"}
    api = STACK[0].api
    return [HTTP.get(f"{api}/staff/requests/{no}", headers=headers).json()["version"] for no in KNOWN["tracking_no"]]


# The demo account each staff role acts as; the handler is of the unit the real orders go to.
ACCOUNTS = {
    "dispatcher": "dispatcher", "handler": "handler:lsq-cg", "leader": "leader", "admin": "admin", "operator": "operator",
}


def _credentials(case, stack: LocalStack) -> dict[str, str]:
    """A valid token for the operation's security, as the document states it.

    Staff take turns among the roles the document lists (for an action, those the lifecycle
    lets take it, if any), the turn told by the request itself (a checksum, so the same
    request always goes with the same role).
    """
    [requirement, *_] = case.operation.definition.raw.get("security", [{}])
    if "staff" in requirement:
        action = case.body.get("action") if isinstance(case.body, dict) else None
        rule = RULES.get(action) if isinstance(action, str) else None
        roles = [r for r in requirement["staff"] if rule and Role(r) in rule.roles] or requirement["staff"]
        turn = zlib.crc32(repr((case.path_parameters, case.query, case.body)).encode()) % len(roles)
        return {"Authorization": f"Bearer {stack.tokens[ACCOUNTS[roles[turn]]]}"}
    if "resident" in requirement:
        return {"Authorization": f"Bearer {KNOWN['resident'][0]}"}
    if isinstance(case.body, dict) and "external_id" in case.body:  # a partner's submission: its key
        return {"X-Api-Key": stack.tokens["api_key:hotline"]}
    return {}


@SCHEMA.parametrize()
@settings(deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_error_and_every_answer_as_documented(case, stack):
    case.headers = {**(case.headers or {}), **_credentials(case, stack)}
    case.call_and_validate(base_url=stack.origin, checks=CHECKS)
