"""Coordinates and shapes: GCJ-02 → WGS-84, point in polygon, the deepest area holding a point."""
from __future__ import annotations

from dataclasses import dataclass

import pytest

from chalicelib.domain.geo import (
    contains,
    deepest_area,
    gcj02_to_wgs84,
    geometry_problems,
    interior_point,
    to_wgs84,
    wgs84_to_gcj02,
)
from chalicelib.domain.geocells import distance_m


def rect(west: float, south: float, east: float, north: float) -> list[list[float]]:
    return [[west, south], [east, south], [east, north], [west, north], [west, south]]


def polygon(*rings) -> dict:
    return {"type": "Polygon", "coordinates": list(rings)}


# ---- GCJ-02 → WGS-84 -------------------------------------------------------------

CHINA_POINTS = [
    (125.145, 42.905),  # 辽源 龙山区
    (116.397, 39.909),  # 北京 天安门
    (121.473, 31.230),  # 上海
    (113.264, 23.129),  # 广州
    (87.617, 43.793),  # 乌鲁木齐
    (126.535, 45.803),  # 哈尔滨
]


@pytest.mark.parametrize(("lng", "lat"), CHINA_POINTS)
def test_gcj02_to_wgs84_undoes_the_forward_transform_within_a_metre(lng, lat):
    gcj = wgs84_to_gcj02(lng, lat)

    assert distance_m(gcj, (lng, lat)) > 100  # the shift is real, so the round trip means something
    assert distance_m(gcj02_to_wgs84(*gcj), (lng, lat)) < 1


@pytest.mark.parametrize(("lng", "lat"), CHINA_POINTS)
def test_converted_point_maps_forward_onto_the_given_gcj02_point(lng, lat):
    assert distance_m(wgs84_to_gcj02(*gcj02_to_wgs84(lng, lat)), (lng, lat)) < 1


def test_liaoyuan_shift_matches_the_published_transform():
    # The forward transform's value for a point in Liaoyuan (≈ 500 m east, ≈ 280 m north).
    lng, lat = wgs84_to_gcj02(125.14, 42.90)
    assert lng == pytest.approx(125.146405, abs=1e-6)
    assert lat == pytest.approx(42.902529, abs=1e-6)


@pytest.mark.parametrize(
    ("lng", "lat"),
    [(139.692, 35.690), (-0.128, 51.507), (151.209, -33.868), (124.0, 2.0)],
    ids=["tokyo", "london", "sydney", "south-of-box"],
)
def test_points_outside_china_are_unchanged(lng, lat):
    assert gcj02_to_wgs84(lng, lat) == (lng, lat)
    assert wgs84_to_gcj02(lng, lat) == (lng, lat)


def test_to_wgs84_converts_only_gcj02():
    assert to_wgs84(125.145, 42.902, "wgs84") == (125.145, 42.902)
    assert to_wgs84(125.145, 42.902, "gcj02") == gcj02_to_wgs84(125.145, 42.902)
    with pytest.raises(ValueError):
        to_wgs84(125.145, 42.902, "bd09")


# ---- point in polygon --------------------------------------------------------------

SQUARE_WITH_HOLE = polygon(rect(0, 0, 10, 10), rect(4, 4, 6, 6))
MULTI = {"type": "MultiPolygon", "coordinates": [[rect(0, 0, 1, 1)], [rect(5, 5, 6, 6), rect(5.4, 5.4, 5.6, 5.6)]]}
TRIANGLE = polygon([[0, 0], [10, 0], [5, 10], [0, 0]])


@pytest.mark.parametrize(
    ("geometry", "point", "inside"),
    [
        pytest.param(SQUARE_WITH_HOLE, (2, 2), True, id="in-the-ring"),
        pytest.param(SQUARE_WITH_HOLE, (5, 5), False, id="in-the-hole"),
        pytest.param(SQUARE_WITH_HOLE, (11, 5), False, id="outside"),
        pytest.param(SQUARE_WITH_HOLE, (-1, 5), False, id="outside-west-on-a-vertex-row"),
        pytest.param(SQUARE_WITH_HOLE, (0, 5), True, id="on-the-outer-edge"),
        pytest.param(SQUARE_WITH_HOLE, (10, 10), True, id="on-an-outer-vertex"),
        pytest.param(SQUARE_WITH_HOLE, (4, 5), True, id="on-the-hole-edge"),
        pytest.param(SQUARE_WITH_HOLE, (6.0001, 5), True, id="just-outside-the-hole"),
        pytest.param(SQUARE_WITH_HOLE, (10.0001, 5), False, id="just-outside-the-ring"),
        pytest.param(TRIANGLE, (5, 9), True, id="triangle-near-apex"),
        pytest.param(TRIANGLE, (1, 9), False, id="triangle-beside-apex"),
        pytest.param(TRIANGLE, (2.5, 5), True, id="triangle-on-slanted-edge"),
        pytest.param(MULTI, (0.5, 0.5), True, id="multi-first-part"),
        pytest.param(MULTI, (5.2, 5.2), True, id="multi-second-part"),
        pytest.param(MULTI, (5.5, 5.5), False, id="multi-hole-of-second-part"),
        pytest.param(MULTI, (3, 3), False, id="multi-between-parts"),
    ],
)
def test_contains(geometry, point, inside):
    assert contains(geometry, *point) is inside


def test_contains_refuses_a_non_polygon():
    with pytest.raises(ValueError):
        contains({"type": "Point", "coordinates": [1, 2]}, 1, 2)


# ---- deepest area ------------------------------------------------------------------

@dataclass(frozen=True)
class Node:
    code: str
    geometry: dict | None = None
    children: tuple = ()


TREE = (
    Node("west", polygon(rect(0, 0, 10, 10)), (
        Node("west-a", polygon(rect(0, 0, 5, 10)), (Node("west-a-1"),)),
        Node("west-b", polygon(rect(5, 0, 10, 10))),
    )),
    Node("east", polygon(rect(10, 0, 20, 10)), (Node("east-a", polygon(rect(10, 0, 15, 5))),)),
    Node("nowhere"),
)


@pytest.mark.parametrize(
    ("point", "code"),
    [
        ((2, 2), "west-a"),  # a community without a shape is never chosen
        ((7, 2), "west-b"),
        ((12, 2), "east-a"),
        ((17, 8), "east"),  # in the district, in none of its streets
        ((25, 5), None),
        ((5, 5), "west-a"),  # on a shared border: the first in order
    ],
)
def test_deepest_area_holding_the_point(point, code):
    assert deepest_area(TREE, *point) == code


# ---- validation ----------------------------------------------------------------------

@pytest.mark.parametrize(
    ("geometry", "problem"),
    [
        ({"type": "Point", "coordinates": [1, 2]}, "type must be Polygon or MultiPolygon"),
        (polygon([[0, 0], [1, 0], [0, 0]]), "at least 4 positions"),
        (polygon([[0, 0], [1, 0], [1, 1], [0, 1]]), "not closed"),
        (polygon(rect(42.8, 125.1, 42.9, 125.2)), "latitude 125.1 out of range"),
        (polygon(rect(-181, 0, 1, 1)), "longitude -181 out of range"),
        (polygon([[0, 0], [1, 0, 5], [1, 1], [0, 0]]), "a position is [longitude, latitude]"),
        (polygon([[0, 0], ["1", 0], [1, 1], [0, 0]]), "a position is [longitude, latitude]"),
        ({"type": "MultiPolygon", "coordinates": []}, "non-empty list of polygons"),
        ({"type": "Polygon", "coordinates": []}, "non-empty list of rings"),
        ({**polygon(rect(0, 0, 1, 1)), "crs": "x"}, "unexpected keys crs"),
    ],
)
def test_geometry_problems_name_the_mistake(geometry, problem):
    problems = geometry_problems(geometry)
    assert any(problem in p for p in problems), problems


@pytest.mark.parametrize("geometry", [SQUARE_WITH_HOLE, MULTI, TRIANGLE])
def test_valid_geometries_have_no_problems(geometry):
    assert geometry_problems(geometry) == []


# ---- a point inside a shape -------------------------------------------------------

def test_the_interior_point_of_a_rectangle_is_its_middle():
    square = {"type": "Polygon", "coordinates": [[[0, 0], [4, 0], [4, 2], [0, 2], [0, 0]]]}
    assert interior_point(square) == (2, 1)


def test_the_interior_point_avoids_a_hole_in_the_middle():
    from chalicelib.city import load_city

    county = next(a for a in load_city("liaoyuan.yaml").areas if a.name == "东辽县")  # the urban districts are its hole
    lng, lat = interior_point(county.geometry)
    assert contains(county.geometry, lng, lat)
    hole = {"type": "Polygon", "coordinates": [county.geometry["coordinates"][1]]}
    assert not contains(hole, lng, lat)


def test_the_interior_point_of_a_multipolygon_is_in_its_largest_part():
    parts = {"type": "MultiPolygon", "coordinates": [
        [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]],
        [[[10, 10], [20, 10], [20, 20], [10, 20], [10, 10]]],
    ]}
    assert interior_point(parts) == (15, 15)
