"""The dashboard's figures (GET /api/v1/staff/stats) against a direct count of the orders.

Orders are made and worked through the API — resolved on time and late, rated well and
badly (不满意重办), merged, rejected, left waiting — over two days; the figures of each
period must be exactly what counting the orders themselves (their details, through the
API) gives. The clock starts on Monday 2025-03-03 10:00 in Liaoyuan.
"""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict

import pytest

from pynamodb.attributes import NumberAttribute

from chalicelib.domain import geocells
from chalicelib.domain.stats import COUNTERS
from chalicelib.storage.tables import StatsModel
from tests.aws_faults import refuse
from tests.api.staff_helpers import ADMIN, API, DISPATCHER, HANDLER_CG, HANDLER_XAQ_CG, LEADER, START, assert_error

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")

CST = dt.timezone(dt.timedelta(hours=8))
STATS = f"{API}/staff/stats"


def at(day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(2025, 3, day, hour, tzinfo=CST)


def rate(desk, submitted: dict, stars: int) -> dict:
    answer = desk.api.post(f"{API}/requests/{submitted['tracking_no']}/rating", {"code": submitted["query_code"], "stars": stars})
    assert answer.status == 200, answer
    return answer.json


def resolve(desk, no: str, who=HANDLER_CG) -> None:
    desk.done(no, who, "resolve", reply="已处理完毕")


@pytest.fixture
def worked(desk, clock) -> dict[str, dict]:
    """Seven orders over Monday 3rd and Tuesday 4th, in every kind of state, as of Thursday 20th."""
    clock.move_to(at(3))
    orders = {
        "redone_then_closed": desk.submit("sanitation", "220402001001"),  # lsq-cg
        "late": desk.submit("sanitation", "220402"),
        "merged": desk.submit(),  # "other": waits for the dispatcher
        "main": desk.submit("traffic", "220403001", answers={"spot": "crossing"}),  # jj, never signed
        "rejected": desk.submit(),
    }
    clock.move_to(at(4, 9))
    orders["reopened"] = desk.submit("sanitation", "220403002")  # xaq-cg
    orders["waiting_heat"] = desk.submit("utilities", None, "help")  # heat, 24 hours

    no = {name: submitted["tracking_no"] for name, submitted in orders.items()}
    clock.move_to(at(4, 11))
    desk.done(no["redone_then_closed"], HANDLER_CG, "sign")
    resolve(desk, no["redone_then_closed"])
    rate(desk, orders["redone_then_closed"], 1)  # 不满意重办: back to lsq-cg, round 2
    resolve(desk, no["redone_then_closed"])
    rate(desk, orders["redone_then_closed"], 5)
    desk.done(no["late"], HANDLER_CG, "sign")
    desk.done(no["merged"], DISPATCHER, "merge", into=no["main"])
    desk.done(no["rejected"], DISPATCHER, "reject", reason="不属于受理范围")
    desk.done(no["reopened"], HANDLER_XAQ_CG, "sign")
    resolve(desk, no["reopened"], HANDLER_XAQ_CG)
    rate(desk, orders["reopened"], 2)  # back in progress, its bad rating standing
    clock.move_to(at(20))  # long past the late one's due date (5 working days from the 3rd)
    resolve(desk, no["late"])
    rate(desk, orders["late"], 4)
    return orders


def figures(desk, first: str, last: str, who=DISPATCHER) -> dict:
    answer = desk.api.get(f"{STATS}?from={first}&to={last}", desk.headers(who))
    assert answer.status == 200, answer
    return answer.json


def counted(details: list[dict]) -> dict[str, int]:
    """The counters, counted from orders as the staff detail shows them."""
    c = Counter({name: 0 for name in COUNTERS})
    for d in details:
        resolved = d["resolved_at"] is not None
        c["submitted"] += 1
        c["assigned"] += d["unit"] is not None
        c["signed"] += d["unit"] is not None and d["signed_at"] is not None
        c["resolved"] += resolved
        c["on_time"] += resolved and d["resolved_at"] <= d["due_at"]
        c["replied"] += resolved or d["round"] > 1
        c["redo"] += d["round"] > 1
        c["rated"] += d["rating"] is not None
        c["stars"] += d["rating"] or 0
        c["satisfied"] += (d["rating"] or 0) >= 3
        c["priority"] += d["priority"]
        c["supervised"] += d["supervised_at"] is not None
        c["rated_by_callback"] += d["rating_source"] == "callback"
        c["praise"] += d["type"]["code"] == "praise"
        if resolved:
            seconds = dt.datetime.fromisoformat(d["resolved_at"]) - dt.datetime.fromisoformat(d["created_at"])
            c["handling_seconds"] += int(seconds.total_seconds())
    return dict(c)


def details_of(desk, orders: dict[str, dict], day: int | None = None) -> list[dict]:
    found = [desk.order(o["tracking_no"]) for o in orders.values()]
    return [d for d in found if day is None or d["created_at"].startswith(f"2025-03-{day:02d}")]


def test_the_totals_of_a_period_are_a_count_of_its_orders(desk, worked):
    every = details_of(desk, worked)
    assert counted(every) == figures(desk, "2025-03-03", "2025-03-04")["totals"]
    assert counted(details_of(desk, worked, 3)) == figures(desk, "2025-03-03", "2025-03-03")["totals"]
    assert counted(details_of(desk, worked, 4)) == figures(desk, "2025-03-04", "2025-03-04")["totals"]
    # The scenario covers what it says: a redo, a late resolution, a merge, a rejection.
    assert {d["state"] for d in every} == {"closed", "merged", "dispatched", "rejected", "in_progress"}
    totals = counted(every)
    assert (totals["redo"], totals["resolved"] - totals["on_time"], totals["rated"]) == (2, 1, 3)


def test_counts_by_state_match_the_queue(desk, worked):
    shown = {entry["code"]: entry["count"] for entry in figures(desk, "2025-03-03", "2025-03-04")["by_state"]}
    for state, count in shown.items():
        assert count == len(desk.numbers(state=state, **{"from": "2025-03-03", "to": "2025-03-04"})), state
    assert sum(shown.values()) == len(worked)


@pytest.mark.parametrize("dimension", ["type", "category", "unit"])
def test_counts_by_type_category_and_unit_are_counts_of_their_orders(desk, worked, dimension):
    groups = defaultdict(list)
    for d in details_of(desk, worked):
        if d[dimension]:
            groups[d[dimension]["code"]].append(d)
    shown = {e["code"]: e["counts"] for e in figures(desk, "2025-03-03", "2025-03-04")[f"by_{dimension}"]}
    assert {code: counts for code, counts in shown.items() if counts["submitted"]} == {
        code: counted(ds) for code, ds in groups.items()
    }


def test_an_area_counts_its_own_orders_and_those_below_it(desk, worked):
    areas = {e["code"]: e for e in figures(desk, "2025-03-03", "2025-03-04")["by_area"]}
    details = details_of(desk, worked)
    for code in ("220402", "220403", "220402001", "220403001"):
        below = [d for d in details if d["area"] and d["area"]["code"].startswith(code)]
        assert areas[code]["counts"] == counted(below), code
        assert areas[code]["depth"] == (1 if len(code) == 6 else 2)
    assert areas["220402"]["name"] == "龙山区" and areas["220402001"]["parent"] == "220402"


def test_rates_and_the_unit_ranking(desk, worked):
    shown = figures(desk, "2025-03-03", "2025-03-04")
    totals = shown["totals"]
    assert shown["rates"]["on_time"] == round(totals["on_time"] / totals["resolved"], 4)
    assert shown["rates"]["satisfaction"] == round(totals["satisfied"] / totals["rated"], 4)
    ranking = [(u["code"], u["score"]) for u in shown["by_unit"]]
    # lsq-cg: both signed, one of two resolved on time, both rated 3+ → (1 + 0.5 + 1) / 3;
    # xaq-cg: signed, reopened (nothing resolved), rated 2 → (1 + 0) / 2; heat and jj: unsigned.
    assert ranking == [("lsq-cg", 83.3), ("xaq-cg", 50.0), ("heat", 0.0), ("jj", 0.0)]


def test_every_day_of_the_period_is_in_the_daily_series(desk, worked):
    daily = figures(desk, "2025-03-02", "2025-03-05")["daily"]
    assert [(d["day"], d["submitted"]) for d in daily] == [
        ("2025-03-02", 0), ("2025-03-03", 5), ("2025-03-04", 2), ("2025-03-05", 0),
    ]


def test_the_heat_map_counts_where_requests_were_made(desk, worked):
    cells = figures(desk, "2025-03-03", "2025-03-04")["cells"]
    # Every request of the desk is made at (125.14, 42.9): one cell, the hotspot alerts' cell there.
    [cell] = cells["items"]
    assert (cell["cell"], cell["count"]) == (geocells.encode(125.14, 42.9, 6), 7)
    assert geocells.distance_m((125.14, 42.9), (cell["lng"], cell["lat"])) < 600  # its centre
    assert cells["precision"] == 6


def test_a_period_reads_the_counters_not_the_orders(desk, worked, app_operations):
    app_operations.clear()
    figures(desk, "2025-01-01", "2025-12-31")
    assert app_operations == ["Query"] * 7  # one per dimension and the map's cells


def test_a_change_adds_its_counters_in_its_own_transaction(desk, app_operations):
    no = desk.submit("sanitation", "220402")["tracking_no"]
    version = desk.order(no)["version"]
    app_operations.clear()
    desk.act(no, HANDLER_CG, "sign", version=version)
    assert app_operations == ["GetItem", "TransactWriteItems"]


def test_the_stats_table_keeps_every_counter():
    kept = {name for name, attribute in StatsModel.get_attributes().items() if isinstance(attribute, NumberAttribute)}
    assert kept == set(COUNTERS)


def test_the_default_period_is_the_last_30_days(desk, clock):
    clock.move_to(at(20))
    assert figures(desk, "", "")["period"] == {"from": "2025-02-19", "to": "2025-03-20", "days": 30}


def test_a_period_at_the_calendars_ends_is_only_as_long_as_the_calendar(desk):
    """Found by the fuzzer: the default 30 days before 0001-01-01 do not exist (it was a 500)."""
    answer = desk.api.get(f"{STATS}?to=0001-01-01", desk.headers(DISPATCHER))
    assert answer.status == 200, answer
    assert answer.json["period"] == {"from": "0001-01-01", "to": "0001-01-01", "days": 1}
    late = desk.api.get(f"{STATS}?from=9999-12-31&to=9999-12-31", desk.headers(DISPATCHER))
    assert late.status == 200 and late.json["period"]["days"] == 1, late


@pytest.mark.parametrize("who", [LEADER, ADMIN])
def test_leaders_and_administrators_see_the_figures(desk, who):
    assert figures(desk, "2025-03-01", "2025-03-31", who)["totals"]["submitted"] == 0


def test_a_handler_may_not_see_the_citys_figures(desk):
    assert_error(desk.api.get(f"{STATS}?from=2025-03-01&to=2025-03-31", desk.headers(HANDLER_CG)), 403, "forbidden")


@pytest.mark.parametrize(
    ("query", "field"),
    [("from=2025-03-05&to=2025-03-01", "from"), ("from=2024-01-01&to=2025-03-01", "from"), ("from=3月1日", "from")],
)
def test_a_bad_period_is_refused_naming_the_field(desk, query, field):
    assert_error(desk.api.get(f"{STATS}?{query}", desk.headers(DISPATCHER)), 422, "validation_failed", {field})


def test_the_figures_need_a_token(desk):
    assert_error(desk.api.get(f"{STATS}?from=2025-03-01&to=2025-03-31"), 401)


# ---- contention: every change of a day adds to that day's counters ------------------------

def cancelled_by_timing(monkeypatch, times: int | None):
    """The next ``times`` TransactWriteItems (all of them: None) are cancelled as DynamoDB cancels one
    that touched an item another transaction was writing (TransactionConflict), writing nothing."""
    return refuse(monkeypatch, "TransactWriteItems", "TransactionCanceledException",
                  reasons=("TransactionConflict",), times=times)


def test_a_change_that_met_another_on_the_counters_is_tried_again(desk, monkeypatch):
    no = desk.submit("sanitation", "220402")["tracking_no"]
    refusal = cancelled_by_timing(monkeypatch, times=2)

    desk.done(no, HANDLER_CG, "sign")

    assert refusal.refused == 2
    assert figures(desk, "2025-03-03", "2025-03-03")["totals"]["signed"] == 1


def test_a_change_that_keeps_meeting_others_answers_409_and_writes_nothing(desk, monkeypatch):
    no = desk.submit("sanitation", "220402")["tracking_no"]
    refusal = cancelled_by_timing(monkeypatch, times=None)

    assert_error(desk.act(no, HANDLER_CG, "sign"), 409, "conflict")

    assert refusal.refused == 4  # the first try and its three retries
    assert desk.order(no)["state"] == "dispatched"
    assert figures(desk, "2025-03-03", "2025-03-03")["totals"]["signed"] == 0
