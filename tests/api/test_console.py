"""What the staff pages need besides orders: the sign-in settings, the city's map and units; and what
the detail and the catalogue give them (the pin, the suggested unit, an area's own point)."""
from __future__ import annotations

import pytest

from chalicelib.domain.geo import contains
from chalicelib.services.runtime import city
from chalicelib.settings import get_settings
from tests.api.staff_helpers import API, DISPATCHER, HANDLER_CG, START

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")


@pytest.fixture
def settings(monkeypatch):
    """Settings as a stage sets them, read afresh."""

    def configure(**env):
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()

    yield configure
    monkeypatch.undo()
    get_settings.cache_clear()


def test_the_config_names_the_sign_in_and_no_tiles_by_default(api, settings):
    settings(AUTH_AUTHORIZE_URL="https://id.example.gov.cn/authorize", AUTH_TOKEN_URL="https://id.example.gov.cn/token")

    answer = api.get(f"{API}/staff/config")  # no token: the page asks before anyone signed in

    assert answer.status == 200
    assert answer.json == {
        "auth": {
            "authorize_url": "https://id.example.gov.cn/authorize",
            "token_url": "https://id.example.gov.cn/token",
            "client_id": "suqiu-test",  # the ID tokens' audience
            "scope": "openid",
            "claims": {"roles": "cognito:groups", "unit": "custom:unit"},
        },
        "tiles": None,
    }


def test_without_an_identity_provider_the_config_says_so_and_a_tile_layer_appears_when_set(api, settings):
    settings(MAP_TILE_URL="https://tiles.example.gov.cn/{z}/{x}/{y}.png", MAP_TILE_ATTRIBUTION="© 示例")

    answer = api.get(f"{API}/staff/config").json

    assert answer == {"auth": None, "tiles": {"url": "https://tiles.example.gov.cn/{z}/{x}/{y}.png", "attribution": "© 示例"}}


def test_the_city_map_has_the_boundary_every_area_and_the_unit_tree(desk):
    answer = desk.api.get(f"{API}/staff/city", desk.headers(HANDLER_CG))

    assert answer.status == 200
    shown = answer.json
    assert shown["boundary"] == city().boundary
    areas = {a["code"]: a for a in shown["areas"]}
    assert set(areas) == set(city().area_parent)
    district = areas["220422"]  # 东辽县, which has the urban districts as a hole
    assert (district["depth"], district["parent"], district["name"]) == (1, None, "东辽县")
    assert contains(district["geometry"], district["label_at"]["lng"], district["label_at"]["lat"])
    assert areas["220402001001"]["geometry"] is None and areas["220402001001"]["depth"] == 3
    units = {u["code"]: u for u in shown["units"]}
    assert units["lsq-cg"] == {"code": "lsq-cg", "name": "龙山区城市管理局", "kind": "department", "parent": "lsq"}
    assert desk.api.get(f"{API}/staff/city").status == 401


def test_the_detail_gives_the_pin_in_wgs84_and_the_unit_to_preselect(desk):
    waiting = desk.api.post(f"{API}/requests", {
        "type": "complaint", "category": "other", "description": "小区门口垃圾堆了好几天没人清运，臭气熏天",
        "location": {"lat": 42.903, "lng": 125.151, "coord_system": "gcj02"}, "anonymous": True,
    }).json["tracking_no"]

    detail = desk.order(waiting)

    pin = detail["location"]["wgs84"]
    assert 0.001 < abs(pin["lng"] - 125.151) < 0.01 and 0.0005 < abs(pin["lat"] - 42.903) < 0.01  # GCJ-02 undone
    # Filed under "other" and left for the dispatcher; routing by the suggested category picks the unit.
    assert detail["suggestion"]["code"] == "sanitation"
    assert detail["suggested_unit"] == {"code": "lsq-cg", "name": "龙山区城市管理局"}


def test_a_request_nothing_routes_has_no_unit_to_preselect(desk):
    no = desk.submit()["tracking_no"]  # "other", about a household registration: no rule, no confident suggestion
    assert desk.order(no)["suggested_unit"] is None


def test_every_area_of_the_catalogue_has_a_point_inside_it_or_its_parent(api):
    def walk(nodes, parent_geometry):
        for node in nodes:
            area = next(a for a in _areas() if a.code == node["code"])
            shape = area.geometry or parent_geometry
            assert contains(shape, node["center"]["lng"], node["center"]["lat"]), node["name"]
            walk(node["children"], shape)

    walk(api.get(f"{API}/catalog").json["areas"], None)


def _areas():
    found, stack = [], list(city().areas)
    while stack:
        area = stack.pop()
        found.append(area)
        stack.extend(area.children)
    return found
