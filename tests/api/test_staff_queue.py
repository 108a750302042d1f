"""The staff queue (GET /staff/requests) and an order's detail (GET /staff/requests/{no})."""
from __future__ import annotations

import base64
import dataclasses

import pytest

from tests.api.queue_cases import ALL, DATE_FILTERS, DAYS, FILTERS, QUEUE, SCOPES, query_id
from tests.api.staff_helpers import ADMIN, CONTACT, DISPATCHER, HANDLER_CG, HANDLER_LSQ, HANDLER_XAQ_CG, HANDLER_XY
from tests.api.staff_helpers import LEADER, START, assert_error

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")


def newest_first(queue: dict[str, str], labels: set[str]) -> list[str]:
    return [queue[label] for label in reversed(QUEUE) if label in labels]


# ---- listing -------------------------------------------------------------------

def test_dispatcher_sees_every_order_newest_first(desk, queue):
    answer = desk.list(sort="newest")  # the default is the working order (tests/api/test_queue_order.py)

    assert answer.status == 200
    assert [item["tracking_no"] for item in answer.json["items"]] == newest_first(queue, ALL)
    assert answer.json["cursor"] is None


def test_a_list_item_shows_what_the_queue_needs(desk, queue):
    item = desk.list(unit="lsq-cg").json["items"][0]

    assert item == {
        "tracking_no": queue["lsq_cg"],
        "type": {"code": "complaint", "name": "投诉"},
        "category": {"code": "sanitation", "name": "环境卫生"},
        "area": {"code": "220402001001", "name": "龙山区向阳街道龙山社区"},
        "summary": "小区门口的路灯坏了很久，晚上很黑",
        "state": "dispatched",
        "state_label": "待签收",
        "unit": {"code": "lsq-cg", "name": "龙山区城市管理局"},
        "priority": False,
        "level": {"code": "normal", "label": "正常"},
        "verified": False,  # anonymous: no phone to verify
        "round": 1,
        "created_at": "2025-03-03T10:01:00+08:00",
        "due_at": "2025-03-10T10:01:00+08:00",
    }


def test_filters_narrow_the_queue(desk, queue):
    listed = {query_id(params): desk.numbers(sort="newest", **params) for params, _ in FILTERS}

    assert listed == {query_id(params): newest_first(queue, labels) for params, labels in FILTERS}


def test_each_account_sees_its_part_of_the_queue(desk, queue):
    listed = {(who, query_id(params)): desk.numbers(who, sort="newest", **params) for who, params, _ in SCOPES}

    assert listed == {(who, query_id(params)): newest_first(queue, labels) for who, params, labels in SCOPES}


BAD_FILTERS = [  # (query, the field the answer must name)
    ({"state": "open"}, "state"),
    ({"unit": "nowhere"}, "unit"),
    ({"category": "food"}, "category"),
    ({"area": "110101"}, "area"),
    ({"type": "rumour"}, "type"),
    ({"from": "2025-03-05", "to": "2025-03-04"}, "from"),
    ({"from": "2025-02-30"}, "from"),
    ({"to": "yesterday"}, "to"),
    ({"limit": "0"}, "limit"),
    ({"limit": "101"}, "limit"),
    ({"limit": "ten"}, "limit"),
    ({"cursor": "not base64!"}, "cursor"),
    ({"cursor": base64.urlsafe_b64encode(b"no separator").decode()}, "cursor"),
    ({"cursor": "A" * 401}, "cursor"),
    ({"colour": "red"}, "colour"),
]


def test_a_bad_filter_answers_422_naming_it(desk):
    answers = {query_id(params): desk.list(**params) for params, _ in BAD_FILTERS}

    for params, field in BAD_FILTERS:
        assert_error(answers[query_id(params)], 422, fields={field})


# ---- dates -----------------------------------------------------------------------


@pytest.mark.parametrize("who, unit", [(DISPATCHER, None), (DISPATCHER, "lsq"), (HANDLER_CG, None)], ids=str)
def test_from_and_to_are_whole_local_days(desk, clock, who, unit):
    """By state (no unit) and by unit: both ways the queue is read."""
    numbers = {}
    for label, moment in DAYS.items():
        clock.move_to(moment)
        numbers[label] = desk.submit("sanitation", "220402")["tracking_no"]  # → lsq-cg
    scope = {"unit": unit} if unit else {}

    listed = {query_id(params): desk.numbers(who, sort="newest", **scope, **params) for params, _ in DATE_FILTERS}

    assert listed == {
        query_id(params): [numbers[label] for label in reversed(DAYS) if label in labels]
        for params, labels in DATE_FILTERS
    }


def test_a_cursor_never_widens_the_dates(desk, clock):
    numbers = []
    for moment in DAYS.values():
        clock.move_to(moment)
        numbers.append(desk.submit()["tracking_no"])
    cursor = desk.list(limit=1).json["cursor"]  # from a query without dates: after Thursday's order

    answer = desk.list(cursor=cursor, to="2025-03-03")

    assert [item["tracking_no"] for item in answer.json["items"]] == numbers[:1]


# ---- pages -----------------------------------------------------------------------

KINDS = [("sanitation", "220402"), ("property", "220402001"), ("sanitation", "220403")]  # lsq-cg, lsq-xy, xaq-cg


@pytest.mark.parametrize(
    ("who", "params", "limit", "sizes"),
    [
        (DISPATCHER, {}, 3, [3, 3, 3, 1]),
        (DISPATCHER, {"unit": "lsq"}, 3, [3, 3, 1]),
        (DISPATCHER, {"category": "sanitation", "state": "dispatched"}, 3, [3, 3, 1]),
        (HANDLER_LSQ, {}, 3, [3, 3, 1]),
        (HANDLER_CG, {}, 2, [2, 2]),
        (DISPATCHER, {}, 10, [10]),
    ],
    ids=str,
)
def test_pages_follow_each_other_without_gaps_or_repeats(desk, clock, who, params, limit, sizes):
    for n in range(10):
        clock.tick(60)
        desk.submit(*KINDS[n % 3])
    pages, cursor = [], None
    while True:
        answer = desk.list(who, limit=limit, **params, **({"cursor": cursor} if cursor else {}))
        assert answer.status == 200, answer
        pages.append([item["tracking_no"] for item in answer.json["items"]])
        cursor = answer.json["cursor"]
        if cursor is None or len(pages) > len(sizes):
            break

    assert [len(page) for page in pages] == sizes
    assert sum(pages, []) == desk.numbers(who, **params)


def test_a_cursor_resumes_after_orders_submitted_meanwhile(desk, clock):
    first = [desk.submit()["tracking_no"] for _ in range(3)]
    page = desk.list(limit=2, sort="newest").json
    clock.tick(60)
    desk.submit()

    rest = desk.list(limit=2, sort="newest", cursor=page["cursor"]).json

    assert [item["tracking_no"] for item in rest["items"]] == first[:1]
    assert rest["cursor"] is None


def test_a_cursor_older_than_the_from_date_ends_the_list(desk):
    """Not a query with reversed bounds, which DynamoDB would refuse (the aws_calls guard checks)."""
    desk.submit()
    cursor = base64.urlsafe_b64encode(b"20240101T000000.000000Z#LY202401010001").decode()

    answer = desk.list(cursor=cursor, sort="newest", **{"from": "2025-03-01"})

    assert answer.status == 200, answer
    assert answer.json == {"items": [], "cursor": None}


# ---- detail ----------------------------------------------------------------------

@pytest.mark.parametrize("no", ["LY202503039999", " ", "LY2025", "A" * 3000], ids=["unknown", "blank", "short", "huge"])
def test_an_unknown_number_answers_404(desk, no):
    assert_error(desk.detail(no), 404, "not_found")
    assert_error(desk.act(no, DISPATCHER, "priority", version=1, on=True), 404, "not_found")


@pytest.mark.parametrize("who", [HANDLER_XAQ_CG, HANDLER_XY], ids=str)
def test_another_units_handler_gets_the_same_404_as_for_an_unknown_number(desk, who):
    no = desk.submit("sanitation", "220402")["tracking_no"]  # → lsq-cg

    assert desk.detail(no, who).json == desk.detail("LY202503039999", who).json
    assert_error(desk.detail(no, who), 404)


def test_a_handler_cannot_open_an_order_waiting_for_dispatch(desk):
    no = desk.submit()["tracking_no"]

    assert_error(desk.detail(no, HANDLER_CG), 404)


def test_the_number_is_read_case_insensitively(desk):
    no = desk.submit()["tracking_no"]

    assert desk.detail(no.lower()).json["tracking_no"] == no


CLEAR = {"name": "张三", "phone": "+8613812341234", "masked": False}  # stored in E.164
MASKED = {"name": "张*", "phone": "138****1234", "masked": True}


def test_contact_is_in_clear_only_for_those_who_need_it(desk):
    no = desk.submit("sanitation", "220402", contact=CONTACT)["tracking_no"]  # → lsq-cg
    accounts = [DISPATCHER, LEADER, HANDLER_CG, ADMIN, HANDLER_LSQ]

    contacts = {who: desk.detail(no, who).json["contact"] for who in accounts}

    assert contacts == {DISPATCHER: CLEAR, LEADER: CLEAR, HANDLER_CG: CLEAR, ADMIN: MASKED, HANDLER_LSQ: MASKED}
    assert desk.order(no)["anonymous"] is False


def test_an_anonymous_order_has_no_contact(desk):
    no = desk.submit("sanitation", "220402")["tracking_no"]

    order = desk.order(no)

    assert (order["anonymous"], order["contact"]) == (True, None)


def test_the_trail_lists_every_event_with_who_did_it(desk, clock):
    no = desk.submit("sanitation", "220402")["tracking_no"]
    clock.tick(3600)
    desk.done(no, HANDLER_CG, "sign")
    desk.done(no, HANDLER_CG, "progress", note="已安排清运车辆", public=True)

    trail = desk.order(no)["trail"]

    assert [
        (e["seq"], e["action"], e["actor"]["role"], e["actor"]["unit"] and e["actor"]["unit"]["code"],
         e["from_state"], e["to_state"])
        for e in trail
    ] == [
        (1, "submit", "resident", None, None, "submitted"),
        (2, "auto_dispatch", "system", None, "submitted", "dispatched"),
        (3, "sign", "handler", "lsq-cg", "dispatched", "in_progress"),
        (4, "progress", "handler", "lsq-cg", "in_progress", "in_progress"),
    ]
    assert trail[3]["note"] == "已安排清运车辆" and trail[3]["public"] is True
    assert trail[2]["at"] == "2025-03-03T11:00:00+08:00"
    assert trail[2]["actor"]["id"] == "test-handler-lsq-cg"


ACCOUNTS = [HANDLER_CG, HANDLER_LSQ, DISPATCHER, LEADER, ADMIN]


def test_allowed_actions_follow_the_lifecycle(desk):
    no = desk.submit("sanitation", "220402")["tracking_no"]  # dispatched to lsq-cg

    dispatched = {who: desk.actions(no, who) for who in ACCOUNTS}
    desk.done(no, HANDLER_CG, "sign")
    in_progress = {who: desk.actions(no, who) for who in ACCOUNTS}

    assert dispatched == {
        HANDLER_CG: ["sign", "return", "forward", "assign"],
        HANDLER_LSQ: ["sign", "return", "forward", "assign"],
        DISPATCHER: ["merge", "priority", "co_handle", "assign"],  # 并单 until the unit signs
        LEADER: ["instruction", "reassign"],
        ADMIN: [],
    }
    assert in_progress == {
        HANDLER_CG: ["progress", "request_extension", "resolve", "assign"],
        HANDLER_LSQ: ["progress", "request_extension", "resolve", "assign"],
        DISPATCHER: ["priority", "co_handle", "assign"],
        LEADER: ["instruction", "reassign"],
        ADMIN: [],
    }


def test_allowed_actions_of_an_order_waiting_for_dispatch(desk):
    no = desk.submit()["tracking_no"]

    assert desk.actions(no) == ["dispatch", "reject", "merge", "priority"]


def test_each_allowed_action_comes_with_its_label_and_form(desk, dispatched):
    actions = {a["action"]: a for a in desk.detail(dispatched, HANDLER_CG).json["allowed_actions"]}
    desk.done(dispatched, HANDLER_CG, "sign")
    handling = {a["action"]: a for a in desk.detail(dispatched, HANDLER_CG).json["allowed_actions"]}

    assert actions["sign"] == {"action": "sign", "label": "签收", "fields": []}
    (forward_to,) = actions["forward"]["fields"]
    assert (forward_to["name"], forward_to["type"], forward_to["required"]) == ("unit", "unit", True)
    assert forward_to["label"] == "转派给下级单位"
    assert "lsq-cg" not in forward_to["choices"]  # the order's own unit: only those below it
    days, reason = handling["request_extension"]["fields"]
    # The city's own limit (extensions.max_working_days), not the API model's bound of 60.
    assert (days["type"], days["min"], days["max"]) == ("integer", 1, 3)
    assert (reason["name"], reason["type"], reason["max_length"]) == ("reason", "textarea", 500)


def test_an_action_declared_once_is_offered_with_its_form_and_documented(desk, monkeypatch):
    from chalicelib.api import openapi, operations
    from chalicelib.commands import actions
    from chalicelib.domain import lifecycle
    from chalicelib.domain.actions import Input, Kind, Outcome, Rule

    tag = Rule(
        "标记", frozenset({lifecycle.Role.DISPATCHER}), frozenset({lifecycle.State.SUBMITTED}), None,
        lambda order, actor, params, ctx: Outcome(note=params["tag"]),
        inputs=(Input("tag", "标记内容", Kind.TEXT, max_length=20),),
    )
    monkeypatch.setitem(lifecycle.RULES, "tag", tag)
    no = desk.submit()["tracking_no"]

    offered = desk.order(no)["allowed_actions"]
    assert offered[-1] == {
        "action": "tag", "label": "标记",
        "fields": [{
            "name": "tag", "type": "text", "label": "标记内容", "required": True, "choices": None,
            "min": None, "max": None, "max_length": 20, "value": None,
        }],
    }
    body = actions.TypeAdapter(actions.staff_actions(lifecycle.RULES))
    ops = tuple(
        dataclasses.replace(op, body=(body,)) if op.body == (actions.STAFF_ACTION,) else op
        for op in operations.OPERATIONS
    )
    tagged = openapi.build(ops)["components"]["schemas"]["Tag"]
    assert tagged["properties"]["action"]["const"] == "tag"
    assert tagged["properties"]["tag"]["maxLength"] == 20 and tagged["required"] == ["version", "action", "tag"]
