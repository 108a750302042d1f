"""Geohash cells: the published encoding, cell bounds, and the cells around a point."""
from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from chalicelib.domain.geocells import bounds, cells_within, centre, distance_m, encode

# Published examples (Wikipedia's "Geohash" article and geohash.org).
@pytest.mark.parametrize(
    ("lng", "lat", "precision", "expected"),
    [
        (-5.6, 42.6, 5, "ezs42"),
        (10.40744, 57.64911, 11, "u4pruydqqvj"),
        (-0.1257, 51.5081, 6, "gcpvj0"),  # London
    ],
)
def test_encode_matches_the_published_geohashes(lng, lat, precision, expected):
    assert encode(lng, lat, precision) == expected


def test_bounds_of_a_published_cell():
    west, south, east, north = bounds("ezs42")
    assert (west, south, east, north) == pytest.approx((-5.625, 42.5830078125, -5.5810546875, 42.626953125))


def test_a_precision_6_cell_in_liaoyuan_is_about_900_by_610_metres():
    west, south, east, north = bounds(encode(125.145, 42.905, 6))
    assert distance_m((west, south), (east, south)) == pytest.approx(895, abs=5)
    assert distance_m((west, south), (west, north)) == pytest.approx(611, abs=5)


points = st.tuples(st.floats(-179.9, 179.9), st.floats(-80, 80))


@settings(max_examples=200, deadline=None)
@given(points, st.integers(1, 9))
def test_a_point_lies_in_the_cell_it_encodes_to(point, precision):
    west, south, east, north = bounds(encode(*point, precision))
    eps = 1e-9  # -90 + 1e-200 is -90.0 in floating point: a border point may fall either side
    assert west - eps <= point[0] <= east + eps and south - eps <= point[1] <= north + eps


@settings(max_examples=200, deadline=None)
@given(points, st.floats(0, 1), st.floats(0, 2 * math.pi), st.sampled_from([50, 200, 500]))
def test_every_point_within_the_radius_lies_in_one_of_the_cells_around(point, share, bearing, radius):
    """The lookup reads exactly these cells: a request within the distance must be in one of them."""
    lng, lat = point
    d = share * radius / 6371008.8
    other_lat = math.degrees(math.radians(lat) + d * math.cos(bearing))
    other_lng = lng + math.degrees(d * math.sin(bearing) / math.cos(math.radians(lat)))
    if not (-180 < other_lng < 180):
        return  # the antimeridian: no city of ours spans it
    around = cells_within(lng, lat, radius, 6)
    assert around[0] == encode(lng, lat, 6)
    assert len(set(around)) == len(around)
    if distance_m((lng, lat), (other_lng, other_lat)) <= radius:
        assert encode(other_lng, other_lat, 6) in around


def test_a_200_metre_circle_in_liaoyuan_touches_one_to_four_cells():
    counts = {
        len(cells_within(125.10 + i * 0.0013, 42.86 + j * 0.0011, 200, 6)) for i in range(40) for j in range(40)
    }
    assert counts == {1, 2, 4}


def test_the_centre_of_a_cell_encodes_back_to_it():
    assert encode(*centre("wz8upd"), 6) == "wz8upd"
