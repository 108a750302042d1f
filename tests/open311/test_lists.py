"""Open311's lists over time: windows by creation time, order, caps, the feed across days, ids."""
from __future__ import annotations

import datetime as dt

import pytest

from chalicelib.domain import open311
from tests.api.staff_helpers import HANDLER_CG, START, Desk
from tests.open311.helpers import check_schema, issue_key

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock")

FORM = {"lat": "42.902", "long": "125.145", "description": "小区门口的垃圾已经三天没有清运了"}
DAY = dt.timedelta(days=1)


@pytest.fixture
def post(api, staff, o311):
    key = issue_key(api, staff)["api_key"]

    def submit(service_code: str = "sanitation") -> str:
        answer = o311.post("json", {**FORM, "service_code": service_code, "api_key": key})
        assert answer.status == 201, answer
        return answer.json[0]["service_request_id"]

    return submit


def ids(answer) -> list[str]:
    assert answer.status == 200, answer
    return [item["service_request_id"] for item in answer.json]


def test_requests_are_listed_newest_first_within_the_window_of_their_creation(o311, post, clock):
    monday = post()
    clock.tick(DAY)
    tuesday = post("municipal")
    clock.tick(DAY)
    wednesday = post()

    answer = o311.get("requests.json")  # the latest 90 days
    check_schema("requests.json", answer.json)
    assert ids(answer) == [wednesday, tuesday, monday]
    assert ids(o311.get("requests.json", start_date="2025-03-04", end_date="2025-03-04T23:59:59+08:00")) == [tuesday]
    assert ids(o311.get("requests.json", end_date="2025-03-04T10:00:00+08:00")) == [tuesday, monday]
    assert ids(o311.get("requests.json", service_code="sanitation")) == [wednesday, monday]


def test_service_request_ids_override_every_other_filter(o311, post):
    first, second = post(), post("municipal")
    answer = o311.get("requests.json", service_request_id=f"{second}, nonsense,LY209901010001,{first}",
                      service_code="traffic", status="closed", start_date="2020-01-01T00:00:00Z")
    assert ids(answer) == [second, first]


def test_at_most_1000_requests_are_answered(o311, post, monkeypatch):
    numbers = [post() for _ in range(3)]
    monkeypatch.setattr(open311, "MAX_ITEMS", 2)
    assert ids(o311.get("requests.json")) == numbers[:0:-1]


def test_the_feed_spans_days_oldest_first_and_only_within_its_window(api, staff, o311, post, clock):
    desk = Desk(api, staff)
    number = post()  # Monday 10:00: submit, auto_dispatch
    clock.tick(DAY)
    desk.done(number, HANDLER_CG, "sign")  # Tuesday
    clock.tick(DAY)
    desk.done(number, HANDLER_CG, "progress", note="已联系环卫所，明天清运", public=True)  # Wednesday
    desk.done(number, HANDLER_CG, "progress", note="内部：车辆调度中")  # not public: not in the feed
    clock.tick(DAY)

    def feed(**window):
        answer = o311.get("servicerequestupdates.json", **window)
        assert answer.status == 200, answer
        return [(u["update_id"], u["description"]) for u in answer.json]

    assert feed() == [
        (f"{number}-1", "由12345热线受理，来电人已由话务员核实，免短信验证"),
        (f"{number}-2", "派至龙山区城市管理局"),
        (f"{number}-3", "龙山区城市管理局已签收"),
        (f"{number}-4", "已联系环卫所，明天清运"),
    ]
    # Tuesday 10:00 and Wednesday 10:00 local are the bounds, both included.
    assert [u for u, _ in feed(start_date="2025-03-04T10:00:00+08:00", end_date="2025-03-05T02:00:00Z")] == [
        f"{number}-3", f"{number}-4",
    ]
    assert feed(start_date="2025-03-04T10:00:00.000001+08:00", end_date="2025-03-05T09:59:59+08:00") == []


def test_the_feed_answers_at_most_1000_updates(o311, post, monkeypatch):
    number = post()
    monkeypatch.setattr(open311, "MAX_ITEMS", 1)
    answer = o311.get("servicerequestupdates.json")
    assert [u["update_id"] for u in answer.json] == [f"{number}-1"]


def test_a_request_with_a_photo_links_it(api, staff, o311):
    from tests.api.resident_helpers import upload

    key = issue_key(api, staff)["api_key"]
    photo = upload(api)
    body = {"type": "complaint", "category": "sanitation", "description": "垃圾堆了三天没人管",
            "location": {"lat": 42.902, "lng": 125.145, "coord_system": "gcj02"}, "anonymous": True,
            "media": [photo]}
    submitted = api.post("/api/v1/requests", body, {"X-Api-Key": key})
    assert submitted.status == 201, submitted
    [request] = o311.get(f"requests/{submitted.json['tracking_no']}.json").json
    check_schema("request.json", request)
    assert "X-Amz-Expires=300" in request["media_url"] and f"media/{submitted.json['tracking_no']}/" in request["media_url"]
    # GCJ-02 as sent, WGS-84 as answered: the offset in Liaoyuan is a few hundred metres.
    assert (request["lat"], request["long"]) != (42.902, 125.145)
    assert abs(request["lat"] - 42.902) < 0.01 and abs(request["long"] - 125.145) < 0.01


def test_a_residents_rating_comment_is_published_nowhere(api, staff, o311):
    key = issue_key(api, staff)["api_key"]
    body = {"type": "complaint", "category": "sanitation", "description": "垃圾堆了三天没人管",
            "location": {"lat": 42.902, "lng": 125.145}, "anonymous": True}
    receipt = api.post("/api/v1/requests", body, {"X-Api-Key": key}).json
    number = receipt["tracking_no"]
    desk = Desk(api, staff)
    desk.done(number, HANDLER_CG, "sign")
    desk.done(number, HANDLER_CG, "resolve", reply="已清运")
    rated = api.post(f"/api/v1/requests/{number}/rating",
                     {"code": receipt["query_code"], "stars": 1, "comment": "根本没清理，我是3单元的王阿姨"})
    assert rated.status == 200 and rated.json["state"] == "in_progress"

    [request] = o311.get(f"requests/{number}.json").json
    assert (request["status"], request["status_notes"]) == ("open", "已清运")
    [*_, rating] = o311.get("servicerequestupdates.json").json
    assert (rating["status"], rating["external_status_code"], rating["description"]) == ("open", "in_progress", None)
    assert "王阿姨" not in o311.get("servicerequestupdates.xml").text
