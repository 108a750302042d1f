"""Suspected duplicates at intake, the merge (并单) and hotspot alerts (未诉先办), through the HTTP API."""
from __future__ import annotations

import json
import math

import pytest

from chalicelib import storage
from chalicelib.storage.tables import HotspotModel
from chalicelib.domain.duplicates import CELL_PRECISION
from chalicelib.domain.geo import to_wgs84
from chalicelib.domain.geocells import EARTH_RADIUS_M, cells_within
from tests.api.resident_helpers import PHONE, act, assert_error, body, rate, submit, track
from tests.sms_loop import Loop, texts_to

STAFF = "/api/v1/staff/requests"
HOTSPOTS = "/api/v1/staff/hotspots"
GARBAGE = "小区门口的垃圾已经三天没有清运了"  # body()'s description
SAME_GARBAGE = "门口垃圾堆了好几天没人拉走，味道很大"
TOILET = "门口的公厕堵了，污水流到路上"
NEIGHBOUR, NEIGHBOUR_PHONE = "李建国", "13604375678"


def at(metres_north: float = 0, metres_east: float = 0) -> dict:
    """body()'s location moved by so many metres."""
    lat, lng = 42.902, 125.145
    return {
        "lat": lat + math.degrees(metres_north / EARTH_RADIUS_M),
        "lng": lng + math.degrees(metres_east / EARTH_RADIUS_M / math.cos(math.radians(lat))),
        "coord_system": "gcj02",
    }


def anonymous(api, description: str = GARBAGE, **overrides) -> str:
    return submit(api, anonymous=True, contact=None, description=description, **overrides)["tracking_no"]


def detail(api, staff, no: str) -> dict:
    answer = api.get(f"{STAFF}/{no}", staff("dispatcher"))
    assert answer.status == 200, answer
    return answer.json


# ---- suspected duplicates ------------------------------------------------------------

def test_a_second_report_of_the_same_problem_nearby_lists_the_first(api, staff):
    first = anonymous(api)
    second = anonymous(api, SAME_GARBAGE, location=at(120, 40))

    assert detail(api, staff, second)["duplicates"] == [first]
    assert detail(api, staff, first)["duplicates"] == []  # the first knew of nothing earlier
    # Still routed as usual: a suspicion is the dispatcher's to judge, not a reason to wait.
    assert detail(api, staff, second)["state"] == "dispatched"


@pytest.mark.parametrize(
    ("why", "overrides"),
    [
        ("farther than 200 m", {"description": SAME_GARBAGE, "location": at(260)}),
        ("another problem", {"description": TOILET, "location": at(30)}),
        ("another category", {"description": "门口路灯坏了好几天了", "category": "municipal", "location": at(30)}),
    ],
)
def test_what_is_not_listed_as_a_duplicate(api, staff, why, overrides):
    anonymous(api)
    second = anonymous(api, **overrides)
    assert detail(api, staff, second)["duplicates"] == [], why


def test_a_resolved_request_is_not_a_duplicate(api, staff):
    """The problem was handled: a new report says it is back, and needs handling of its own."""
    first = anonymous(api)
    act(api, staff, first, "sign")
    act(api, staff, first, "resolve", reply="已清运")
    second = anonymous(api, SAME_GARBAGE, location=at(30))
    assert detail(api, staff, second)["duplicates"] == []


def test_the_same_verified_phone_reporting_again_in_the_category_is_a_duplicate_anywhere(api, staff):
    first = submit(api)["tracking_no"]  # named, with a code for PHONE
    second = submit(api, description=TOILET, location=at(3000, 3000))["tracking_no"]
    assert detail(api, staff, second)["duplicates"] == [first]


def test_the_lookup_is_one_query_per_cell_around_plus_one_for_a_verified_phone(api, app_operations):
    lng, lat = to_wgs84(125.145, 42.902, "gcj02")
    cells = len(cells_within(lng, lat, 200, CELL_PRECISION))

    anonymous(api)
    # The rate limits' transaction first (services/limits.py), then the number, the cells, the order's.
    assert app_operations == ["TransactWriteItems", "UpdateItem"] + ["Query"] * cells + ["TransactWriteItems"]

    app_operations.clear()
    submit(api)
    submission = app_operations[app_operations.index("UpdateItem", app_operations.index("PutItem")):]
    assert submission.count("Query") == cells + 1


# ---- the merge --------------------------------------------------------------------------

def test_a_merged_request_follows_the_main_one_and_its_resident_hears_of_it(api, staff, clock):
    loop = Loop()
    main = submit(api)
    duplicate = submit(
        api, description=SAME_GARBAGE, location=at(60), contact={"name": NEIGHBOUR, "phone": NEIGHBOUR_PHONE}
    )
    main_no, duplicate_no = main["tracking_no"], duplicate["tracking_no"]
    assert detail(api, staff, duplicate_no)["duplicates"] == [main_no]

    merged = api.post(
        f"{STAFF}/{duplicate_no}/actions",
        {"action": "merge", "version": detail(api, staff, duplicate_no)["version"], "into": main_no},
        staff("dispatcher"),
    )

    assert merged.status == 200, merged
    assert (merged.json["state"], merged.json["state_label"]) == ("merged", "已并单")
    after = detail(api, staff, duplicate_no)
    assert after["merged_into"] == main_no and after["unit"] is None and after["due_at"] is None
    assert [e["action"] for e in after["trail"]][-1] == "merge"
    main_after = detail(api, staff, main_no)
    assert main_after["merged_from"] == [duplicate_no]
    assert main_after["trail"][-1]["action"] == "absorb" and main_after["trail"][-1]["note"] == f"{duplicate_no}并入本工单"
    # The unit no longer has it in its queue.
    queue = api.get(f"{STAFF}?state=dispatched", staff("handler", "lsq-cg")).json["items"]
    assert [i["tracking_no"] for i in queue] == [main_no]

    loop.run()
    neighbour = "+86" + NEIGHBOUR_PHONE
    assert texts_to(neighbour)[-1] == (
        f"【辽源民生诉求】您的诉求(编号{duplicate_no})与编号{main_no}反映的是同一问题，已合并办理，"
        "办理进展将短信告知，也可凭原编号和查询码查询。"
    )

    act(api, staff, main_no, "sign")
    act(api, staff, main_no, "resolve", reply="垃圾已全部清运，并增加了清运频次")
    loop.run()

    resolved = "已由龙山区城市管理局办结，请凭查询码查看答复并评价。"
    assert texts_to(neighbour)[-1] == f"【辽源民生诉求】您的诉求(编号{duplicate_no}){resolved}"
    assert texts_to("+86" + PHONE)[-1] == f"【辽源民生诉求】您的诉求(编号{main_no}){resolved}"

    followed = track(api, duplicate_no, duplicate["query_code"])
    assert followed.status == 200, followed
    assert followed.json["merged_into"] == main_no
    assert followed.json["main"]["tracking_no"] == main_no
    assert followed.json["main"]["status"] == "已办结"
    assert followed.json["main"]["reply"] == "垃圾已全部清运，并增加了清运频次"
    # Another resident's report stays theirs: no description, address or photos of the main one.
    assert not {"description", "address", "media", "contact"} & set(followed.json["main"])

    # Nor their words: the main resident's rating comment is theirs alone.
    comment = "清运得很干净，感谢龙山区城管的同志"
    assert rate(api, main_no, main["query_code"], 5, comment=comment).status == 200
    followed = track(api, duplicate_no, duplicate["query_code"])
    assert followed.json["main"]["timeline"][-1]["action"] == "rate"  # the step, told
    assert comment not in json.dumps(followed.json, ensure_ascii=False)


def test_a_signed_request_can_no_longer_be_merged(api, staff):
    main = anonymous(api)
    duplicate = anonymous(api, SAME_GARBAGE, location=at(50))
    act(api, staff, duplicate, "sign")
    answer = api.post(
        f"{STAFF}/{duplicate}/actions",
        {"action": "merge", "version": detail(api, staff, duplicate)["version"], "into": main},
        staff("dispatcher"),
    )
    assert_error(answer, 409, "conflict")


def test_a_merge_into_a_changed_main_order_writes_neither(api, staff, monkeypatch):
    main = anonymous(api)
    duplicate = anonymous(api, SAME_GARBAGE, location=at(50))
    get_order = storage.get_order
    raced = []

    def main_changes_meanwhile(tracking_no):
        item = get_order(tracking_no)
        if tracking_no == main and not raced:
            raced.append(tracking_no)
            act(api, staff, main, "sign")  # another writer, between our read and our write
        return item

    monkeypatch.setattr(storage, "get_order", main_changes_meanwhile)
    answer = api.post(
        f"{STAFF}/{duplicate}/actions",
        {"action": "merge", "version": detail(api, staff, duplicate)["version"], "into": main},
        staff("dispatcher"),
    )
    monkeypatch.undo()

    assert_error(answer, 409, "conflict")
    assert detail(api, staff, duplicate)["state"] == "dispatched"
    assert detail(api, staff, main)["merged_from"] == []


# ---- hotspots ---------------------------------------------------------------------------

def hotspots(api, staff, who=("dispatcher",)):
    return api.get(HOTSPOTS, staff(*who))


def test_five_requests_of_one_category_in_one_cell_raise_one_alert_listing_them(api, staff, clock):
    numbers = []
    for n in range(4):
        numbers.append(anonymous(api, f"门口垃圾又堆起来了，第{n + 1}次反映", location=at(30 * n)))
        clock.tick(3600)
    assert hotspots(api, staff).json["items"] == []

    numbers.append(anonymous(api, SAME_GARBAGE, location=at(100)))
    [alert] = hotspots(api, staff).json["items"]
    assert alert["count"] == 5 and alert["tracking_nos"] == numbers
    assert alert["category"] == {"code": "sanitation", "name": "环境卫生"}
    assert alert["active"] is True
    raised_at = alert["raised_at"]

    clock.tick(3600)
    numbers.append(anonymous(api, GARBAGE, location=at(10)))
    anonymous(api, GARBAGE, category="municipal", location=at(10))  # another category: not this alert
    anonymous(api, GARBAGE, location=at(3000))  # another cell
    [alert] = hotspots(api, staff).json["items"]
    assert alert["tracking_nos"] == numbers and alert["raised_at"] == raised_at


def test_an_alert_is_over_after_a_quiet_window_and_raised_anew_by_a_new_burst(api, staff, clock):
    for _ in range(5):
        anonymous(api)
    clock.tick(73 * 3600)
    [alert] = hotspots(api, staff).json["items"]
    assert alert["active"] is False

    fresh = [anonymous(api) for _ in range(5)]
    [alert] = hotspots(api, staff).json["items"]
    assert alert["tracking_nos"] == fresh and alert["active"] is True


def test_hotspots_are_for_the_command_centre(api, staff):
    assert hotspots(api, staff, ("leader",)).status == 200
    assert_error(hotspots(api, staff, ("handler", "lsq-cg")), 403, "forbidden")
    assert_error(api.get(HOTSPOTS), 401, "unauthenticated")


def test_an_alert_that_cannot_be_written_does_not_fail_the_request(api, staff, monkeypatch):
    for _ in range(4):
        anonymous(api)

    def broken(*args, **kwargs):
        raise RuntimeError("throttled")

    monkeypatch.setattr(storage, "raise_hotspot", broken)
    last = submit(api, anonymous=True, contact=None)
    assert last["state"] == "dispatched"


def test_raising_is_a_conditional_write_so_a_retry_or_a_race_lists_a_request_once(aws):
    import datetime as dt

    now = dt.datetime(2026, 11, 20, 2, tzinfo=dt.timezone.utc)
    quiet_since = now - dt.timedelta(hours=72)
    members = ["LY202611200001", "LY202611200002", "LY202611200003"]
    assert storage.raise_hotspot("sanitation", "wz8upd", members, now, quiet_since) is True
    # The same request again (a retry), and a concurrent one that also saw the threshold reached.
    assert storage.raise_hotspot("sanitation", "wz8upd", members, now, quiet_since) is False
    later = [*members[:2], "LY202611200004"]
    assert storage.raise_hotspot("sanitation", "wz8upd", later, now, quiet_since) is False

    alert = HotspotModel.get("sanitation#wz8upd", consistent_read=True)
    assert alert.tracking_nos == [*members, "LY202611200004"]
