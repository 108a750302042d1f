"""Open311 GeoReport v2, the whole round trip, in both formats.

A hotline system lists the services, reads a definition, posts a request with its
API key, finds it by id, by token and in the list, a handler works it, and the
system polls the feed of updates. JSON answers are checked against the Open311
schemas; XML answers are parsed and read element by element.
"""
from __future__ import annotations

import datetime as dt

import pytest

from tests.api.staff_helpers import HANDLER_CG, START, Desk
from tests.open311.helpers import ATTRIBUTE_FIELDS, FORMATS, REQUEST_FIELDS, SERVICE_FIELDS, UPDATE_FIELDS
from tests.open311.helpers import check_schema, children, fields, issue_key, xml_of

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

# START (tests/api/staff_helpers.py) is Monday 3 March 2025, 10:00 in Liaoyuan.
SUBMITTED_AT = "2025-03-03T10:00:00+08:00"
DUE = "2025-03-10T10:00:00+08:00"  # a sanitation complaint: 5 working days
WINDOW = {"start_date": "2025-03-03T00:00:00+08:00", "end_date": "2025-03-04T00:00:00Z"}
PHONE = "13904375678"
FORM = {
    "service_code": "sanitation",
    "lat": "42.902",
    "long": "125.145",
    "address_string": "龙山区向阳街道人民大街8号",
    "description": "小区门口的垃圾已经三天没有清运了，联系我13812345678",
    "last_name": "刘",
    "first_name": "桂兰",
    "phone": PHONE,
    "email": "someone@example.com",
    "jurisdiction_id": "liaoyuan.gov.cn",
}


def read(answer, fmt: str, root: str, item: str, names: list[str]) -> list[dict]:
    """A list answer as dicts: JSON as it is, XML element by element (texts; None for empty)."""
    assert answer.status in (200, 201), answer
    if fmt == "json":
        assert answer.headers["Content-Type"] == "application/json; charset=utf-8"
        assert isinstance(answer.json, list), answer.json
        for entry in answer.json:
            assert list(entry) == names, list(entry)
        return answer.json
    element = xml_of(answer)
    assert element.tag == root, answer.text[:200]
    return [fields(entry, names) for entry in children(element, item)]


def text(value) -> str | None:
    """A JSON value as the XML text carries it."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def same(found: dict, fmt: str, expected: dict) -> None:
    for name, value in expected.items():
        assert found[name] == (value if fmt == "json" else text(value)), (name, found[name])


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_hotline_system_follows_a_request_from_post_to_closed(api, staff, o311, clock, fmt):
    key = issue_key(api, staff)["api_key"]

    # 1. the services: our categories
    services = read(o311.get(f"services.{fmt}"), fmt, "services", "service", SERVICE_FIELDS)
    if fmt == "json":
        check_schema("services.json", services)
    by_code = {s["service_code"]: s for s in services}
    assert list(by_code)[:3] == ["sanitation", "municipal", "traffic"] and len(by_code) == 11
    same(by_code["sanitation"], fmt, {"service_name": "环境卫生", "metadata": False, "type": "realtime", "group": None})
    same(by_code["traffic"], fmt, {"service_name": "交通秩序", "metadata": True})

    # 2. a definition: the request type, then the category's own questions
    definition = o311.get(f"services/traffic.{fmt}")
    assert definition.status == 200, definition
    if fmt == "json":
        check_schema("service-definition.json", definition.json)
        attributes = definition.json["attributes"]
        assert definition.json["service_code"] == "traffic"
        assert [list(a) for a in attributes] == [ATTRIBUTE_FIELDS] * 2
        spot = attributes[1]
        values = spot["values"]
    else:
        root = xml_of(definition)
        assert root.tag == "service_definition" and [c.tag for c in root] == ["service_code", "attributes"]
        assert root.find("service_code").text == "traffic"
        attributes = children(root.find("attributes"), "attribute")
        assert [[c.tag for c in a] for a in attributes] == [ATTRIBUTE_FIELDS] * 2
        spot = {c.tag: c.text for c in attributes[1] if c.tag != "values"}
        values = [fields(v, ["key", "name"]) for v in children(attributes[1].find("values"), "value")]
    same(spot, fmt, {"variable": True, "code": "spot", "datatype": "singlevaluelist", "required": True, "order": 2})
    assert values[0] == {"key": "crossing", "name": "路口"} and len(values) == 4

    # 3. POST, with the partner's key
    posted = o311.post(fmt, {**FORM, "api_key": key})
    assert posted.status == 201, posted
    [receipt] = read(posted, fmt, "service_requests", "request",
                     ["service_request_id", "token", "service_notice", "account_id"])
    number, token = receipt["service_request_id"], receipt["token"]
    assert number.startswith("LY20250303") and len(token) >= 16
    assert number in receipt["service_notice"] and "查询码" in receipt["service_notice"]
    assert receipt["account_id"] is None

    # 4. by id
    expected = {
        "service_request_id": number,
        "status": "open",
        "status_notes": "派至龙山区城市管理局",
        "service_name": "环境卫生",
        "service_code": "sanitation",
        "description": "小区门口的垃圾已经三天没有清运了，联系我138****5678",
        "agency_responsible": "龙山区城市管理局",
        "service_notice": None,
        "requested_datetime": SUBMITTED_AT,
        "updated_datetime": SUBMITTED_AT,
        "expected_datetime": DUE,
        "address": "龙山区向阳街道人民大街8号",
        "address_id": None,
        "zipcode": None,
        "lat": 42.902,
        "long": 125.145,
        "media_url": None,
    }
    by_id = o311.get(f"requests/{number}.{fmt}")
    [request] = read(by_id, fmt, "service_requests", "request", REQUEST_FIELDS)
    if fmt == "json":
        check_schema("requests.json", by_id.json)
    same(request, fmt, expected)
    for private in (PHONE, "桂兰", "someone@example.com"):
        assert private not in by_id.text

    # 5. by token
    [resolved] = read(o311.get(f"tokens/{token}.{fmt}"), fmt, "service_requests", "request",
                      ["service_request_id", "token"])
    assert resolved == {"service_request_id": number, "token": token}

    # 6. in the list, filtered
    listed = o311.get(f"requests.{fmt}", service_code="sanitation,municipal", status="open", **WINDOW)
    found = read(listed, fmt, "service_requests", "request", REQUEST_FIELDS)
    if fmt == "json":
        check_schema("requests.json", listed.json)
    assert [r["service_request_id"] for r in found] == [number]
    same(found[0], fmt, expected)
    closed = read(o311.get(f"requests.{fmt}", status="closed", **WINDOW), fmt, "service_requests", "request",
                  REQUEST_FIELDS)
    assert closed == []

    # 7. the unit signs and replies: closed, with the reply as its notes
    desk = Desk(api, staff)
    clock.tick(dt.timedelta(hours=1))
    desk.done(number, HANDLER_CG, "sign")
    clock.tick(dt.timedelta(hours=2))
    desk.done(number, HANDLER_CG, "resolve", reply="已安排清运，垃圾已清理完毕")
    [request] = read(o311.get(f"requests/{number}.{fmt}"), fmt, "service_requests", "request", REQUEST_FIELDS)
    same(request, fmt, {
        "status": "closed",
        "status_notes": "已安排清运，垃圾已清理完毕",
        "updated_datetime": "2025-03-03T13:00:00+08:00",
        "expected_datetime": None,
    })

    # 8. the feed of updates: each public change, oldest first
    feed = o311.get(f"servicerequestupdates.{fmt}", **WINDOW)
    updates = read(feed, fmt, "service_request_updates", "request_update", UPDATE_FIELDS)
    assert [(u["update_id"], u["status"], u["external_status_code"]) for u in updates] == [
        (f"{number}-1", "open", "submitted"),
        (f"{number}-2", "open", "dispatched"),
        (f"{number}-3", "open", "in_progress"),
        (f"{number}-4", "closed", "resolved"),
    ]
    same(updates[0], fmt, {"service_request_id": number, "updated_datetime": SUBMITTED_AT,
                           "description": "由12345热线受理，来电人已由话务员核实，免短信验证", "media_url": None})
    same(updates[2], fmt, {"updated_datetime": "2025-03-03T11:00:00+08:00", "description": "龙山区城市管理局已签收"})
    same(updates[3], fmt, {"updated_datetime": "2025-03-03T13:00:00+08:00", "description": "已安排清运，垃圾已清理完毕"})


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery_names_this_endpoint_and_both_formats(o311, fmt):
    answer = o311.get(f"discovery.{fmt}")
    assert answer.status == 200, answer
    if fmt == "json":
        document = answer.json
        [endpoint] = document["endpoints"]
    else:
        root = xml_of(answer)
        assert root.tag == "discovery"
        assert [c.tag for c in root] == ["changeset", "contact", "key_service", "endpoints"]
        document = {c.tag: c.text for c in root if c.tag != "endpoints"}
        [element] = children(root.find("endpoints"), "endpoint")
        assert [c.tag for c in element] == ["specification", "url", "changeset", "type", "formats"]
        endpoint = {c.tag: c.text for c in element if c.tag != "formats"}
        endpoint["formats"] = [f.text for f in children(element.find("formats"), "format")]
    assert document["changeset"] == "2026-11-01T00:00:00+08:00"
    assert "12345" in document["contact"] and "api_key" in document["key_service"]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": endpoint["url"],
        "changeset": "2026-11-01T00:00:00+08:00",
        "type": "production",
        "formats": ["text/xml", "application/json"],
    }
    assert endpoint["url"].endswith("/open311/v2")
