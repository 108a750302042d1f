"""Optimistic locking and the audit trail: a stale or racing change writes nothing, and the trail is the order."""
from __future__ import annotations

import pytest

from chalicelib import storage
from chalicelib.domain.lifecycle import replay
from tests.api.staff_helpers import API, DISPATCHER, HANDLER_CG, LEADER, START, assert_error
from tests.aws_faults import refuse

CLOCK_START = START  # Monday 10:00 (tests/api/staff_helpers.py): every test here runs on it
pytestmark = pytest.mark.usefixtures("clock", "aws_calls")


def trail_length(desk, no: str) -> int:
    return len(desk.order(no)["trail"])


def test_a_stale_version_answers_409_and_writes_nothing(desk, in_progress):
    before = trail_length(desk, in_progress)

    answer = desk.act(in_progress, HANDLER_CG, "progress", version=2, note="过时的页面")

    assert_error(answer, 409, "conflict", {"version"})
    assert trail_length(desk, in_progress) == before == 3


@pytest.mark.parametrize("version", [True, 2.0, "2"], ids=repr)
def test_a_version_must_be_a_json_integer(desk, dispatched, version):
    """true would pass for version 1 (found in the fuzzing's traffic): a mistyped version takes nothing."""
    answer = desk.act(dispatched, HANDLER_CG, "sign", version=version)

    assert_error(answer, 422, "validation_failed", {"version"})
    assert desk.order(dispatched)["state"] == "dispatched"


def test_two_staff_acting_on_the_same_version_the_second_loses(desk, dispatched):
    first = desk.act(dispatched, DISPATCHER, "priority", version=2, on=True)
    second = desk.act(dispatched, HANDLER_CG, "sign", version=2)

    assert first.status == 200
    assert_error(second, 409, "conflict", {"version"})
    assert desk.order(dispatched)["state"] == "dispatched"


def test_a_write_racing_another_is_refused_and_writes_nothing(desk, dispatched, monkeypatch, aws_calls):  # noqa: F811
    """Both read version 2; the other writes first; this one's conditional write must fail."""
    read, stale = storage.get_order, [storage.get_order(dispatched)]
    desk.done(dispatched, DISPATCHER, "priority", on=True)
    monkeypatch.setattr(storage, "get_order", lambda no: stale.pop() if stale else read(no))
    before = len(aws_calls)

    answer = desk.act(dispatched, HANDLER_CG, "sign", version=2)

    assert_error(answer, 409, "conflict", {"version"})
    assert "TransactWriteItems" in [name for name, _ in aws_calls[before:]]  # refused by the write's condition
    assert [e["action"] for e in desk.order(dispatched)["trail"]] == ["submit", "auto_dispatch", "priority"]


def test_a_transaction_conflict_in_dynamodb_answers_409(desk, dispatched, monkeypatch, aws_calls):  # noqa: F811
    """Another transaction on the order stays in flight: DynamoDB cancels ours (TransactionConflict)
    each time it is tried, and after its retries the actor is told to reload."""
    refusal = refuse(
        monkeypatch, "TransactWriteItems", "TransactionCanceledException",
        reasons=("TransactionConflict", "None"), times=None,
    )

    before = len(aws_calls)
    assert_error(desk.act(dispatched, HANDLER_CG, "sign"), 409, "conflict", {"version"})

    assert refusal.refused == 4  # the first try and three retries, each cancelled whole
    # Nothing was written around the cancelled transactions (they never reached DynamoDB).
    writes = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}
    assert [name for name, _ in aws_calls[before:] if name in writes] == []
    assert desk.order(dispatched)["state"] == "dispatched"


def test_the_audit_trail_replays_to_the_stored_order(desk, clock):
    submitted = desk.submit("sanitation", "220402")
    no = submitted["tracking_no"]
    steps = [
        (HANDLER_CG, "sign", {}),
        (HANDLER_CG, "progress", {"note": "已派车", "public": True}),
        (HANDLER_CG, "request_extension", {"days": 2, "reason": "需协调"}),
        (DISPATCHER, "approve_extension", {}),
        (DISPATCHER, "priority", {"on": True}),
        (DISPATCHER, "co_handle", {"units": ["cgj"]}),
        (LEADER, "instruction", {"note": "督办"}),
        (LEADER, "reassign", {"unit": "cgj", "reason": "统筹"}),
        (DISPATCHER, "co_handle", {"units": ["lsq-cg"]}),
        (("handler", "cgj"), "sign", {}),
        (HANDLER_CG, "co_reply", {"reply": "配合清运"}),  # the co-unit's part, before the main unit resolves
        (("handler", "cgj"), "resolve", {"reply": "已处理"}),
    ]
    for who, action, params in steps:
        clock.tick(3600)
        desk.done(no, who, action, **params)
    rated = desk.api.post(f"{API}/requests/{no}/rating", {"code": submitted["query_code"], "stars": 1})
    assert rated.status == 200 and rated.json["state"] == "in_progress"

    events = storage.trail(no)

    assert [e.seq for e in events] == list(range(1, len(steps) + 4))  # + submit, auto_dispatch, rate
    assert replay(events) == storage.get_order(no).order
    assert desk.order(no)["version"] == len(events)
