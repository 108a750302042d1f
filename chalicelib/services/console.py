"""What the staff pages need besides orders: how to sign in, and the city they draw.

``config`` is public (a page must know where to sign in before it has a token): the
OpenID Connect endpoints and client of the staff sign-in, and the map's tile layer if
one is configured. ``city_map`` is for signed-in staff: the city's boundary and its
areas' shapes (GeoJSON, WGS-84) with where to put their labels, and the unit tree
that the dispatch, forward and reassign forms choose from.
"""
from __future__ import annotations

from chalicelib.answers import CityMap, ConsoleConfig, MapArea, MapUnit, Ref, SignIn, SignInClaims, Tiles
from chalicelib.city import City
from chalicelib.services import views
from chalicelib.settings import get_settings

# What the console asks the identity provider for: an ID token (the API's bearer token).
SCOPE = "openid"


def config() -> ConsoleConfig:
    settings = get_settings()
    auth = None
    if settings.auth_authorize_url and settings.auth_token_url:
        auth = SignIn(
            authorize_url=settings.auth_authorize_url,
            token_url=settings.auth_token_url,
            client_id=settings.auth_client_id,
            scope=SCOPE,
            # Where the page finds the role and the unit, to show who is signed in (the API decides).
            claims=SignInClaims(roles=settings.auth_roles_claim, unit=settings.auth_unit_claim),
        )
    tiles = None
    if settings.map_tile_url:
        tiles = Tiles(url=settings.map_tile_url, attribution=settings.map_tile_attribution)
    return ConsoleConfig(auth=auth, tiles=tiles)


def city_map(city: City) -> CityMap:
    areas = []

    def visit(nodes, parent: str | None, depth: int) -> None:
        for area in nodes:
            label = views.point_ref(*area.interior) if area.interior else None
            areas.append(
                MapArea(code=area.code, name=area.name, parent=parent, depth=depth, geometry=area.geometry, label_at=label)
            )
            visit(area.children, area.code, depth + 1)

    visit(city.areas, None, 1)
    return CityMap(
        city=Ref(code=city.code, name=city.name),
        boundary=city.boundary,
        areas=areas,
        units=[MapUnit(code=u.code, name=u.name, kind=u.kind, parent=u.parent) for u in city.units],
    )
