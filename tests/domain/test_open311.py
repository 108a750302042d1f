"""The Open311 mapping on its own: statuses, windows, forms, XML."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chalicelib.city import load_city
from chalicelib.domain import open311
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.orders import State

CITY = load_city("liaoyuan.yaml")
ZONE = ZoneInfo("Asia/Shanghai")
NOW = dt.datetime(2025, 3, 3, 2, 0, tzinfo=dt.timezone.utc)


def test_open_while_worked_on_closed_once_done():
    assert {s: open311.status(s) for s in State} == {
        State.SUBMITTED: "open",
        State.DISPATCHED: "open",
        State.IN_PROGRESS: "open",
        State.AWAITING_REVIEW: "open",
        State.RESOLVED: "closed",
        State.CLOSED: "closed",
        State.REJECTED: "closed",
        State.MERGED: "closed",
    }
    assert open311.states_of(["closed"]) == {"resolved", "closed", "rejected", "merged"}


# ---- windows --------------------------------------------------------------------------

def window(**params):
    return open311.window({k: [v] for k, v in params.items()}, NOW, ZONE)


def test_without_dates_the_window_is_the_latest_90_days():
    assert window() == (NOW - dt.timedelta(days=90), NOW)


def test_one_date_gives_the_90_days_after_or_before_it():
    start = dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc)
    assert window(start_date="2025-01-01T00:00:00Z") == (start, start + dt.timedelta(days=90))
    assert window(end_date="2025-01-01T00:00:00Z") == (start - dt.timedelta(days=90), start)


def test_a_bare_date_is_the_citys_midnight_and_offsets_are_kept():
    start, end = window(start_date="2025-03-01", end_date="2025-03-02T08:00:00-05:00")
    assert start == dt.datetime(2025, 3, 1, tzinfo=ZONE)
    assert end.utcoffset() == dt.timedelta(hours=-5) and end == dt.datetime(2025, 3, 2, 13, tzinfo=dt.timezone.utc)


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start_date": "2025-03-01T00:00:00"}, "start_date"),
        ({"start_date": "1 March 2025"}, "start_date"),
        ({"end_date": "2025-02-30"}, "end_date"),
        ({"start_date": "2025-03-02T00:00:00Z", "end_date": "2025-03-01T23:59:59Z"}, "start_date"),
        ({"start_date": "2025-01-01T00:00:00Z", "end_date": "2025-04-01T00:00:00.000001Z"}, "end_date"),
    ],
)
def test_bad_dates_and_windows_over_90_days_are_refused(params, field):
    with pytest.raises(InvalidInput) as refused:
        window(**params)
    assert list(refused.value.fields) == [field]


def test_list_parameters_are_comma_delimited_or_repeated_and_empty_parts_dropped():
    assert open311.values({"status": ["open, closed", "", "open,"]}, "status") == ["open", "closed", "open"]
    assert open311.values({}, "status") == []


# ---- POST forms ---------------------------------------------------------------------

BASE = {"service_code": ["traffic"], "lat": ["42.9"], "long": ["125.14"], "description": ["路口信号灯坏了"]}


def test_a_form_becomes_our_submission():
    form = {
        **BASE,
        "address_string": ["龙山区人民大街"],
        "first_name": ["桂兰"],
        "last_name": ["刘"],
        "phone": ["13904375678"],
        "email": ["x@example.com"],
        "attribute[spot]": ["crossing"],
        "attribute[request_type]": ["help"],
        "attribute[kinds][]": ["noise", "smoke"],
        "external_id": ["HL-1"],
    }
    assert open311.submission(form, CITY) == {
        "type": "help",
        "category": "traffic",
        "description": "路口信号灯坏了",
        "location": {"lat": 42.9, "lng": 125.14, "coord_system": "wgs84", "address": "龙山区人民大街"},
        "anonymous": False,
        "contact": {"name": "刘桂兰", "phone": "13904375678"},
        "answers": {"spot": "crossing", "kinds": ["noise", "smoke"]},
        "external_id": "HL-1",
    }


def test_without_a_phone_a_form_is_anonymous_and_of_the_default_type():
    submission = open311.submission({**BASE, "first_name": ["桂兰"]}, CITY)
    assert (submission["anonymous"], submission["contact"], submission["type"]) == (True, None, "complaint")


def test_a_phone_without_names_is_the_caller():
    assert open311.submission({**BASE, "phone": ["13904375678"]}, CITY)["contact"]["name"] == "来电人"


def test_an_unknown_service_code_is_not_found_and_a_missing_one_invalid():
    with pytest.raises(NotFound):
        open311.submission({**BASE, "service_code": ["weather"]}, CITY)
    with pytest.raises(InvalidInput):
        open311.submission({k: v for k, v in BASE.items() if k != "service_code"}, CITY)


# ---- services -------------------------------------------------------------------------

def test_only_a_category_with_questions_says_metadata_true():
    services = {s["service_code"]: s for s in map(open311.service, CITY.categories)}
    assert {code for code, s in services.items() if s["metadata"]} == {"traffic", "pollution", "utilities", "market"}


def test_every_definition_starts_with_the_request_type():
    definition = open311.service_definition(CITY.category_by_code["sanitation"], CITY)
    [request_type] = definition["attributes"]
    assert request_type["code"] == "request_type" and request_type["required"] is False
    assert [v["key"] for v in request_type["values"]] == [t.code for t in CITY.types]
    assert request_type["datatype_description"] == "不填按「投诉」受理"
