"""The case library (典型案例库): publish, GET /api/v1/cases, and similar cases in /suggest."""
from __future__ import annotations

import datetime as dt

import pytest

from tests.api.resident_helpers import PHONE, act, assert_error, rate, submit
from tests.api.staff_helpers import action_names

CASES = "/api/v1/cases"
STAFF = "/api/v1/staff/requests"
PHONE_TYPED = "13812345678"


def closed(api, staff, description="小区门口的垃圾已经三天没有清运了", reply="已安排清运，垃圾已清理完毕") -> str:
    """A sanitation complaint in 龙山区 taken to closed: signed, resolved, rated 5 stars."""
    submitted = submit(api, description=description)
    no = submitted["tracking_no"]
    act(api, staff, no, "sign")
    act(api, staff, no, "resolve", reply=reply)
    answer = rate(api, no, submitted["query_code"], 5)
    assert answer.status == 200, answer
    return no


def staff_act(api, staff, no: str, action: str, who=("dispatcher",), **params):
    headers = staff(*who)
    version = api.get(f"{STAFF}/{no}", staff("dispatcher")).json["version"]
    return api.post(f"{STAFF}/{no}/actions", {"action": action, "version": version, **params}, headers)


def publish(api, staff, no: str, **params) -> None:
    answer = staff_act(api, staff, no, "publish", **params)
    assert answer.status == 200, answer
    assert answer.json["state"] == "closed"


def listed(api, **params) -> dict:
    query = "&".join(f"{k}={v}" for k, v in params.items())
    answer = api.get(f"{CASES}?{query}" if query else CASES)
    assert answer.status == 200, answer
    return answer.json


def numbers(api, **params) -> list[str]:
    return [item["tracking_no"] for item in listed(api, **params)["items"]]


def test_a_published_closed_order_is_listed_publicly(api, staff, clock, app_operations):
    no = closed(api, staff)
    assert numbers(api) == []
    publish(api, staff, no, title="垃圾清运不及时")

    [case] = listed(api)["items"]
    assert case["tracking_no"] == no
    assert case["title"] == "垃圾清运不及时"
    assert case["type"] == {"code": "complaint", "name": "投诉"}
    assert case["category"] == {"code": "sanitation", "name": "环境卫生"}
    assert case["area"] == {"code": "220402", "name": "龙山区"}
    assert (case["description"], case["reply"], case["rating"]) == (
        "小区门口的垃圾已经三天没有清运了", "已安排清运，垃圾已清理完毕", 5,
    )
    assert case["created_at"] == "2026-11-20T10:00:00+08:00"
    assert case["published_at"] == case["resolved_at"] == "2026-11-20T10:00:00+08:00"
    assert "Query" in app_operations


def test_the_staff_detail_shows_the_publication_and_offers_unpublish(api, staff, clock):
    no = closed(api, staff)
    before = api.get(f"{STAFF}/{no}", staff("dispatcher")).json
    assert (before["published_at"], before["case_title"]) == (None, None)
    assert "publish" in action_names(before) and "unpublish" not in action_names(before)
    publish(api, staff, no)
    after = api.get(f"{STAFF}/{no}", staff("dispatcher")).json
    assert after["published_at"] == "2026-11-20T10:00:00+08:00"
    assert after["case_title"] == "环境卫生（龙山区）"
    assert "unpublish" in action_names(after) and "publish" not in action_names(after)
    assert after["trail"][-1]["action"] == "publish"


def test_an_order_that_is_not_closed_cannot_be_published(api, staff, clock):
    no = submit(api)["tracking_no"]
    assert_error(staff_act(api, staff, no, "publish"), 409, "conflict")
    assert numbers(api) == []


@pytest.mark.parametrize("who", [("handler", "lsq-cg"), ("leader",), ("admin",)])
def test_only_the_dispatcher_publishes(api, staff, clock, who):
    no = closed(api, staff)
    assert_error(staff_act(api, staff, no, "publish", who=who), 403, "forbidden")
    assert numbers(api) == []


def test_publishing_twice_is_a_conflict_and_unpublish_removes_the_case(api, staff, clock):
    no = closed(api, staff)
    publish(api, staff, no)
    assert_error(staff_act(api, staff, no, "publish"), 409, "conflict")
    assert staff_act(api, staff, no, "unpublish").status == 200
    assert numbers(api) == []
    assert_error(staff_act(api, staff, no, "unpublish"), 409, "conflict")


def test_a_title_longer_than_sixty_characters_is_refused(api, staff, clock):
    no = closed(api, staff)
    assert_error(staff_act(api, staff, no, "publish", title="长" * 61), 422, "validation_failed")


def test_cases_are_listed_newest_first_and_paged(api, staff, clock):
    published = []
    for _ in range(5):
        no = closed(api, staff)
        publish(api, staff, no)
        published.append(no)
        clock.tick(dt.timedelta(minutes=1))
    first = listed(api, limit=2)
    second = listed(api, limit=2, cursor=first["cursor"])
    third = listed(api, limit=2, cursor=second["cursor"])
    pages = [[item["tracking_no"] for item in page["items"]] for page in (first, second, third)]
    assert pages == [published[:-3:-1], published[-3:-5:-1], published[:1]]
    assert third["cursor"] is None


@pytest.mark.parametrize(
    ("q", "expected"),
    [("路灯", [0]), ("修复", [1]), ("噪音", [2]), ("小区", [2, 1, 0]), ("没有这个词", [])],
)
def test_keywords_search_description_reply_and_title(api, staff, clock, q, expected):
    published = []
    for description, reply, title in (
        ("小区门口的路灯坏了很久", "已更换灯泡", "照明"),
        ("小区的垃圾桶坏了", "已修复垃圾桶", "垃圾桶"),
        ("小区旁工地晚上施工", "已责令停工", "夜间施工噪音"),
    ):
        no = closed(api, staff, description=description, reply=reply)
        publish(api, staff, no, title=title)
        published.append(no)
        clock.tick(dt.timedelta(minutes=1))
    assert numbers(api, q=q) == [published[i] for i in expected]


def test_a_case_never_shows_who_asked_or_where_exactly(api, staff, clock):
    no = closed(api, staff, description=f"垃圾没人清运，请联系我{PHONE_TYPED}", reply=f"已回电{PHONE_TYPED}并清运")
    publish(api, staff, no)
    [case] = listed(api)["items"]
    assert case["description"] == "垃圾没人清运，请联系我138****5678"
    assert case["reply"] == "已回电138****5678并清运"
    assert not {"contact", "address", "location", "media", "result_media", "query_code"} & set(case)
    raw = str(listed(api))
    for secret in (PHONE_TYPED, PHONE, "王秀英", "人民大街", "42.902", "125.145"):
        assert secret not in raw


def test_a_search_cannot_guess_the_digits_a_case_masks(api, staff, clock):
    no = closed(api, staff, description=f"垃圾没人清运，请联系我{PHONE_TYPED}", reply="已清运")
    publish(api, staff, no)
    digits = PHONE_TYPED.replace(" ", "").replace("-", "")

    # Each guess at the hidden digits finds nothing, the right one as the wrong ones.
    assert [numbers(api, q=digits[:n]) for n in (7, 8, 11)] == [[], [], []]
    assert numbers(api, q=digits[:3]) == numbers(api, q="138****5678") == numbers(api, q="5678") == [no]


@pytest.mark.parametrize(
    ("params", "field"), [({"limit": 51}, "limit"), ({"limit": 0}, "limit"), ({"cursor": "bm9wZQ"}, "cursor")]
)
def test_bad_paging_is_refused(api, params, field):
    query = "&".join(f"{k}={v}" for k, v in params.items())
    assert_error(api.get(f"{CASES}?{query}"), 422, "validation_failed", field)


def test_suggest_offers_the_newest_similar_cases(api, staff, clock, app_operations):
    published = []
    for _ in range(4):
        no = closed(api, staff)
        publish(api, staff, no)
        published.append(no)
        clock.tick(dt.timedelta(minutes=1))
    before = len(app_operations)
    answer = api.post("/api/v1/suggest", {"description": "小区楼下的垃圾箱满了好几天，没人清运，臭得很"})
    assert answer.status == 200, answer
    assert app_operations[before:] == ["Query"]  # one Query, whatever the library holds
    assert answer.json["categories"][0]["code"] == "sanitation"
    assert [case["tracking_no"] for case in answer.json["cases"]] == published[:0:-1]
    assert all(case["category"]["code"] == "sanitation" for case in answer.json["cases"])
