"""The escalation sweep over stored orders: reminders, returns and levels, each once.

Orders are made through the API (a sanitation complaint in 龙山区 is
auto-dispatched to lsq-cg with 5 working days); the sweep runs on a frozen clock.
Expected times are counted by hand on the official calendar, office hours
08:30–17:30 (see tests/domain/test_deadlines.py).
"""
from __future__ import annotations

import datetime as dt
from collections import Counter

import boto3
import pytest
from botocore.client import BaseClient
from freezegun import freeze_time

from chalicelib import storage
from chalicelib.services import escalation
from tests.api.resident_helpers import ORDERS, act, raw_order, rate, submit
from tests.api.staff_helpers import action_names

CST = dt.timezone(dt.timedelta(hours=8))
REQUESTS = "/api/v1/staff/requests"


def at(month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=CST)


def sweep_at(moment: dt.datetime) -> dict[str, int]:
    with freeze_time(moment):
        return escalation.sweep()


def submitted_at(api, moment: dt.datetime, **overrides) -> dict:
    """An anonymous request (no phone to verify) submitted at ``moment``."""
    with freeze_time(moment):
        return submit(api, anonymous=True, drop=("contact",), **overrides)


def actions(tracking_no: str) -> list[str]:
    return [event.action for event in storage.trail(tracking_no)]


def in_index() -> list[str]:
    """Every order the sweep's index holds, read raw (the test's own Query)."""
    answer = boto3.client("dynamodb").query(
        TableName=ORDERS,
        IndexName="by-next-check",
        KeyConditionExpression="check_partition = :due",
        ExpressionAttributeValues={":due": {"S": "due"}},
    )
    return [item["tracking_no"]["S"] for item in answer["Items"]]


# ---- signing --------------------------------------------------------------------

def test_an_order_never_signed_is_reminded_then_returned_to_the_dispatcher(api, staff):
    no = submitted_at(api, at(11, 16))["tracking_no"]  # Monday: sign by Tuesday 10:00

    assert sweep_at(at(11, 17, 9, 59)) == {}
    assert sweep_at(at(11, 17)) == {"remind_signing": 1}
    assert storage.get_order(no).order.state == "dispatched"
    assert sweep_at(at(11, 17, 17)) == {}
    assert sweep_at(at(11, 18)) == {"return_unsigned": 1}  # one working day later

    order = storage.get_order(no).order
    assert (order.state, order.unit, order.due_at, order.next_check_at) == ("submitted", None, None, None)
    assert actions(no) == ["submit", "auto_dispatch", "remind_signing", "return_unsigned"]
    with freeze_time(at(11, 18, 11)):
        queue = api.get(f"{REQUESTS}?state=submitted", staff("dispatcher"))
        detail = api.get(f"{REQUESTS}/{no}", staff("dispatcher")).json
        assert api.get(f"{REQUESTS}/{no}", staff("handler", "lsq-cg")).status == 404
    assert no in [item["tracking_no"] for item in queue.json["items"]]
    assert [(e["label"], e["actor"]["role"]) for e in detail["trail"][-2:]] == [("签收提醒", "system"), ("超时退回", "system")]
    assert "dispatch" in action_names(detail)


def test_a_signed_order_is_neither_reminded_nor_returned(api, staff):
    no = submitted_at(api, at(11, 16))["tracking_no"]
    with freeze_time(at(11, 16, 11)):
        act(api, staff, no, "sign")

    assert sweep_at(at(11, 18, 12)) == {}
    assert actions(no) == ["submit", "auto_dispatch", "sign"]


# ---- levels, across National Day ----------------------------------------------------

# A 5-working-day complaint dispatched Monday 28 September 10:00, signed at once:
# warning after 36 office hours (Friday 9 October 10:00, past the holiday), due on the
# 调休 Saturday 10 October 10:00, red two working days later (Tuesday 13 October 10:00).
NATIONAL_DAY_SWEEPS = [
    (at(9, 30, 17, 30), {}),
    (at(10, 5, 12), {}),  # in the holiday
    (at(10, 9, 9, 59), {}),
    (at(10, 9), {"warn": 1}),
    (at(10, 9, 15), {}),
    (at(10, 10), {"urge": 1}),  # on the worked Saturday
    (at(10, 12, 17, 29), {}),
    (at(10, 13), {"supervise": 1}),
    (at(10, 20), {}),  # red is the last level
]


def test_an_order_in_progress_turns_warning_yellow_red_across_national_day(api, staff):
    no = submitted_at(api, at(9, 28))["tracking_no"]
    with freeze_time(at(9, 28, 10, 5)):
        act(api, staff, no, "sign")

    levels = []
    for moment, taken in NATIONAL_DAY_SWEEPS:
        assert sweep_at(moment) == taken, moment
        levels.append(storage.get_order(no).order.level)

    assert levels == ["normal"] * 3 + ["warning"] * 2 + ["yellow"] * 2 + ["red"] * 2
    trail = storage.trail(no)
    assert [e.action for e in trail] == ["submit", "auto_dispatch", "sign", "warn", "urge", "supervise"]
    assert [e.at for e in trail[3:]] == [at(10, 9), at(10, 10), at(10, 13)]
    assert {e.actor.role.value for e in trail[3:]} == {"system"}
    order = storage.get_order(no).order
    assert (order.supervised_at, order.next_check_at) == (at(10, 13), None)
    assert "check_partition" not in raw_order(no)  # nothing left to check while it stays red


# ---- once, however the sweeps run ---------------------------------------------------

@pytest.fixture
def overdue(api, staff) -> str:
    """Signed Monday 16 November, due Monday 23rd 10:00; yellow from then on."""
    no = submitted_at(api, at(11, 16))["tracking_no"]
    with freeze_time(at(11, 16, 11)):
        act(api, staff, no, "sign")
    return no


def test_a_second_sweep_at_the_same_instant_changes_nothing(overdue):
    assert sweep_at(at(11, 23, 11)) == {"urge": 1}
    stored = raw_order(overdue)

    assert sweep_at(at(11, 23, 11)) == {}
    assert raw_order(overdue) == stored
    assert actions(overdue).count("urge") == 1


def test_two_sweeps_at_once_record_the_change_once(overdue, monkeypatch):
    """The first sweep loads the order; the second runs whole before the first writes."""
    get_order = storage.get_order
    inner: list[dict] = []
    started = []

    def slow_get_order(tracking_no):
        item = get_order(tracking_no)  # the first sweep's copy, stale once the second has run
        if not started:
            started.append(tracking_no)
            inner.append(escalation.sweep())
        return item

    monkeypatch.setattr(storage, "get_order", slow_get_order)
    outer = sweep_at(at(11, 23, 11))

    assert (inner, outer) == ([{"urge": 1}], {})
    assert actions(overdue).count("urge") == 1
    assert storage.trail(overdue)[-1].seq == int(get_order(overdue).version) == 4


class Crash(BaseException):
    """The process dies (a Lambda timeout): nothing in the sweep can catch it."""


def test_a_sweep_that_was_away_takes_every_due_action_in_one_run(api):
    # As below: by Monday 18:00 the order is past due and past its signing limit. One run takes both,
    # each decided on (and stored on condition of) the order as the one before left it.
    no = submitted_at(api, at(11, 20, 20), category="utilities", type="help")["tracking_no"]

    assert sweep_at(at(11, 23, 18)) == {"urge": 1, "remind_signing": 1}
    assert actions(no) == ["submit", "auto_dispatch", "urge", "remind_signing"]


def test_a_sweep_retried_after_a_crash_takes_only_what_is_left(api, monkeypatch):
    # Help with utilities (24 h) from Friday 20:00: by Monday 18:00 it is past due
    # (Saturday 20:00) and past its signing limit (Monday 17:30).
    no = submitted_at(api, at(11, 20, 20), category="utilities", type="help")["tracking_no"]
    record_changes = storage.record_changes

    def crash_after_writing(*args, **kwargs):
        record_changes(*args, **kwargs)
        raise Crash

    monkeypatch.setattr(storage, "record_changes", crash_after_writing)
    with pytest.raises(Crash):
        sweep_at(at(11, 23, 18))
    monkeypatch.undo()

    assert sweep_at(at(11, 23, 18)) == {"remind_signing": 1}
    assert actions(no) == ["submit", "auto_dispatch", "urge", "remind_signing"]


def test_an_order_the_sweep_cannot_handle_does_not_hold_back_the_others(api):
    broken, healthy = (submitted_at(api, at(11, 16, hour))["tracking_no"] for hour in (9, 10))
    # The broken order comes first in the index; its type is no longer in the city file.
    boto3.client("dynamodb").update_item(
        TableName=ORDERS, Key={"tracking_no": {"S": broken}},
        UpdateExpression="SET #type = :gone", ExpressionAttributeNames={"#type": "type"},
        ExpressionAttributeValues={":gone": {"S": "retired"}},
    )

    assert sweep_at(at(11, 17, 12)) == {"remind_signing": 1}
    assert actions(healthy)[-1] == "remind_signing"
    assert actions(broken)[-1] == "auto_dispatch" and in_index() == [broken, healthy]


# ---- the index: only due orders are read --------------------------------------------

@pytest.fixture
def operations(monkeypatch):
    """The AWS operations made while ``operations.during(f)`` runs f."""

    class Recorder:
        def __init__(self):
            self.seen: list[str] = []
            self.on = False

        def during(self, function):
            self.on = True
            try:
                return function()
            finally:
                self.on = False

    recorder = Recorder()
    make_api_call = BaseClient._make_api_call

    def recording(client, operation_name, params):
        if recorder.on:
            recorder.seen.append(operation_name)
        return make_api_call(client, operation_name, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    return recorder


def test_the_sweep_reads_only_the_orders_that_are_due(api, operations):
    due = [submitted_at(api, at(11, 16))["tracking_no"] for _ in range(3)]  # sign by Tuesday 10:00
    later = [submitted_at(api, at(11, 17, 9))["tracking_no"] for _ in range(17)]  # by Wednesday 9:00
    waiting = [submitted_at(api, at(11, 17, 9), category="other")["tracking_no"] for _ in range(10)]
    assert len(set(due + later + waiting)) == 30
    assert sorted(in_index()) == sorted(due + later)

    with freeze_time(at(11, 17, 10)):
        taken = operations.during(escalation.sweep)

    assert taken == {"remind_signing": 3}
    calls = Counter(operations.seen)
    assert "Scan" not in calls
    assert (calls["Query"], calls["GetItem"], calls["TransactWriteItems"]) == (1, 3, 3)
    assert {no for no in due if actions(no)[-1] == "remind_signing"} == set(due)


def test_orders_with_nothing_ahead_are_not_in_the_index(api, staff):
    dispatched = submitted_at(api, at(11, 16))
    waiting = submitted_at(api, at(11, 16), category="other")
    closed = submitted_at(api, at(11, 16))
    with freeze_time(at(11, 16, 11)):
        act(api, staff, closed["tracking_no"], "sign")
        act(api, staff, closed["tracking_no"], "resolve", reply="已清运")
        assert rate(api, closed["tracking_no"], closed["query_code"], 5).status == 200

    for answer in (waiting, closed):
        item = raw_order(answer["tracking_no"])
        assert "check_partition" not in item and "next_check_at" not in item
    item = raw_order(dispatched["tracking_no"])
    assert item["check_partition"] == {"S": "due"} and "next_check_at" in item
    assert in_index() == [dispatched["tracking_no"]]
