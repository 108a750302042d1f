"""Coordinates and areas: GCJ-02 → WGS-84, point in GeoJSON polygon, and the area a point lies in.

Pure standard library. Positions are GeoJSON order, ``(lng, lat)`` in degrees.

Chinese map SDKs (AMap, Tencent) give GCJ-02 ("Mars") coordinates: WGS-84 moved
by the published obfuscation transform (a few hundred metres in Liaoyuan). The
transform has no closed-form inverse; ``gcj02_to_wgs84`` iterates on the forward
transform until it reproduces the given point (within about a millimetre).
Points outside the mainland bounding box are not shifted by the transform, so
they come back unchanged.

A point on a ring's edge or vertex counts as inside the polygon (a hole's edge
belongs to the polygon around it): a resident standing on a street's border is
within the city, and the first area (in file order) that has them wins.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

Position = Sequence[float]
Ring = Sequence[Position]

_A = 6378245.0  # Krasovsky 1940 semi-major axis, as the transform uses it
_EE = 0.00669342162296594323  # its eccentricity squared


def out_of_china(lng: float, lat: float) -> bool:
    """Outside the box the transform applies to (the usual rough mainland bounds)."""
    return not (73.66 < lng < 135.05 and 3.86 < lat < 53.55)


def _shift_lat(x: float, y: float) -> float:
    ret = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(y * math.pi) + 40.0 * math.sin(y / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (160.0 * math.sin(y / 12.0 * math.pi) + 320.0 * math.sin(y * math.pi / 30.0)) * 2.0 / 3.0
    return ret


def _shift_lng(x: float, y: float) -> float:
    ret = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * math.sqrt(abs(x))
    ret += (20.0 * math.sin(6.0 * x * math.pi) + 20.0 * math.sin(2.0 * x * math.pi)) * 2.0 / 3.0
    ret += (20.0 * math.sin(x * math.pi) + 40.0 * math.sin(x / 3.0 * math.pi)) * 2.0 / 3.0
    ret += (150.0 * math.sin(x / 12.0 * math.pi) + 300.0 * math.sin(x / 30.0 * math.pi)) * 2.0 / 3.0
    return ret


def wgs84_to_gcj02(lng: float, lat: float) -> tuple[float, float]:
    """The public forward transform."""
    if out_of_china(lng, lat):
        return lng, lat
    dlat = _shift_lat(lng - 105.0, lat - 35.0)
    dlng = _shift_lng(lng - 105.0, lat - 35.0)
    radlat = lat / 180.0 * math.pi
    magic = 1 - _EE * math.sin(radlat) ** 2
    sqrtmagic = math.sqrt(magic)
    dlat = (dlat * 180.0) / ((_A * (1 - _EE)) / (magic * sqrtmagic) * math.pi)
    dlng = (dlng * 180.0) / (_A / sqrtmagic * math.cos(radlat) * math.pi)
    return lng + dlng, lat + dlat


def gcj02_to_wgs84(lng: float, lat: float, tolerance: float = 1e-9, max_rounds: int = 30) -> tuple[float, float]:
    """The WGS-84 point whose forward transform is the given GCJ-02 point."""
    if out_of_china(lng, lat):
        return lng, lat
    w_lng, w_lat = lng, lat
    for _ in range(max_rounds):
        g_lng, g_lat = wgs84_to_gcj02(w_lng, w_lat)
        d_lng, d_lat = lng - g_lng, lat - g_lat
        w_lng, w_lat = w_lng + d_lng, w_lat + d_lat
        if abs(d_lng) < tolerance and abs(d_lat) < tolerance:
            break
    return w_lng, w_lat


def to_wgs84(lng: float, lat: float, coord_system: str) -> tuple[float, float]:
    if coord_system == "gcj02":
        return gcj02_to_wgs84(lng, lat)
    if coord_system == "wgs84":
        return lng, lat
    raise ValueError(f"unknown coordinate system {coord_system!r}")


def wgs84_of(location: Any) -> tuple[float, float]:
    """A location as sent or stored (lat, lng, coord_system; numbers or Decimals) as (lng, lat) in WGS-84."""
    return to_wgs84(float(location.lng), float(location.lat), location.coord_system)


# ---- point in polygon ----------------------------------------------------------

def _on_segment(x: float, y: float, a: Position, b: Position, eps: float = 1e-12) -> bool:
    (x1, y1), (x2, y2) = a[:2], b[:2]
    cross = (x2 - x1) * (y - y1) - (y2 - y1) * (x - x1)
    if abs(cross) > eps * max(1.0, abs(x2 - x1) + abs(y2 - y1)):
        return False
    return min(x1, x2) - eps <= x <= max(x1, x2) + eps and min(y1, y2) - eps <= y <= max(y1, y2) + eps


def _edges(ring: Ring) -> Iterable[tuple[Position, Position]]:
    return zip(ring, ring[1:])  # GeoJSON rings are closed: the last position repeats the first


def on_ring(x: float, y: float, ring: Ring) -> bool:
    return any(_on_segment(x, y, a, b) for a, b in _edges(ring))


def in_ring(x: float, y: float, ring: Ring) -> bool:
    """Ray casting (even-odd); a point on the ring's edge is not decided here."""
    inside = False
    for (x1, y1, *_), (x2, y2, *_) in _edges(ring):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def in_polygon(x: float, y: float, rings: Sequence[Ring]) -> bool:
    """GeoJSON Polygon coordinates: the outer ring, then its holes."""
    if not rings:
        return False
    if any(on_ring(x, y, ring) for ring in rings):
        return True
    outer, holes = rings[0], rings[1:]
    return in_ring(x, y, outer) and not any(in_ring(x, y, hole) for hole in holes)


def contains(geometry: dict[str, Any], lng: float, lat: float) -> bool:
    """True when a GeoJSON Polygon or MultiPolygon holds the point (edges included)."""
    kind, coordinates = geometry["type"], geometry["coordinates"]
    if kind == "Polygon":
        return in_polygon(lng, lat, coordinates)
    if kind == "MultiPolygon":
        return any(in_polygon(lng, lat, polygon) for polygon in coordinates)
    raise ValueError(f"not a polygon geometry: {kind!r}")


def interior_point(geometry: dict[str, Any]) -> tuple[float, float]:
    """A point well inside a Polygon or MultiPolygon, (lng, lat): where a map puts its label, and
    where a request located only by its area is placed.

    The middle of the widest stretch inside the shape along the line through the middle of its
    extent (of its largest polygon, for a MultiPolygon): inside, holes and all, unlike a centroid.
    """
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]

    def extent(rings: Sequence[Ring]) -> tuple[float, float, float, float]:
        xs, ys = [p[0] for p in rings[0]], [p[1] for p in rings[0]]
        return min(xs), min(ys), max(xs), max(ys)

    def size(rings: Sequence[Ring]) -> float:
        west, south, east, north = extent(rings)
        return (east - west) * (north - south)

    rings = max(polygons, key=size)
    west, south, east, north = extent(rings)
    y = (south + north) / 2
    crossings = sorted(
        x1 + (y - y1) * (x2 - x1) / (y2 - y1)
        for ring in rings
        for (x1, y1, *_), (x2, y2, *_) in _edges(ring)
        if (y1 > y) != (y2 > y)
    )
    stretches = list(zip(crossings[::2], crossings[1::2]))
    if not stretches:
        return rings[0][0][0], rings[0][0][1]
    left, right = max(stretches, key=lambda s: s[1] - s[0])
    return (left + right) / 2, y


class _Located(Protocol):
    code: str
    children: Sequence["_Located"]

    @property
    def geometry(self) -> dict[str, Any] | None: ...


def deepest_area(areas: Sequence[_Located], lng: float, lat: float) -> str | None:
    """The code of the deepest area whose geometry holds the point, or None.

    Walks down the tree: among each level's areas that have a geometry, the first
    one holding the point is taken and its children are searched next. Areas
    without a geometry (communities, usually) are never chosen.
    """
    found: str | None = None
    level = areas
    while level:
        match = next((a for a in level if a.geometry is not None and contains(a.geometry, lng, lat)), None)
        if match is None:
            break
        found, level = match.code, match.children
    return found


# ---- validation ----------------------------------------------------------------

def geometry_problems(geometry: Any) -> list[str]:
    """What is wrong with a GeoJSON Polygon/MultiPolygon: structure and ranges only."""
    if not isinstance(geometry, dict):
        return ["expected a GeoJSON geometry (a mapping with type and coordinates)"]
    extra = sorted(set(geometry) - {"type", "coordinates"})
    if extra:
        return [f"unexpected keys {', '.join(map(str, extra))}"]
    kind, coordinates = geometry.get("type"), geometry.get("coordinates")
    if kind == "Polygon":
        polygons, prefixes = [coordinates], ["coordinates"]
    elif kind == "MultiPolygon":
        if not isinstance(coordinates, list) or not coordinates:
            return ["coordinates: a MultiPolygon needs a non-empty list of polygons"]
        polygons, prefixes = coordinates, [f"coordinates[{i}]" for i in range(len(coordinates))]
    else:
        return [f"type must be Polygon or MultiPolygon, not {kind!r}"]
    problems = []
    for polygon, prefix in zip(polygons, prefixes):
        if not isinstance(polygon, list) or not polygon:
            problems.append(f"{prefix}: a polygon needs a non-empty list of rings")
            continue
        for r, ring in enumerate(polygon):
            problems += [f"{prefix}[{r}]: {p}" for p in _ring_problems(ring)]
    return problems


def _ring_problems(ring: Any) -> list[str]:
    if not isinstance(ring, list) or len(ring) < 4:
        return ["a ring needs at least 4 positions (the last repeating the first)"]
    problems = []
    for i, position in enumerate(ring):
        if (
            not isinstance(position, list)
            or len(position) != 2
            or not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in position)
        ):
            problems.append(f"[{i}]: a position is [longitude, latitude]")
            continue
        lng, lat = position
        if not (math.isfinite(lng) and -180 <= lng <= 180):
            problems.append(f"[{i}]: longitude {lng} out of range -180..180")
        if not (math.isfinite(lat) and -90 <= lat <= 90):
            problems.append(f"[{i}]: latitude {lat} out of range -90..90 (positions are [longitude, latitude])")
    if not problems and ring[0] != ring[-1]:
        problems.append("ring is not closed: the last position must repeat the first")
    return problems
