"""Geohash cells: the grid the duplicate lookup and the hotspot alerts read by.

Pure standard library. Positions are ``(lng, lat)`` in WGS-84 degrees.

A geohash of precision ``p`` names one cell of a fixed grid: ``5p`` bits that
interleave the longitude's bits (first) with the latitude's. At precision 6 a
cell is 0.010986° of longitude by 0.005493° of latitude: about 900 m by 610 m
in Liaoyuan (42.9° N). Requests are stored under their cell, so "what is near
this point" is a read of the few cells that a circle around it touches — its
cost follows the requests in those cells, never the requests in the city.
"""
from __future__ import annotations

import math

_ALPHABET = "0123456789bcdefghjkmnpqrstuvwxyz"
EARTH_RADIUS_M = 6371008.8  # mean radius (IUGG)
_METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


def _bits(precision: int) -> tuple[int, int]:
    """How many of the hash's bits go to longitude and to latitude."""
    total = 5 * precision
    return (total + 1) // 2, total // 2


def _bin(value: float, low: float, high: float, bits: int) -> int:
    return min(int((value - low) / (high - low) * (1 << bits)), (1 << bits) - 1)


def _hash(ix: int, iy: int, precision: int) -> str:
    lng_bits, lat_bits = _bits(precision)
    code, chars = 0, []
    for n in range(5 * precision):
        # Bit n of the hash: longitude on even positions, latitude on odd, most significant first.
        if n % 2 == 0:
            bit = (ix >> (lng_bits - 1 - n // 2)) & 1
        else:
            bit = (iy >> (lat_bits - 1 - n // 2)) & 1
        code = (code << 1) | bit
        if n % 5 == 4:
            chars.append(_ALPHABET[code])
            code = 0
    return "".join(chars)


def encode(lng: float, lat: float, precision: int) -> str:
    """The geohash of the cell that holds the point."""
    lng_bits, lat_bits = _bits(precision)
    return _hash(_bin(lng, -180.0, 180.0, lng_bits), _bin(lat, -90.0, 90.0, lat_bits), precision)


def bounds(cell: str) -> tuple[float, float, float, float]:
    """(west, south, east, north) of a cell."""
    west, east, south, north = -180.0, 180.0, -90.0, 90.0
    n = 0
    for char in cell:
        code = _ALPHABET.index(char)
        for shift in range(4, -1, -1):
            bit = (code >> shift) & 1
            if n % 2 == 0:
                middle = (west + east) / 2
                west, east = (middle, east) if bit else (west, middle)
            else:
                middle = (south + north) / 2
                south, north = (middle, north) if bit else (south, middle)
            n += 1
    return west, south, east, north


def centre(cell: str) -> tuple[float, float]:
    west, south, east, north = bounds(cell)
    return (west + east) / 2, (south + north) / 2


def cells_within(lng: float, lat: float, radius_m: float, precision: int) -> list[str]:
    """The cells that the square around the point (half-side ``radius_m``) touches, its own first.

    The square holds the circle of that radius, so every point within ``radius_m`` lies in one
    of these cells. Near the poles or the antimeridian the square is clamped to the grid.
    """
    lng_bits, lat_bits = _bits(precision)
    dlat = radius_m / _METRES_PER_DEGREE
    dlng = dlat / max(math.cos(math.radians(lat)), 1e-6)
    own = (_bin(lng, -180.0, 180.0, lng_bits), _bin(lat, -90.0, 90.0, lat_bits))
    xs = range(_bin(max(lng - dlng, -180.0), -180.0, 180.0, lng_bits), _bin(min(lng + dlng, 180.0), -180.0, 180.0, lng_bits) + 1)
    ys = range(_bin(max(lat - dlat, -90.0), -90.0, 90.0, lat_bits), _bin(min(lat + dlat, 90.0), -90.0, 90.0, lat_bits) + 1)
    others = [(ix, iy) for ix in xs for iy in ys if (ix, iy) != own]
    return [_hash(*own, precision)] + [_hash(ix, iy, precision) for ix, iy in others]


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Great-circle (haversine) distance in metres between two (lng, lat) points."""
    lng1, lat1, lng2, lat2 = map(math.radians, (a[0], a[1], b[0], b[1]))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lng2 - lng1) / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))
