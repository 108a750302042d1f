"""What Open311 publishes: the city's ``open311.publish`` policy, and a partner's own view.

GET requests, requests/{id}, tokens/{token} and servicerequestupdates need no key, so
they are public. A 举报 (type report) and a 治安 (public_security) request are never
there, nor a rejected one: to the public they do not exist (the same 404 as a number
never issued). A category that is not about public space shows the centre of its ~100 m
grid cell and the area's name, never the point or the street address as sent; photos only
for the categories the policy lists. A partner's ``api_key`` sees its own channel's
requests in full, and only the public view of the others'.
"""
from __future__ import annotations

import copy
import datetime as dt

import pytest
import yaml

from chalicelib.city import CITIES_DIR, CityConfigError, parse_city
from chalicelib.domain import open311
from chalicelib.domain.geocells import distance_m
from tests.api.resident_helpers import upload
from tests.api.staff_helpers import DISPATCHER, HANDLER_CG, HANDLER_XY, START, Desk
from tests.open311.helpers import FORMATS, check_schema, children, errors_of, issue_key, xml_of

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

LAT, LNG = 42.902, 125.145  # in 龙山区向阳街道 (220402001), WGS-84
ADDRESS = "龙山区向阳街道人民大街8号3单元502"
AREA_NAME = "龙山区向阳街道"
SEEN = {"service_request_id", "lat", "long", "address", "media_url"}


@pytest.fixture
def keys(api, staff) -> dict[str, str]:
    return {channel: issue_key(api, staff, channel)["api_key"] for channel in ("hotline", "grid")}


def submit(api, key: str | None, category: str, type: str = "complaint", photo: bool = False,
           lat: float = LAT, lng: float = LNG) -> str:
    """A request through /api/v1 (with a partner's key, if given); its tracking number."""
    body = {"type": type, "category": category, "description": "楼道里的垃圾堆了一个星期没人清理",
            "location": {"lat": lat, "lng": lng, "coord_system": "wgs84", "address": ADDRESS}, "anonymous": True}
    if photo:
        body["media"] = [upload(api)]
    answer = api.post("/api/v1/requests", body, {"X-Api-Key": key} if key else {})
    assert answer.status == 201, answer
    return answer.json["tracking_no"]


def post(o311, key: str, service_code: str, request_type: str = "complaint") -> tuple[str, str]:
    """A request through Open311's POST; its number and token."""
    form = {"api_key": key, "service_code": service_code, "lat": str(LAT), "long": str(LNG),
            "address_string": ADDRESS, "description": "来电反映：楼道里的垃圾堆了一个星期",
            "attribute[request_type]": request_type}
    answer = o311.post("json", form)
    assert answer.status == 201, answer
    return answer.json[0]["service_request_id"], answer.json[0]["token"]


def requests(o311, fmt: str = "json", path: str = "requests", **params) -> list[dict]:
    """GET requests (or requests/{id}): each request's id, point, address and photo link."""
    answer = o311.get(f"{path}.{fmt}", **params)
    assert answer.status == 200, answer
    if fmt == "json":
        check_schema("requests.json", answer.json)
        return [{name: item[name] for name in SEEN} for item in answer.json]
    found = []
    for item in children(xml_of(answer), "request"):
        entry = {c.tag: c.text for c in item if c.tag in SEEN}
        found.append({**entry, "lat": float(entry["lat"]), "long": float(entry["long"])})
    return found


def numbers(o311, fmt: str = "json", **params) -> list[str]:
    return [item["service_request_id"] for item in requests(o311, fmt, **params)]


def updates(o311, fmt: str = "json", **params) -> list[tuple[str, str | None]]:
    """The feed: each update's request and photo link."""
    answer = o311.get(f"servicerequestupdates.{fmt}", **params)
    assert answer.status == 200, answer
    if fmt == "json":
        return [(u["service_request_id"], u["media_url"]) for u in answer.json]
    return [(u.find("service_request_id").text, u.find("media_url").text)
            for u in children(xml_of(answer), "request_update")]


def unknown(o311, fmt: str, number: str) -> list[str]:
    """requests/{number} answers 404: the descriptions."""
    return errors_of(o311.get(f"requests/{number}.{fmt}"), fmt, 404)


# ---- hidden requests ---------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_a_report_and_a_public_security_request_are_unknown_to_the_public(o311, keys, fmt):
    shown, shown_token = post(o311, keys["hotline"], "sanitation")
    report, report_token = post(o311, keys["hotline"], "sanitation", "report")  # 举报
    security, security_token = post(o311, keys["hotline"], "public_security")  # 治安

    assert numbers(o311, fmt) == [shown]
    assert numbers(o311, fmt, service_request_id=f"{security},{report},{shown}") == [shown]
    assert numbers(o311, fmt, service_code="public_security") == []
    assert numbers(o311, fmt, status="open") == [shown]
    assert [number for number, _ in updates(o311, fmt)] == [shown, shown]  # submitted, dispatched
    # As unknown as a number never issued: the same answer.
    never = f"{shown[:-4]}9999"
    for hidden in (report, security):
        assert unknown(o311, fmt, hidden) == [d.replace(never, hidden) for d in unknown(o311, fmt, never)]
    never_token = errors_of(o311.get(f"tokens/no-such-token.{fmt}"), fmt, 404)
    for token in (report_token, security_token):
        assert errors_of(o311.get(f"tokens/{token}.{fmt}"), fmt, 404) == never_token
    assert o311.get(f"tokens/{shown_token}.{fmt}").status == 200


def test_a_rejected_request_is_withdrawn_from_the_public(api, staff, o311):
    desk = Desk(api, staff)
    waiting = desk.submit()["tracking_no"]  # no rule routes "other": it waits for the dispatcher
    assert numbers(o311) == [waiting] and updates(o311) == [(waiting, None)]

    desk.done(waiting, DISPATCHER, "reject", reason="不属于12345受理范围")

    assert numbers(o311) == [] and updates(o311) == []
    assert numbers(o311, service_request_id=waiting, status="closed") == []
    unknown(o311, "json", waiting)


# ---- points, addresses, photos -------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_a_private_places_point_is_its_cells_centre_within_100_m_and_always_the_same(api, o311, fmt):
    property_no = submit(api, None, "property")  # 物业管理: in an estate, maybe at the door
    near = submit(api, None, "property", lat=LAT - 0.00003, lng=LNG + 0.00003)  # 4 m away, in the same cell
    street = submit(api, None, "sanitation")  # 环境卫生: a public space, where crews need the point

    listed = {item["service_request_id"]: item for item in requests(o311, fmt)}
    [one] = requests(o311, fmt, path=f"requests/{property_no}")
    again = {item["service_request_id"]: item for item in requests(o311, fmt)}

    coarse = (one["lat"], one["long"])
    assert coarse != (LAT, LNG)
    assert distance_m((LNG, LAT), (one["long"], one["lat"])) <= 100
    # The same point however often and however it is read: averaging reads gives it back, not the point.
    assert listed[property_no] == one == again[property_no]
    assert (listed[near]["lat"], listed[near]["long"]) == coarse
    # No street address, no door number: the area's name.
    assert one["address"] == listed[near]["address"] == AREA_NAME
    assert (listed[street]["lat"], listed[street]["long"], listed[street]["address"]) == (LAT, LNG, ADDRESS)


def test_grid_cells_are_about_100_m_across_and_their_centre_within_71_m_of_each_point():
    coarse = open311.coarse_point  # (lng, lat), as distance_m
    for point in [(125.145, 42.902), (125.1, 42.9), (0.0, 0.0), (151.2, -33.86), (-21.9, 64.1)]:
        centre = coarse(*point, 100)
        assert distance_m(point, centre) <= 100 / 2 ** 0.5 + 0.1  # half a diagonal, and the rounding
        assert coarse(*centre, 100) == centre  # a centre is its own cell's centre
    # Points of one cell share its centre; the next cell east is 100 m away, the next row 100 m
    # north (its cells need not line up with this row's: each row's width follows its latitude).
    a = coarse(125.14501, 42.90201, 100)
    assert coarse(125.14502, 42.90202, 100) == a
    east = coarse(a[0] + 0.0013, a[1], 100)
    assert east[1] == a[1] and 99.9 <= distance_m(a, east) <= 100.1
    north = coarse(a[0], a[1] + 0.0009, 100)
    assert 99.9 <= distance_m(a, (a[0], north[1])) <= 100.1


@pytest.mark.parametrize("fmt", FORMATS)
def test_photos_are_linked_only_for_the_categories_the_policy_lists(api, staff, o311, keys, fmt):
    street = submit(api, keys["hotline"], "sanitation", photo=True)  # → lsq-cg
    estate = submit(api, keys["hotline"], "property", photo=True)  # → lsq-xy
    desk = Desk(api, staff)
    for number, unit in ((street, HANDLER_CG), (estate, HANDLER_XY)):
        desk.done(number, unit, "sign")
        desk.done(number, unit, "resolve", reply="已处理", result_media=[desk.photo(staff(*unit))])

    public = {item["service_request_id"]: item["media_url"] for item in requests(o311, fmt, api_key=keys["grid"])}
    assert "X-Amz-Expires=300" in public[street] and public[estate] is None
    assert requests(o311, fmt, path=f"requests/{estate}")[0]["media_url"] is None
    # The feed links the result photos of the resolve events: the street's only.
    assert [number for number, url in updates(o311, fmt) if url] == [street]
    own = {item["service_request_id"]: item["media_url"] for item in requests(o311, fmt, api_key=keys["hotline"])}
    assert "X-Amz-Expires=300" in own[estate]
    assert [number for number, url in updates(o311, fmt, api_key=keys["hotline"]) if url] == [street, estate]


# ---- a partner's key ---------------------------------------------------------------------

@pytest.mark.parametrize("fmt", FORMATS)
def test_a_partner_sees_its_own_channels_requests_in_full_and_the_public_view_of_others(o311, keys, fmt):
    report, token = post(o311, keys["hotline"], "property", "report")
    estate, _ = post(o311, keys["hotline"], "property")
    grids, grid_token = post(o311, keys["grid"], "public_security")

    own = {item["service_request_id"]: item for item in requests(o311, fmt, api_key=keys["hotline"])}
    assert list(own) == [estate, report]  # not the grid's 治安 request
    for number in (report, estate):
        assert (own[number]["lat"], own[number]["long"], own[number]["address"]) == (LAT, LNG, ADDRESS)
    assert requests(o311, fmt, path=f"requests/{report}", api_key=keys["hotline"]) == [own[report]]
    assert o311.get(f"tokens/{token}.{fmt}", api_key=keys["hotline"]).status == 200
    assert {number for number, _ in updates(o311, fmt, api_key=keys["hotline"])} == {report, estate}

    others = {item["service_request_id"]: item for item in requests(o311, fmt, api_key=keys["grid"])}
    assert list(others) == [grids, estate]  # its own 治安 request, and the hotline's public one
    assert (others[estate]["lat"], others[estate]["long"], others[estate]["address"]) != (LAT, LNG, ADDRESS)
    assert others[estate]["address"] == AREA_NAME
    unknown(o311, fmt, report)
    assert errors_of(o311.get(f"requests/{report}.{fmt}", api_key=keys["grid"]), fmt, 404)
    assert errors_of(o311.get(f"tokens/{token}.{fmt}", api_key=keys["grid"]), fmt, 404)
    assert o311.get(f"tokens/{grid_token}.{fmt}", api_key=keys["grid"]).status == 200


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("resource", ["requests", "servicerequestupdates", "requests/LY202503030001"])
def test_a_bad_api_key_on_a_read_is_403_not_the_public_view(o311, keys, resource, fmt):
    _, key_id, secret = keys["hotline"].split(".")
    for api_key in ("nonsense", f"grid.{key_id}.{secret}"):
        errors_of(o311.get(f"{resource}.{fmt}", api_key=api_key), fmt, 403)


# ---- limits ---------------------------------------------------------------------------

def test_the_limit_counts_only_what_the_reader_may_see(api, o311, keys, clock, monkeypatch):
    def reports(count: int) -> list[str]:
        return [submit(api, keys["hotline"], category, "report") for category in ("property", "market", "labor")[:count]]

    older = reports(2)
    clock.tick(dt.timedelta(minutes=1))
    visible = [submit(api, keys["grid"], category) for category in ("sanitation", "municipal")]
    clock.tick(dt.timedelta(minutes=1))
    newer = reports(3)
    monkeypatch.setattr(open311, "MAX_ITEMS", 2)

    # Newest first: past the hidden newer ones, to the two that may be seen.
    assert numbers(o311) == visible[::-1]
    assert numbers(o311, api_key=keys["grid"]) == visible[::-1]
    assert numbers(o311, api_key=keys["hotline"]) == newer[:0:-1]
    # Oldest first: past the hidden older ones' updates, to the first two public ones.
    assert [number for number, _ in updates(o311)] == [visible[0], visible[0]]  # submitted, dispatched
    assert [number for number, _ in updates(o311, api_key=keys["hotline"])][:1] == older[:1]


# ---- the policy in the city file --------------------------------------------------------------

DEMO = yaml.safe_load((CITIES_DIR / "liaoyuan.yaml").read_text(encoding="utf-8"))


def city_with(publish: dict | None):
    data = copy.deepcopy(DEMO)
    if publish is None:
        data["open311"].pop("publish", None)
    else:
        data["open311"]["publish"] = publish
    return parse_city(yaml.safe_dump(data, allow_unicode=True), "city.yaml")


def test_without_a_policy_the_city_publishes_cautiously():
    city = city_with(None)
    policy = city.publication
    assert policy.types == {t.code for t in city.types} - {"report"}
    assert policy.categories == {c.code for c in city.categories} - {"public_security"}
    assert (policy.rejected, policy.exact, policy.photos, policy.grid_m) == (False, frozenset(), frozenset(), 100)


def test_the_demo_city_publishes_exact_points_and_photos_of_public_spaces_only():
    city = city_with({})
    assert city.publication.photos == city.publication.exact == frozenset()
    demo = parse_city((CITIES_DIR / "liaoyuan.yaml").read_text(encoding="utf-8"), "liaoyuan.yaml").publication
    assert demo.exact == demo.photos == {"sanitation", "municipal", "traffic", "greening"}
    assert "report" not in demo.types and "public_security" not in demo.categories and not demo.rejected


@pytest.mark.parametrize(
    ("publish", "expected"),
    [
        ({"types": ["complaint", "grievance"]}, "open311.publish.types: unknown type 'grievance'"),
        ({"categories": ["weather"]}, "open311.publish.categories: unknown category 'weather'"),
        ({"public_space": ["sanitation", "roads"]}, "open311.publish.public_space: unknown category 'roads'"),
        ({"photos": ["parks"]}, "open311.publish.photos: unknown category 'parks'"),
        ({"grid_m": 5}, "open311.publish.grid_m"),
        ({"exact": ["sanitation"]}, "open311.publish.exact: Extra inputs are not permitted"),
    ],
)
def test_a_policy_naming_what_the_city_does_not_have_is_refused_at_load(publish, expected):
    with pytest.raises(CityConfigError) as refused:
        city_with(publish)
    assert expected in str(refused.value)


def test_a_city_may_list_rejected_requests_and_photos_beyond_public_spaces():
    from types import SimpleNamespace

    city = city_with({"rejected": True, "public_space": ["municipal"], "photos": ["municipal", "property"],
                      "categories": ["municipal", "property", "public_security"]})

    def order(category="property", type="complaint", state="rejected", channel="web"):
        lifecycle = SimpleNamespace(category=category, type=type, state=state)
        return SimpleNamespace(order=lifecycle, report=SimpleNamespace(channel=channel))  # a StoredOrder's halves

    assert open311.disclosure(order(), city, None) == open311.Disclosure(exact=False, photos=True)
    assert open311.disclosure(order("municipal"), city, None) == open311.Disclosure(exact=True, photos=True)
    assert open311.disclosure(order("public_security"), city, None) == open311.Disclosure(exact=False, photos=False)
    assert open311.disclosure(order("sanitation"), city, None) is None  # not listed
    assert open311.disclosure(order(type="report"), city, None) is None  # types unsaid: all but report
    assert open311.disclosure(order(type="report", channel="hotline"), city, "hotline") == open311.Disclosure(True, True)
    assert open311.disclosure(order("sanitation", channel="hotline"), city, "grid") is None
