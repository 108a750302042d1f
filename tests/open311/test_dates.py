"""Dates at the calendar's ends: a clear 400 in Open311's format, never a 5xx.

Found by hand: a start of 9999-12-30 (its 90 days after do not exist), an end of
0001-01-01 (its 90 days before do not exist), or a moment whose UTC time lies before
year 1 or after 9999 answered 500 (OverflowError). Every date parameter of Open311 is
the query window's start_date and end_date, on requests and servicerequestupdates.
"""
from __future__ import annotations

import pytest

from tests.api.staff_helpers import START
from tests.open311.helpers import FORMATS, assert_bad_parameter

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock")

RESOURCES = ["requests", "servicerequestupdates"]

OUT_OF_RANGE = [
    ({"start_date": "9999-12-30"}, "start_date"),  # the 90 days after it
    ({"start_date": "9999-12-31T23:59:59Z"}, "start_date"),
    ({"start_date": "9999-12-31T23:59:59-12:00"}, "start_date"),  # in UTC: year 10000
    ({"end_date": "0001-01-01"}, "end_date"),  # the 90 days before it; and before year 1 in UTC
    ({"end_date": "0001-01-01T00:00:00Z"}, "end_date"),
    ({"end_date": "0001-01-01T00:00:00+14:00"}, "end_date"),  # in UTC: year 0
    ({"end_date": "9999-12-31T23:59:59.999999Z"}, "end_date"),  # the inclusive end's next instant
    ({"start_date": "9999-09-20", "end_date": "9999-12-31T23:59:59-12:00"}, "end_date"),
    ({"start_date": "0001-01-01T00:00:00+14:00", "end_date": "0001-02-01T00:00:00Z"}, "start_date"),
    ({"start_date": "0001-01-01", "end_date": "0001-01-02"}, "start_date"),
]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(("params", "named"), OUT_OF_RANGE)
@pytest.mark.parametrize("resource", RESOURCES)
def test_dates_at_the_calendars_ends_are_400_naming_the_parameter(o311, resource, fmt, params, named):
    assert_bad_parameter(o311.get(f"{resource}.{fmt}", **params), fmt, named)


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize(
    "params",
    [
        {"start_date": "2025-03-03T10:00:00+14:00", "end_date": "2025-03-03T10:00:00-12:00"},
        {"start_date": "2025-03-01T00:00:00Z", "end_date": "2025-03-03T02:00:00Z"},
        {"start_date": "1970-01-01", "end_date": "1970-03-01"},
        {"start_date": "9000-01-01T00:00:00+14:00"},
    ],
)
@pytest.mark.parametrize("resource", RESOURCES)
def test_offsets_from_plus_14_to_minus_12_and_z_are_answered(o311, resource, fmt, params):
    assert o311.get(f"{resource}.{fmt}", **params).status == 200
