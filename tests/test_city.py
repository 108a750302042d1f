"""The city configuration: the demo city, and what a broken city file is told."""
from __future__ import annotations

import copy

import pytest
import yaml

from chalicelib.city import (
    CITIES_DIR,
    RESIDENTS_TEXT,
    SMS_TEMPLATES,
    CityConfigError,
    TimeLimit,
    load_city,
    parse_city,
)
from chalicelib.domain.geo import contains, deepest_area

CITY = load_city("liaoyuan.yaml")
DEMO = yaml.safe_load((CITIES_DIR / "liaoyuan.yaml").read_text(encoding="utf-8"))
SOURCE = "broken.yaml"


def wd(days: int) -> TimeLimit:
    return TimeLimit(working_days=days)


def hours(count: int) -> TimeLimit:
    return TimeLimit(hours=count)


def test_demo_city_loads():
    assert (CITY.code, CITY.tracking_prefix, CITY.timezone) == ("liaoyuan", "LY", "Asia/Shanghai")
    assert len(CITY.units) >= 10
    assert [c.code for c in CITY.categories] == [
        "sanitation", "municipal", "traffic", "public_security", "pollution",
        "greening", "property", "utilities", "market", "labor", "other",
    ]
    assert {t.code: (t.name, t.limit) for t in CITY.types} == {
        "consult": ("咨询", wd(3)),
        "help": ("求助", wd(5)),
        "complaint": ("投诉", wd(15)),
        "report": ("举报", wd(15)),
        "suggestion": ("建议", wd(15)),
        "praise": ("表扬", wd(5)),
    }


@pytest.mark.parametrize(
    ("type_code", "category", "limit"),
    [
        ("complaint", "sanitation", wd(5)),
        ("help", "municipal", hours(48)),
        ("help", "public_security", hours(24)),
        ("report", "pollution", wd(5)),
        ("help", "utilities", hours(24)),
        ("complaint", "utilities", hours(24)),
        ("help", "labor", wd(3)),
        # not overridden: the type's default
        ("help", "sanitation", wd(5)),
        ("consult", "utilities", wd(3)),
        ("complaint", "traffic", wd(15)),
        ("praise", "other", wd(5)),
    ],
)
def test_time_limit_honours_category_overrides(type_code, category, limit):
    assert CITY.time_limit(type_code, category) == limit


def test_demo_city_has_partner_channels_questions_and_open311_settings():
    assert [(c.code, c.vouches_for_contact) for c in CITY.channels] == [
        ("hotline", True), ("grid", True), ("police", True), ("open311", False),
    ]
    assert CITY.channel_by_code["hotline"].note == "由12345热线受理，来电人已由话务员核实，免短信验证"
    spot = CITY.category_by_code["traffic"].question_by_code["spot"]
    assert (spot.datatype, spot.required, [v.key for v in spot.values]) == (
        "singlevaluelist", True, ["crossing", "road", "parking", "estate"],
    )
    assert {c.code for c in CITY.categories if c.questions} == {"traffic", "pollution", "utilities", "market"}
    assert CITY.open311.default_type == "complaint" and CITY.open311.contact and CITY.open311.key_service


def test_the_demo_city_lets_staff_type_in_calls_visits_and_letters():
    assert CITY.intake.staff_channels == {"phone": "电话", "walk_in": "来访", "letter": "来信"}


def test_a_city_without_channels_or_open311_section_loads_with_defaults():
    data = copy.deepcopy(DEMO)
    del data["channels"], data["open311"]
    city = parse_city(yaml.safe_dump(data, allow_unicode=True), SOURCE)
    assert city.channels == () and city.open311.default_type == "complaint"


def test_unit_tree():
    assert CITY.unit_subtree("lsq") == {
        "lsq", "lsq-cg", "lsq-xy", "lsq-nk", "lsq-dj", "lsq-xy-ls", "lsq-xy-xy", "lsq-nk-nk",
    }
    assert CITY.unit_subtree("lsq-xy") == {"lsq-xy", "lsq-xy-ls", "lsq-xy-xy"}
    assert CITY.unit_subtree("cgj") == {"cgj"}
    assert CITY.unit_path("lsq-xy-ls") == ["lsq-xy-ls", "lsq-xy", "lsq"]
    assert CITY.is_within("lsq-xy-ls", "lsq") and CITY.is_within("lsq", "lsq")
    assert not CITY.is_within("lsq", "lsq-xy") and not CITY.is_within("nowhere", "lsq")


def test_area_tree():
    assert CITY.area_subtree("220402001") == {"220402001", "220402001001", "220402001002"}
    longshan = CITY.area_subtree("220402")
    assert len(longshan) == 10 and {"220402", "220402003002"} <= longshan
    assert not longshan & CITY.area_subtree("220403")
    assert CITY.area_subtree("220402001001") == {"220402001001"}
    assert CITY.area_path("220402001001") == ["220402001001", "220402001", "220402"]


# ---- broken city files ----------------------------------------------------------

def broken(change) -> str:
    """The demo city's YAML after ``change`` mutates a copy of its data."""
    data = copy.deepcopy(DEMO)
    change(data)
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


def add_units(*units):
    return lambda data: data["units"].extend(
        {"code": code, "name": code, "kind": "street", "parent": parent} for code, parent in units
    )


def set_routing(**rule):
    return lambda data: data["routing"].__setitem__(0, {"category": "sanitation", "unit": "cgj", **rule})


def drop_type(code):
    return lambda data: data.__setitem__("types", [t for t in data["types"] if t["code"] != code])


def duplicate(key, index):
    return lambda data: data[key].append(copy.deepcopy(data[key][index]))


def set_key(key, value):
    return lambda data: data.__setitem__(key, value)


def both_limits(data):
    data["types"][0]["limit"] = {"working_days": 3, "hours": 24}


def limit_for_unknown_type(data):
    data["categories"][0]["limits"]["grievance"] = {"working_days": 2}


def add_question(category, **question):
    return lambda data: next(c for c in data["categories"] if c["code"] == category).setdefault("questions", []).append(
        {"code": "q", "description": "问题", "datatype": "string", **question}
    )


def add_channel(**channel):
    return lambda data: data["channels"].append({"code": "hotline", "name": "热线", "note": "免短信验证", **channel})


def add_staff_channel(code, label="传真"):
    return lambda data: data["intake"]["staff_channels"].update({code: label})


def add_media_type(kind, content_type):
    return lambda data: data["media"]["kinds"][kind]["types"].append(content_type)


def set_open311(**settings):
    return lambda data: data["open311"].update(settings)


def set_template(name, text):
    return lambda data: data["sms"]["templates"].__setitem__(name, text)


def set_extensions(**policy):
    return lambda data: data["extensions"].update(policy)


def set_staff_digest(**digest):
    return lambda data: data["sms"].__setitem__("staff_digest", digest)


BROKEN_FILES = [
    (add_units(("x-street", "nowhere")), "units.x-street: unknown parent 'nowhere'"),
    (add_units(("loop-a", "loop-b"), ("loop-b", "loop-a")), "units.loop-a: parent chain loops"),
    (add_units(("selfish", "selfish")), "units.selfish: parent chain loops"),
    (set_routing(unit="nowhere"), "routing[0]: unknown unit 'nowhere'"),
    (set_routing(category="weather"), "routing[0]: unknown category 'weather'"),
    (set_routing(area="999999"), "routing[0]: unknown area '999999'"),
    (duplicate("units", 1), "units: duplicate codes cgj"),
    (duplicate("categories", 0), "categories: duplicate codes sanitation"),
    (duplicate("types", 2), "types: duplicate codes complaint"),
    (duplicate("areas", 0), "areas: duplicate codes"),
    (drop_type("praise"), "types: missing praise"),
    (both_limits, "types.0.limit"),
    (limit_for_unknown_type, "categories.sanitation.limits: unknown type 'grievance'"),
    (set_key("colour", "red"), "colour: Extra inputs are not permitted"),
    (set_key("timezone", "Mars/Olympus_Mons"), "timezone"),
    (set_key("tracking_prefix", "ly-1"), "tracking_prefix"),
    (add_question("sanitation", datatype="singlevaluelist"), "a singlevaluelist question needs values"),
    (add_question("sanitation", values=[{"key": "a", "name": "A"}]), "a string question has no values"),
    (add_question("sanitation", datatype="multivaluelist", values=[{"key": "a", "name": "A"}] * 2),
     "duplicate value keys"),
    (add_question("sanitation", datatype="colour"), "categories.0.questions.0.datatype"),
    (add_question("traffic", code="spot"), "categories.traffic.questions: duplicate codes spot"),
    (add_question("sanitation", code="request_type"), "'request_type' is reserved for the request type"),
    (add_question("sanitation", code="Bad Code"), "categories.0.questions.0.code"),
    (add_channel(), "channels: duplicate codes hotline"),
    (add_channel(code="web"), "channels: 'web' is the residents' own channel"),
    (add_channel(code="x", note=""), "channels.4.note"),
    # An external_id is claimed per channel: a staff channel named as a partner's would share its claims.
    (add_staff_channel("hotline"), "intake.staff_channels: 'hotline' is already the code of a partner channel"),
    (add_staff_channel("web"), "intake.staff_channels: 'web' is already the code"),
    (add_staff_channel("Fax"), "intake.staff_channels.Fax"),
    (add_staff_channel("fax", ""), "intake.staff_channels.fax"),
    (set_open311(default_type="grievance"), "open311.default_type: unknown type 'grievance'"),
    # No SMS quotes the resident's words: a duty phone's text is no channel for whoever submits.
    (set_template("staff_new_order", "新工单{tracking_no}：{summary}"),
     "templates.staff_new_order: {summary} would quote what the resident gave"),
    (set_template("leader_red", "【督办】{tracking_no}：{description}"),
     "templates.leader_red: {description} would quote what the resident gave"),
    (set_template("received", "已收到：{summary}"), "templates.received: {summary} would quote what the resident gave"),
    (set_template("staff_digest", "新增{count}件：{address}"),
     "templates.staff_digest: {address} would quote what the resident gave"),
    (set_template("staff_new_order", "新工单{tracking_no}{query_code}"), "templates.staff_new_order: unknown placeholder"),
    (set_staff_digest(after=0, minutes=10), "sms.staff_digest.after"),
    (set_staff_digest(after=5, minutes=16), "sms.staff_digest.minutes"),  # SQS delays a message 15 minutes at most
    # More days than the extension request's API model takes: the form would offer what is refused.
    (set_extensions(max_working_days=61), "extensions.max_working_days"),
    (add_media_type("photo", "image/gif"), "media.kinds.photo.types: Value error, no content check for image/gif"),
]


@pytest.mark.parametrize(("change", "expected"), BROKEN_FILES, ids=[expected for _, expected in BROKEN_FILES])
def test_inconsistent_city_is_refused_naming_the_path(change, expected):
    with pytest.raises(CityConfigError) as caught:
        parse_city(broken(change), SOURCE)
    message = str(caught.value)
    assert message.startswith(f"{SOURCE}: invalid city configuration")
    assert expected in message


def test_the_demo_city_groups_a_duty_phones_new_orders_after_five_in_ten_minutes():
    assert (CITY.sms.staff_digest.after, CITY.sms.staff_digest.minutes) == (5, 10)


def test_no_template_may_name_a_field_of_the_residents_words():
    assert all(not fields & RESIDENTS_TEXT for fields in SMS_TEMPLATES.values())


def test_limit_with_both_units_says_what_to_do():
    with pytest.raises(CityConfigError, match="exactly one of working_days or hours"):
        parse_city(broken(both_limits), SOURCE)


def test_unknown_time_zone_is_named():
    with pytest.raises(CityConfigError, match="unknown time zone 'Mars/Olympus_Mons'"):
        parse_city(broken(set_key("timezone", "Mars/Olympus_Mons")), SOURCE)


def set_office_hours(**hours):
    return lambda data: data["office_hours"].update(hours)


BAD_OFFICE_HOURS = [
    # An unquoted 9:30 reaches the loader as the YAML 1.1 number 570.
    (set_office_hours(start=570), 'office_hours.start: Value error, write the time as quoted text, e.g. "08:30"'),
    (set_office_hours(end=1050), 'office_hours.end: Value error, write the time as quoted text'),
    (set_office_hours(start="08:30+08:00"), "office_hours.start: Value error, give a local time"),
    (set_office_hours(start="18:00"), "office_hours: Value error, start must be before end"),
]


@pytest.mark.parametrize(("change", "expected"), BAD_OFFICE_HOURS, ids=["570", "1050", "aware", "reversed"])
def test_office_hours_must_be_quoted_local_times_in_order(change, expected):
    with pytest.raises(CityConfigError) as caught:
        parse_city(broken(change), SOURCE)
    assert expected in str(caught.value)


def test_unquoted_office_hours_in_the_yaml_text_are_refused():
    text = (CITIES_DIR / "liaoyuan.yaml").read_text(encoding="utf-8").replace('start: "08:30"', "start: 9:30")
    with pytest.raises(CityConfigError, match="office_hours.start"):
        parse_city(text, SOURCE)


def test_every_mistake_is_listed_at_once():
    def two_mistakes(data):
        add_units(("x-street", "nowhere"))(data)
        set_routing(unit="gone")(data)

    with pytest.raises(CityConfigError) as caught:
        parse_city(broken(two_mistakes), SOURCE)
    assert "unknown parent 'nowhere'" in str(caught.value)
    assert "unknown unit 'gone'" in str(caught.value)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("code: [liaoyuan\nname: x\n", "broken.yaml: not valid YAML"),
        ("- code\n- name\n", "broken.yaml: expected a mapping at the top level"),
        ("", "broken.yaml: expected a mapping at the top level"),
    ],
)
def test_unreadable_yaml_is_refused(text, expected):
    with pytest.raises(CityConfigError) as caught:
        parse_city(text, SOURCE)
    assert str(caught.value).startswith(expected)


def test_missing_city_file_is_refused(tmp_path):
    missing = tmp_path / "nowhere.yaml"
    with pytest.raises(CityConfigError, match="cannot read city file") as caught:
        load_city(str(missing))
    assert str(missing) in str(caught.value)


def test_city_file_round_trips_through_parse():
    assert parse_city(broken(lambda data: None), SOURCE) == CITY


# ---- shapes: the city's boundary and its areas' polygons ----------------------------

def set_shape(path: tuple, geometry):
    """Set ``geometry`` on the area at ``path`` (indices down the tree), or the boundary for ()."""

    def change(data):
        if not path:
            data["boundary"] = geometry
            return
        node = data["areas"][path[0]]
        for index in path[1:]:
            node = node["children"][index]
        node["geometry"] = geometry

    return change


SWAPPED = {"type": "Polygon", "coordinates": [[[42.4, 124.9], [42.4, 125.9], [43.2, 125.9], [42.4, 124.9]]]}
OPEN_RING = {"type": "Polygon", "coordinates": [[[125.15, 42.90], [125.16, 42.90], [125.16, 42.91], [125.15, 42.91]]]}

BAD_SHAPES = [
    (set_shape((), SWAPPED), "boundary: Value error, coordinates[0]: [0]: latitude 124.9 out of range"),
    (set_shape((), {"type": "Point", "coordinates": [125.1, 42.9]}), "boundary: Value error, type must be Polygon"),
    (set_shape((0, 0), OPEN_RING), "areas.0.children.0.geometry: Value error, coordinates[0]: ring is not closed"),
    (set_shape((1,), {"type": "MultiPolygon", "coordinates": [[[[0, 0], [1, 0], [0, 0]]]]}),
     "areas.1.geometry: Value error, coordinates[0][0]: a ring needs at least 4 positions"),
    (set_shape((0, 0, 0), "a shape"), "areas.0.children.0.children.0.geometry"),
]


@pytest.mark.parametrize(("change", "expected"), BAD_SHAPES, ids=["swapped", "point", "open", "short", "not-a-mapping"])
def test_malformed_shapes_are_refused_naming_the_path(change, expected):
    with pytest.raises(CityConfigError) as caught:
        parse_city(broken(change), SOURCE)
    assert expected in str(caught.value)


def test_shapes_are_optional():
    def no_shapes(data):
        data.pop("boundary")
        for district in data["areas"]:
            district.pop("geometry")

    city = parse_city(broken(no_shapes), SOURCE)
    assert city.boundary is None and city.areas[0].geometry is None
    assert city.areas[0].children[0].geometry is not None  # the streets' shapes still load


def shaped_children(area) -> list:
    return [child for child in area.children if child.geometry is not None]


def vertices(geometry: dict) -> list:
    polygons = [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    return [position for polygon in polygons for ring in polygon for position in ring]


def demo_parents() -> list:
    """(parent shape, its shaped children): the city and its districts, each district and its streets."""
    pairs = [(CITY.boundary, list(CITY.areas))]
    pairs += [(district.geometry, shaped_children(district)) for district in CITY.areas]
    return pairs


def test_every_demo_district_and_street_has_a_shape():
    assert CITY.boundary is not None
    for district in CITY.areas:
        assert district.geometry is not None, district.code
        assert len(shaped_children(district)) == len(district.children), district.code


def test_demo_shapes_nest_streets_in_districts_and_districts_in_the_city():
    for parent, children in demo_parents():
        for child in children:
            assert all(contains(parent, *position) for position in vertices(child.geometry)), child.code


def test_demo_shapes_of_one_level_do_not_overlap():
    # A grid over the city, off the shapes' 3-decimal edges: no point lies in two siblings.
    points = [(124.90005 + i * 0.0101, 42.40005 + j * 0.0101) for i in range(100) for j in range(80)]
    for _, children in demo_parents():
        for lng, lat in points:
            holders = [c.code for c in children if contains(c.geometry, lng, lat)]
            assert len(holders) <= 1, (lng, lat, holders)


@pytest.mark.parametrize(
    ("lng", "lat", "area"),
    [
        (125.145, 42.905, "220402001"),  # 向阳街道, 龙山区
        (125.185, 42.920, "220402002"),  # 南康街道
        (125.110, 42.930, "220403001"),  # 仙城街道, 西安区
        (125.000, 42.900, "220422100"),  # 白泉镇, 东辽县
        (125.300, 43.100, "220422"),  # 东辽县, in no town's shape
        (125.550, 42.700, "220421100"),  # 东丰镇, 东丰县
    ],
)
def test_demo_points_fall_in_their_area(lng, lat, area):
    assert contains(CITY.boundary, lng, lat)
    assert deepest_area(CITY.areas, lng, lat) == area


@pytest.mark.parametrize(("lng", "lat"), [(126.55, 43.84), (124.35, 43.17), (125.14, 43.25), (125.14, 42.35)])
def test_points_beyond_the_demo_city_are_outside_it(lng, lat):
    assert not contains(CITY.boundary, lng, lat)  # 吉林市, 四平市, just north, just south


# ---- limits and the countries SMS codes go to ---------------------------------------

def test_without_a_limits_section_the_defaults_hold():
    data = copy.deepcopy(DEMO)
    del data["limits"], data["sms"]["otp_country_codes"]
    city = parse_city(yaml.safe_dump(data, allow_unicode=True), SOURCE)
    assert city.sms.otp_country_codes == ("86",)
    assert city.limits.otp.per_ip.windows == [("minute", 5), ("hour", 20), ("day", 50)]
    assert city.limits.submissions.per_ip.windows == [("minute", 10), ("hour", 60), ("day", 200)]
    assert city.limits.query_codes.per_number.windows == [("hour", 10)]
    assert city.limits == CITY.limits  # the demo city states the defaults, with its reasons


def set_limit(section, scope, caps):
    return lambda data: data["limits"][section].__setitem__(scope, caps)


def set_sms(**settings):
    return lambda data: data["sms"].update(settings)


BROKEN_LIMITS = [
    (set_limit("otp", "per_ip", {"minute": 30, "hour": 20}), "minute (30) is above hour (20)"),
    (set_limit("submissions", "city", {"hour": 0}), "limits.submissions.city.hour"),
    (set_limit("query_codes", "per_ip", {}), "give at least one of minute, hour or day"),
    (set_limit("otp", "per_phone", {"day": 3}), "limits.otp.per_phone: Extra inputs are not permitted"),
    (set_sms(otp_country_codes=["+44"]), "sms.otp_country_codes.0"),
    (set_sms(otp_country_codes=[]), "sms.otp_country_codes"),
    (set_sms(otp_country_codes=["86", "86"]), "duplicate country codes"),
]


@pytest.mark.parametrize(("change", "expected"), BROKEN_LIMITS, ids=[expected for _, expected in BROKEN_LIMITS])
def test_a_bad_limit_or_country_is_refused_naming_the_path(change, expected):
    with pytest.raises(CityConfigError) as caught:
        parse_city(broken(change), SOURCE)
    assert expected in str(caught.value)
