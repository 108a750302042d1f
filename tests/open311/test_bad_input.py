"""Open311's refusals: each bad input gets the specification's error answer, never a 5xx.

403 for the API key (missing, unknown, revoked), 404 for what does not exist, 400
for everything else; in the request's format, one error per parameter at fault,
named as Open311 names it. A refused POST writes nothing.
"""
from __future__ import annotations

import pytest

from tests.api.resident_helpers import order_count
from tests.api.staff_helpers import START
from tests.open311.helpers import FORMATS, assert_bad_parameter, errors_of, issue_key

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock")

FORM = {
    "service_code": "sanitation",
    "lat": "42.902",
    "long": "125.145",
    "description": "小区门口的垃圾已经三天没有清运了",
}


@pytest.fixture
def key(api, staff) -> str:
    return issue_key(api, staff)["api_key"]


def refused_post(o311, fmt: str, form: dict, status: int) -> list[str]:
    descriptions = errors_of(o311.post(fmt, form), fmt, status)
    assert order_count() == 0, "a refused submission wrote an order"
    return descriptions


# ---- the API key -------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_a_post_without_api_key_is_refused_with_403(o311, fmt):
    [description] = refused_post(o311, fmt, FORM, 403)
    assert "api_key" in description


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "api_key", ["nonsense", "hotline.0123456789ab.wrong-secret", "nowhere.0123456789ab.x", "hotline..x", "  "]
)
def test_a_post_with_an_unknown_api_key_is_refused_with_403(o311, key, fmt, api_key):
    refused_post(o311, fmt, {**FORM, "api_key": api_key}, 403)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_key_of_one_channel_with_the_name_of_another_is_refused(o311, key, fmt):
    _, key_id, secret = key.split(".")
    refused_post(o311, fmt, {**FORM, "api_key": f"grid.{key_id}.{secret}"}, 403)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_revoked_key_is_refused_with_403_at_once(api, staff, o311, fmt):
    issued = issue_key(api, staff)
    assert o311.post(fmt, {**FORM, "api_key": issued["api_key"]}).status == 201
    answer = api.delete(f"/api/v1/admin/channels/hotline/api-keys/{issued['key_id']}", staff("admin"))
    assert answer.status == 200, answer
    [description] = errors_of(o311.post(fmt, {**FORM, "api_key": issued["api_key"]}), fmt, 403)
    assert "停用" in description


# ---- what the request names --------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_service_code_is_404(o311, key, fmt):
    [description] = refused_post(o311, fmt, {**FORM, "api_key": key, "service_code": "weather"}, 404)
    assert "weather" in description
    assert errors_of(o311.get(f"services/weather.{fmt}"), fmt, 404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_missing_service_code_is_400(o311, key, fmt):
    form = {k: v for k, v in FORM.items() if k != "service_code"}
    [description] = refused_post(o311, fmt, {**form, "api_key": key}, 400)
    assert "service_code" in description


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("location", "named"),
    [
        ({}, "lat"),
        ({"address_string": "龙山区向阳街道人民大街8号"}, "lat"),
        ({"lat": "42.902"}, "long"),
        ({"long": "125.145"}, "lat"),
        ({"lat": "north", "long": "125.145"}, "lat"),
        ({"lat": "nan", "long": "125.145"}, "lat"),
        ({"lat": "91", "long": "125.145"}, "lat"),
        ({"lat": "42.902", "long": "125.145", "address_string": "长" * 201}, "address_string"),
    ],
)
def test_a_post_without_a_point_is_400(o311, key, fmt, location, named):
    form = {k: v for k, v in FORM.items() if k not in ("lat", "long")}
    descriptions = refused_post(o311, fmt, {**form, **location, "api_key": key}, 400)
    assert any(d.startswith(f"{named}") or f"{named} " in d for d in descriptions), descriptions


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_point_outside_the_city_is_400(o311, key, fmt):
    [description] = refused_post(o311, fmt, {**FORM, "api_key": key, "lat": "39.9", "long": "116.4"}, 400)
    assert description.startswith("lat") and "辽源市" in description


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"description": ""}, "description"),
        ({"description": "太短"}, "description"),
        ({"description": "长" * 2001}, "description"),
        ({"phone": "12345"}, "phone"),
        ({"attribute[request_type]": "grievance"}, "attribute[request_type]"),
        ({"attribute[colour]": "red"}, "attribute[colour]"),
    ],
)
def test_bad_fields_are_400_naming_the_parameter(o311, key, fmt, change, named):
    form = {**FORM, "api_key": key, **change}
    if change.get("description") == "":
        form.pop("description")
    descriptions = refused_post(o311, fmt, form, 400)
    assert any(d.startswith(f"{named}:") for d in descriptions), descriptions


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([], "必填"),
        ([("attribute[spot]", "")], "必填"),
        ([("attribute[spot]", "moon")], "不在可选范围内"),
        ([("attribute[spot][]", "road"), ("attribute[spot][]", "parking")], "只能填写一项"),
    ],
)
def test_a_required_attribute_must_be_answered_from_its_values(o311, key, fmt, answers, message):
    form = [*{**FORM, "service_code": "traffic", "api_key": key}.items(), *answers]
    descriptions = refused_post(o311, fmt, form, 400)
    assert f"attribute[spot]: {message}" in descriptions, descriptions


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_json_body_is_refused_in_open311s_format(api, key, fmt):
    answer = api.post(f"/open311/v2/requests.{fmt}", {**FORM, "api_key": key})
    [description] = errors_of(answer, fmt, 400)
    assert "x-www-form-urlencoded" in description
    assert order_count() == 0


@pytest.mark.parametrize("fmt", FORMATS)
def test_posting_to_anything_but_requests_is_404(o311, api, key, fmt):
    answer = api.post(f"/open311/v2/services.{fmt}", "a=b", {"Content-Type": "application/x-www-form-urlencoded"})
    errors_of(answer, fmt, 404)


# ---- queries --------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    ("params", "named"),
    [
        ({"start_date": "yesterday"}, "start_date"),
        ({"end_date": "2025-13-01T00:00:00Z"}, "end_date"),
        ({"start_date": "2025-03-01T00:00:00"}, "start_date"),  # no offset
        ({"start_date": "2025-03-02T00:00:00Z", "end_date": "2025-03-01T00:00:00Z"}, "start_date"),
        ({"start_date": "2024-12-01T00:00:00Z", "end_date": "2025-03-01T00:00:01Z"}, "end_date"),  # 90 days + 1 s
        ({"start_date": "2024-11-01T00:00:00Z", "end_date": "2025-03-01T00:00:00+08:00"}, "end_date"),
    ],
)
@pytest.mark.parametrize("resource", ["requests", "servicerequestupdates"])
def test_bad_dates_and_long_windows_are_400(o311, fmt, params, named, resource):
    assert_bad_parameter(o311.get(f"{resource}.{fmt}", **params), fmt, named)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2024-12-01T00:00:00Z", "end_date": "2025-03-01T00:00:00Z"},  # exactly 90 days
        {"start_date": "2024-11-01"},  # a start alone: the 90 days after it
        {"end_date": "2025-03-01T00:00:00+08:00"},  # an end alone: the 90 days before it
        {"start_date": "", "end_date": "", "status": "", "service_code": ""},  # empty is missing
    ],
)
def test_windows_of_up_to_90_days_are_answered(o311, fmt, params):
    answer = o311.get(f"requests.{fmt}", **params)
    assert answer.status == 200, answer


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("params", "named"), [({"status": "pending"}, "status"), ({"service_code": "weather"}, "service_code")])
def test_unknown_filters_are_400(o311, fmt, params, named):
    descriptions = errors_of(o311.get(f"requests.{fmt}", **params), fmt, 400)
    assert any(d.startswith(f"{named}:") for d in descriptions), descriptions


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("path", ["requests/LY202503039999", "requests/not-a-number", "tokens/no-such-token"])
def test_what_does_not_exist_is_404(o311, fmt, path):
    errors_of(o311.get(f"{path}.{fmt}"), fmt, 404)


@pytest.mark.parametrize("path", ["requests", "services.html", "discovery", "requests.yaml"])
def test_a_path_without_a_known_format_is_400_in_xml(o311, path):
    errors_of(o311.get(path), "xml", 400)


@pytest.mark.parametrize("fmt", FORMATS)
def test_an_unknown_resource_is_404(o311, fmt):
    errors_of(o311.get(f"reports.{fmt}"), fmt, 404)
