"""A unit's people (承办人) from moto's Cognito, assignment to one of them, the queue by assignee,
the workload per person, and the operator (话务员), who reads everything and acts on nothing."""
from __future__ import annotations

import pytest

from chalicelib.settings import get_settings
from infra.staff_pool import create_staff_pool
from tests.api.staff_helpers import (
    ADMIN, API, CONTACT, DISPATCHER, HANDLER_CG, HANDLER_LSQ, HANDLER_XAQ_CG, HANDLER_XY, LEADER, START, assert_error,
)

CLOCK_START = START
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

OPERATOR = ("operator",)


class Pool:
    """The staff pool in moto's Cognito: the demo accounts, and a few more people of lsq-cg."""

    def __init__(self, settings_changed):
        self.pool = create_staff_pool(["lsq-cg", "lsq-xy", "xaq-cg"])
        settings_changed.setenv("STAFF_USER_POOL_ID", self.pool.pool_id)
        get_settings.cache_clear()
        self.cognito = self.pool.cognito
        self.add("li", "李四", "lsq-cg")
        self.add("gone", "离职人员", "lsq-cg")
        self.cognito.admin_disable_user(UserPoolId=self.pool.pool_id, Username="gone")

    def add(self, username: str, name: str, unit: str, group: str = "handler") -> None:
        self.cognito.admin_create_user(
            UserPoolId=self.pool.pool_id, Username=username, MessageAction="SUPPRESS",
            UserAttributes=[{"Name": "name", "Value": name}, {"Name": "custom:unit", "Value": unit}],
        )
        self.cognito.admin_add_user_to_group(UserPoolId=self.pool.pool_id, Username=username, GroupName=group)

    def sub(self, username: str) -> str:
        user = self.cognito.admin_get_user(UserPoolId=self.pool.pool_id, Username=username)
        return next(a["Value"] for a in user["UserAttributes"] if a["Name"] == "sub")


@pytest.fixture
def pool(aws, settings_changed) -> Pool:
    return Pool(settings_changed)


@pytest.fixture
def as_person(issuer, pool):
    """Headers of a token for one of the pool's users (its sub), as the handler of its unit."""

    def headers(username: str, unit: str) -> dict:
        return {"Authorization": f"Bearer {issuer.mint(pool.sub(username), 'handler', unit)}"}

    return headers


def people(api, staff, unit: str, who=DISPATCHER):
    return api.get(f"{API}/staff/units/{unit}/people", staff(*who))


# ---- the people of a unit ---------------------------------------------------------------

def test_a_units_people_are_its_enabled_accounts_with_no_contact_data(api, staff, pool):
    answer = people(api, staff, "lsq-cg")
    assert answer.status == 200, answer
    assert answer.json["unit"] == {"code": "lsq-cg", "name": "龙山区城市管理局"}
    listed = answer.json["people"]
    assert sorted(p["name"] for p in listed) == sorted(["李四", "演示承办人（lsq-cg）"])  # not the disabled one
    assert all(set(p) == {"id", "name", "roles"} and p["roles"] == ["handler"] for p in listed)
    assert {p["id"] for p in listed} == {pool.sub("li"), pool.sub("handler:lsq-cg")}


@pytest.mark.parametrize("who", [DISPATCHER, LEADER, ADMIN, HANDLER_CG, HANDLER_LSQ])
def test_the_command_centre_and_the_unit_or_above_may_list_them(api, staff, pool, who):
    assert people(api, staff, "lsq-cg", who).status == 200


@pytest.mark.parametrize("who", [HANDLER_XAQ_CG, HANDLER_XY, OPERATOR])
def test_another_unit_and_the_operator_may_not(api, staff, pool, who):
    assert_error(people(api, staff, "lsq-cg", who), 403, "forbidden")


def test_a_unit_below_may_not_list_the_one_above(api, staff, pool):
    assert_error(people(api, staff, "lsq", HANDLER_CG), 403)


def test_an_unknown_unit_is_404(api, staff, pool):
    assert_error(people(api, staff, "nowhere"), 404)


# ---- assign -----------------------------------------------------------------------------

def test_a_handler_assigns_to_a_person_of_the_unit_shown_in_the_detail_and_trail(desk, pool, dispatched):
    li = pool.sub("li")
    result = desk.done(dispatched, HANDLER_CG, "assign", assignee=li)
    assert result["state"] == "dispatched"
    order = desk.order(dispatched)
    assert order["assignee"] == {"id": li, "name": "李四"}
    assert order["trail"][-1]["action"] == "assign" and order["trail"][-1]["note"] == "交由李四承办"
    # Re-assigning within the unit is the same action; the form starts from the current person.
    form = next(a for a in order["allowed_actions"] if a["action"] == "assign")
    assert form["fields"][0]["value"] == li
    desk.done(dispatched, DISPATCHER, "assign", assignee=pool.sub("handler:lsq-cg"))
    assert desk.order(dispatched)["assignee"]["name"] == "演示承办人（lsq-cg）"


def test_the_parent_units_handler_may_assign_too(desk, pool, in_progress):
    desk.done(in_progress, HANDLER_LSQ, "assign", assignee=pool.sub("li"))
    assert desk.order(in_progress)["assignee"]["name"] == "李四"


@pytest.mark.parametrize("username", ["handler:lsq-xy", "gone", "dispatcher"])
def test_someone_not_of_the_unit_is_422_on_the_field_and_nothing_changes(desk, pool, dispatched, username):
    before = desk.order(dispatched)
    answer = desk.act(dispatched, HANDLER_CG, "assign", assignee=pool.sub(username))
    assert_error(answer, 422, fields={"assignee"})
    assert desk.order(dispatched)["version"] == before["version"]


def test_a_made_up_id_is_422(desk, pool, dispatched):
    assert_error(desk.act(dispatched, HANDLER_CG, "assign", assignee="not-a-person"), 422, fields={"assignee"})


@pytest.mark.parametrize("who", [OPERATOR, LEADER, ADMIN])
def test_others_may_not_assign(desk, pool, dispatched, who):
    assert_error(desk.act(dispatched, who, "assign", assignee=pool.sub("li")), 403)


def test_a_handler_of_another_unit_does_not_see_the_order(desk, pool, dispatched):
    assert_error(desk.act(dispatched, HANDLER_XAQ_CG, "assign", assignee=pool.sub("li")), 404)


# ---- the queue by assignee ------------------------------------------------------------------

def test_the_queue_filters_by_assignee_me_or_by_id(desk, pool, as_person):
    mine = desk.submit("sanitation", "220402")["tracking_no"]
    theirs = desk.submit("sanitation", "220402")["tracking_no"]
    nobodys = desk.submit("sanitation", "220402")["tracking_no"]
    li, demo = pool.sub("li"), pool.sub("handler:lsq-cg")
    desk.done(mine, HANDLER_CG, "assign", assignee=li)
    desk.done(theirs, HANDLER_CG, "assign", assignee=demo)
    answer = desk.api.get(f"{API}/staff/requests?assignee=me", as_person("li", "lsq-cg"))
    assert answer.status == 200, answer
    assert [item["tracking_no"] for item in answer.json["items"]] == [mine]
    assert desk.numbers(DISPATCHER, assignee=demo) == [theirs]
    assert desk.numbers(HANDLER_CG, assignee=li) == [mine]
    assert set(desk.numbers(HANDLER_CG)) == {mine, theirs, nobodys}
    # Another unit's handler asking for a person of lsq-cg still sees only its own unit's orders.
    assert desk.numbers(HANDLER_XAQ_CG, assignee=li) == []


# ---- the workload ---------------------------------------------------------------------------

def workload(api, staff, unit: str, who=DISPATCHER):
    return api.get(f"{API}/staff/workload?unit={unit}", staff(*who))


def test_the_workload_counts_open_orders_per_person_by_level(desk, pool, api, staff, app_operations):
    first, second, third, unassigned = (desk.submit("sanitation", "220402")["tracking_no"] for _ in range(4))
    li = pool.sub("li")
    for no in (first, second):
        desk.done(no, HANDLER_CG, "assign", assignee=li)
    desk.done(third, HANDLER_CG, "assign", assignee=pool.sub("handler:lsq-cg"))
    desk.done(second, HANDLER_CG, "sign")
    desk.done(second, HANDLER_CG, "resolve", reply="已清运完毕")  # resolved: no longer open
    app_operations.clear()
    answer = workload(api, staff, "lsq", HANDLER_LSQ)
    assert answer.status == 200, answer
    assert "Scan" not in app_operations and "Query" in app_operations
    body = answer.json
    assert body["unit"]["code"] == "lsq"
    loads = {p["name"]: p for p in body["people"]}
    zero = {"red": 0, "yellow": 0, "warning": 0}
    assert loads["李四"]["open"] == 1 and loads["李四"]["by_level"] == {**zero, "normal": 1}
    assert loads["李四"]["unit"]["code"] == "lsq-cg"
    assert loads["演示承办人（lsq-cg）"]["open"] == 1
    assert loads["演示承办人（lsq-xy）"]["open"] == 0  # a sub-unit's people are listed, idle or not
    assert "离职人员" not in loads
    assert body["unassigned"]["open"] >= 1 and unassigned


@pytest.mark.parametrize("who", [HANDLER_XAQ_CG, HANDLER_CG, OPERATOR, ADMIN])
def test_the_workload_is_for_the_unit_and_above_and_the_command_centre(api, staff, pool, who):
    # HANDLER_CG asks about lsq, the unit above its own.
    assert_error(workload(api, staff, "lsq", who), 403)


@pytest.mark.parametrize("who", [DISPATCHER, LEADER, HANDLER_LSQ])
def test_the_workload_may_be_read_by(api, staff, pool, who):
    assert workload(api, staff, "lsq", who).status == 200


def test_the_workload_of_an_unknown_unit_is_422(api, staff, pool):
    assert_error(workload(api, staff, "nowhere"), 422, fields={"unit"})


# ---- the operator -------------------------------------------------------------------------

def test_the_operator_reads_every_order_and_may_take_no_action(desk, pool):
    dispatched = desk.submit("sanitation", "220402", contact=CONTACT)["tracking_no"]
    assert dispatched in desk.numbers(OPERATOR)
    answer = desk.detail(dispatched, OPERATOR)
    assert answer.status == 200, answer
    assert answer.json["allowed_actions"] == []
    assert answer.json["contact"]["masked"] and answer.json["contact"]["phone"] != CONTACT["phone"]
    for action, params in [("sign", {}), ("progress", {"note": "来电催办"}), ("assign", {"assignee": pool.sub("li")})]:
        assert_error(desk.act(dispatched, OPERATOR, action, **params), 403)


def test_the_operator_sees_the_map_but_no_figures_nor_exports(api, staff):
    assert api.get(f"{API}/staff/city", staff(*OPERATOR)).status == 200
    assert_error(api.get(f"{API}/staff/stats", staff(*OPERATOR)), 403)
    assert_error(api.get(f"{API}/staff/export", staff(*OPERATOR)), 403)
    assert_error(api.get(f"{API}/staff/hotspots", staff(*OPERATOR)), 403)
