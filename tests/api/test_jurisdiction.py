"""Jurisdiction at intake: a point outside 辽源市 is refused; the area follows the point when none is chosen."""
from __future__ import annotations

import pytest

from chalicelib.domain.geo import wgs84_to_gcj02
from tests.api.resident_helpers import (
    FRIDAY_DAY,
    REQUESTS,
    assert_error,
    body,
    counter,
    order_count,
    staff_view,
    submit,
    verified,
)

OUTSIDE_MESSAGE = "本平台受理辽源市范围内的诉求，您所选位置不在辽源市。"
XIANGYANG = (125.15, 42.91)  # WGS-84, in 向阳街道 of 龙山区 (the demo shapes)
XIANCHENG = (125.11, 42.93)  # WGS-84, in 仙城街道 of 西安区
EAST_EDGE = (125.897, 42.80)  # WGS-84, just inside the city's eastern edge (lng 125.9)


def at(point: tuple[float, float], coord_system: str = "wgs84") -> dict:
    lng, lat = point
    return {"lat": lat, "lng": lng, "coord_system": coord_system}


def as_gcj02(point: tuple[float, float]) -> dict:
    return at(wgs84_to_gcj02(*point), "gcj02")


@pytest.mark.parametrize(
    "location",
    [
        pytest.param(at((126.55, 43.84)), id="jilin-city-wgs84"),
        pytest.param(at((116.397, 39.909), "gcj02"), id="beijing-gcj02"),
        pytest.param(at((-0.128, 51.507)), id="london"),
        pytest.param(at((125.14, 43.25)), id="just-north-of-the-city"),
    ],
)
def test_location_outside_the_city_is_refused_naming_the_city_and_nothing_is_written(api, clock, location):
    answer = api.post(REQUESTS, verified(api, body(location=location)))

    error = assert_error(answer, 422, "outside_jurisdiction", "location")
    assert error["message"] == OUTSIDE_MESSAGE
    assert "辽源市" in error["fields"]["location"]
    assert order_count() == 0
    assert counter(FRIDAY_DAY) is None  # refused before a tracking number was taken


def test_gcj02_location_is_converted_before_the_check(api):
    gcj = as_gcj02(EAST_EDGE)  # ≈ 600 m east of the point: past the edge if read as WGS-84
    assert gcj["lng"] > 125.9

    receipt = submit(api, location=gcj, drop=("area",))
    misread = api.post(REQUESTS, verified(api, body(location={**gcj, "coord_system": "wgs84"})))

    assert receipt["unit"]["code"] == "cgj"  # in 东丰县: sanitation outside the urban districts
    assert_error(misread, 422, "outside_jurisdiction", "location")


@pytest.mark.parametrize("location", [at(XIANGYANG), as_gcj02(XIANGYANG)], ids=["wgs84", "gcj02"])
def test_area_is_derived_from_the_point_and_routes_the_request(api, staff, location):
    receipt = submit(api, location=location, drop=("area",))  # a sanitation complaint

    assert receipt["unit"]["code"] == "lsq-cg"
    detail = staff_view(api, staff, receipt["tracking_no"], "lsq-cg")
    assert detail["area"] == {"code": "220402001", "name": "龙山区向阳街道"}
    # Stored as sent, not converted; the map pin is the WGS-84 point, whichever way it came.
    assert detail["location"] == {**location, "address": None, "wgs84": {"lng": XIANGYANG[0], "lat": XIANGYANG[1]}}


def test_point_in_another_district_routes_to_that_district(api, staff):
    receipt = submit(api, location=at(XIANCHENG), drop=("area",))

    assert receipt["unit"]["code"] == "xaq-cg"
    assert staff_view(api, staff, receipt["tracking_no"], "xaq-cg")["area"]["code"] == "220403001"


def test_area_chosen_by_the_resident_is_kept(api, staff):
    receipt = submit(api, location=at(XIANGYANG), area="220403001")  # the point lies in 龙山区

    assert receipt["unit"]["code"] == "xaq-cg"
    assert staff_view(api, staff, receipt["tracking_no"], "xaq-cg")["area"]["code"] == "220403001"
