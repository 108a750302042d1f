"""Shared by the Open311 tests: an Open311 client over the test API, the schemas, XML reading.

Every JSON answer of a resource the Open311 project has a schema for is validated
against it (tests/open311/schemas, formats included); XML answers are parsed with
xml.etree and read element by element, in the specification's order.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlencode

from jsonschema import Draft7Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT7

SCHEMAS = Path(__file__).parent / "schemas"
BASE = "/open311/v2"
FORMATS = ["json", "xml"]

# The specification's fields of a service request, in its order (GET Service Request(s)).
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code", "description",
    "agency_responsible", "service_notice", "requested_datetime", "updated_datetime", "expected_datetime",
    "address", "address_id", "zipcode", "lat", "long", "media_url",
]
SERVICE_FIELDS = ["service_code", "service_name", "description", "metadata", "type", "keywords", "group"]
ATTRIBUTE_FIELDS = ["variable", "code", "datatype", "required", "datatype_description", "order", "description", "values"]
UPDATE_FIELDS = [
    "update_id", "service_request_id", "status", "updated_datetime", "description", "media_url",
    "external_status_code",
]


def _registry() -> Registry:
    resources = []
    for path in SCHEMAS.glob("*.json"):
        contents = json.loads(path.read_text(encoding="utf-8"))
        resources.append((path.name, Resource.from_contents(contents, default_specification=DRAFT7)))
    return Registry().with_resources(resources)


_REGISTRY = _registry()


def check_schema(name: str, instance) -> None:
    """``instance`` is valid for the Open311 schema ``name`` (services.json, requests.json…)."""
    schema = _REGISTRY.contents(name)
    validator = Draft7Validator(schema, registry=_REGISTRY, format_checker=FormatChecker())
    problems = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(instance)]
    assert not problems, problems


def xml_of(answer) -> ET.Element:
    """The answer as XML: declared UTF-8, served as text/xml."""
    assert answer.headers["Content-Type"] == "text/xml; charset=utf-8", answer.headers
    assert answer.text.startswith('<?xml version="1.0" encoding="utf-8"?>\n'), answer.text[:80]
    return ET.fromstring(answer.text.encode("utf-8"))


def children(element: ET.Element, tag: str) -> list[ET.Element]:
    """The element's children, all of them ``tag`` (a list's items)."""
    assert [c.tag for c in element] == [tag] * len(element), [c.tag for c in element]
    return list(element)


def fields(element: ET.Element, names: list[str]) -> dict[str, str | None]:
    """A flat item: exactly ``names``, in that order, each a text (None for an empty element)."""
    assert [c.tag for c in element] == names, [c.tag for c in element]
    for child in element:
        assert len(child) == 0, f"{child.tag} has children"
    return {c.tag: c.text for c in element}


class Open311:
    """An Open311 client over the app: paths under /open311/v2, forms as a client posts them."""

    def __init__(self, api):
        self.api = api

    def get(self, path: str, **params):
        query = f"?{urlencode(params)}" if params else ""
        answer = self.api.get(f"{BASE}/{path}{query}")
        assert answer.status < 500, answer
        return answer

    def post(self, fmt: str, form: dict | list[tuple[str, str]], content_type="application/x-www-form-urlencoded"):
        answer = self.api.post(f"{BASE}/requests.{fmt}", urlencode(form), {"Content-Type": content_type})
        assert answer.status < 500, answer
        return answer


def errors_of(answer, fmt: str, status: int) -> list[str]:
    """An error answer in the specification's format; the descriptions."""
    assert answer.status == status, answer
    if fmt == "json":
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
        assert isinstance(answer.json, list) and answer.json, answer
        for error in answer.json:
            assert set(error) == {"code", "description"}, error
            assert error["code"] == status and error["description"], error
        return [error["description"] for error in answer.json]
    root = xml_of(answer)
    assert root.tag == "errors", answer.text
    found = [fields(error, ["code", "description"]) for error in children(root, "error")]
    assert found and all(e["code"] == str(status) and e["description"] for e in found), found
    return [e["description"] for e in found]


def assert_bad_parameter(answer, fmt: str, named: str) -> None:
    """A 400 in the specification's format whose description names the parameter ``named``."""
    descriptions = errors_of(answer, fmt, 400)
    assert any(d.startswith(f"{named}:") for d in descriptions), descriptions


def issue_key(api, staff, channel: str = "hotline", label: str = "测试") -> dict:
    answer = api.post(f"/api/v1/admin/channels/{channel}/api-keys", {"label": label}, staff("admin"))
    assert answer.status == 201, answer
    return answer.json
