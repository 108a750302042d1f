"""The OpenAPI document: it covers every route, is valid OpenAPI 3.1, and is what is served.

That the code answers as the document says is checked on every call of every API test
(tests/openapi_conformance.py, through the ``api`` fixture) and by the fuzzing
(tests/test_fuzz.py); the checker itself is tested here.
"""
from __future__ import annotations

import json

import pytest
from openapi_spec_validator import validate as validate_openapi

from app import app
from chalicelib.api.openapi import document
from chalicelib.api.operations import OPERATIONS
from tests.openapi_conformance import conformance

DOCUMENT = "/api/v1/openapi.json"


def test_the_operations_list_names_exactly_the_routes_under_api_v1_with_their_views():
    routes = {
        (method, path): entry.view_name
        for path, methods in app.routes.items()
        if path.startswith("/api/v1/")
        for method, entry in methods.items()
    }
    listed = {(op.method, op.path): op.view for op in OPERATIONS}

    undocumented = sorted(f"{m} {p}" for m, p in routes.keys() - listed.keys())
    assert not undocumented, (
        f"routes under /api/v1 without an entry in chalicelib/api/operations.py: {undocumented}. "
        "Add each (its body, query and answer models) so the OpenAPI document describes it."
    )
    assert listed.keys() <= routes.keys(), f"entries without a route: {sorted(listed.keys() - routes.keys())}"
    assert listed == routes
    assert len(listed) == len(OPERATIONS)


def test_the_document_is_valid_openapi_3_1():
    validate_openapi(document())

    assert document()["openapi"] == "3.1.0"


def test_every_operation_is_in_the_document_with_its_error_format_and_security():
    paths = document()["paths"]

    for op in OPERATIONS:
        operation = paths[op.path][op.method.lower()]
        assert operation["operationId"] == op.view
        statuses = {int(s) for s in operation["responses"]}
        assert statuses == set(op.answers) | set(op.error_statuses)
        for status in op.error_statuses:
            schema = operation["responses"][str(status)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Error"}, (op.view, status)
        assert ("security" in operation) == bool(op.roles or op.resident or op.partner_key or op.staff_optional)


def test_an_upload_may_be_asked_for_with_a_staff_token_or_none():
    upload = document()["paths"]["/api/v1/uploads"]["post"]

    assert upload["security"] == [{}, {"staff": ["dispatcher", "handler", "leader", "admin", "operator"]}]
    assert "401" in upload["responses"]


def test_request_schemas_come_from_the_models_the_handlers_validate_with():
    components = document()["components"]["schemas"]
    submit = document()["paths"]["/api/v1/requests"]["post"]
    staff_list = document()["paths"]["/api/v1/staff/requests"]["get"]

    assert components["SubmitRequest"]["properties"]["description"]["maxLength"] == 2000
    lat = components["Location"]["properties"]["lat"]
    assert lat == {"maximum": 90, "minimum": -90, "title": "Lat", "type": "number"}
    assert set(components["PartnerSubmitRequest"]["properties"]) - set(components["SubmitRequest"]["properties"]) == {
        "external_id"
    }
    [key] = [p for p in submit["parameters"] if p["in"] == "header"]
    assert key["name"] == "Idempotency-Key" and key["schema"]["minLength"] == 16
    by_name = {p["name"]: p for p in staff_list["parameters"]}
    assert by_name["from"]["schema"] == {"format": "date", "type": "string"}  # the alias, not the attribute
    assert by_name["level"]["schema"]["enum"] == ["normal", "warning", "yellow", "red"]
    assert not any(p["required"] for p in staff_list["parameters"])


def test_staff_actions_are_one_body_told_apart_by_action():
    body = document()["paths"]["/api/v1/staff/requests/{tracking_no}/actions"]["post"]["requestBody"]
    schema = body["content"]["application/json"]["schema"]

    assert schema["discriminator"]["propertyName"] == "action"
    assert schema["discriminator"]["mapping"]["dispatch"] == "#/components/schemas/Dispatch"
    assert len(schema["oneOf"]) == len(schema["discriminator"]["mapping"])


def test_the_document_is_served_with_the_servers_it_is_reached_at(api):
    answer = api.get(DOCUMENT)

    assert answer.status == 200
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    assert answer.json == {**json.loads(json.dumps(document())), "servers": [{"url": "/"}]}


# ---- the checker the api fixture runs on every call ---------------------------------------

CATALOG = "/api/v1/catalog"
JSON = "application/json; charset=utf-8"
ERROR = json.dumps({"error": {"code": "not_found", "message": "未找到", "fields": {}}})


def test_the_checker_passes_an_answer_the_document_describes(api):
    answer = api.get(CATALOG)

    conformance().check("GET", CATALOG, [], answer.status, JSON, answer.text)


@pytest.mark.parametrize(
    "method, path, status, content_type, body, problem",
    [
        ("GET", CATALOG, 404, JSON, ERROR, "a status the OpenAPI document does not list"),
        ("GET", "/api/v1/requests/LY1?code=x", 418, JSON, ERROR, "a status the OpenAPI document does not list"),
        ("GET", "/api/v1/requests/LY1", 404, "text/html", ERROR, "not application/json"),
        ("GET", "/api/v1/requests/LY1", 404, JSON, '{"error": {"code": "not_found"}}', "'message' is a required"),
        ("GET", "/api/v1/requests/LY1", 404, JSON, ERROR[:-1] + ', "trace": []}', "Additional properties"),
        ("GET", "/api/v1/staff/hotspots", 200, JSON, '{"items": [], "cursor": 1}', "at cursor"),
    ],
)
def test_the_checker_refuses_an_answer_the_document_does_not_describe(
    method, path, status, content_type, body, problem
):
    with pytest.raises(AssertionError, match=problem):
        conformance().check(method, path, [], status, content_type, body)


def test_the_checker_refuses_a_dated_answer_whose_time_is_not_iso_8601():
    page = {"items": [], "cursor": None}
    key = {
        "channel": "hotline", "key_id": "0123456789ab", "label": None, "active": True,
        "created_at": "2026-11-21 09:30", "created_by": "admin", "revoked_at": None, "revoked_by": None,
    }
    path = "/api/v1/admin/channels/hotline/api-keys"
    conformance().check("GET", "/api/v1/staff/hotspots", [], 200, JSON, json.dumps(page))

    with pytest.raises(AssertionError, match="is not a 'date-time'"):
        conformance().check("GET", path, [], 200, JSON, json.dumps({"items": [key]}))
    iso = key | {"created_at": "2026-11-21T09:30:00+08:00"}
    conformance().check("GET", path, [], 200, JSON, json.dumps({"items": [iso]}))


def test_the_checker_refuses_a_handler_that_validates_with_a_model_the_list_does_not_name():
    from chalicelib.commands.queries import CasesQuery, PageQuery

    conformance().check("GET", "/api/v1/staff/hotspots", [PageQuery], 200, JSON, '{"items": [], "cursor": null}')
    with pytest.raises(AssertionError, match=r"validated with \['CasesQuery'\]"):
        conformance().check("GET", "/api/v1/staff/hotspots", [CasesQuery], 200, JSON, '{"items": [], "cursor": null}')


def test_the_checker_leaves_open311_and_unknown_routes_alone():
    conformance().check("GET", "/open311/v2/services.xml", [], 200, "text/xml", "<services/>")
    conformance().check("GET", "/api/v1/nothing", [], 418, "text/plain", "")
    conformance().check("PUT", CATALOG, [], 405, JSON, ERROR)


def test_the_checker_refuses_a_success_that_is_not_the_model_its_operation_names():
    from chalicelib.answers import ApiKey, Catalog, IssuedApiKey

    keys = "/api/v1/admin/channels/hotline/api-keys"
    conformance().check_answer("POST", keys, 201, [IssuedApiKey.model_construct()])
    conformance().check_answer("GET", CATALOG, 500, [])  # an error is the error format, no answer's model
    conformance().check_answer("GET", "/api/v1/openapi.json", 200, [])  # the document describes itself
    refused = [
        ("GET", CATALOG, 200, [{"city": {}}]),  # a dict written to fit the document
        ("POST", keys, 201, [ApiKey.model_construct()]),  # a model, but not this answer's
        ("DELETE", f"{keys}/0123456789ab", 200, [IssuedApiKey.model_construct()]),  # its subclass: the key itself
        ("GET", CATALOG, 200, [Catalog.model_construct(), Catalog.model_construct()]),
    ]
    for method, path, status, answered in refused:
        with pytest.raises(AssertionError, match="build the answer as its model"):
            conformance().check_answer(method, path, status, answered)


def test_every_answer_of_the_api_is_checked_to_be_its_model(api, monkeypatch):
    """The api fixture sees what each handler answered: a service that answers a dict fails every test that calls it."""
    from chalicelib.services import views

    monkeypatch.setattr(views, "catalog", lambda city: {"city": {"code": city.code, "name": city.name}})

    answer = api.get(CATALOG)

    assert answer.status == 500, answer  # http.dump refused it: a dict is no answer's model
