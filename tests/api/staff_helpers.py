"""Shared set-up for the staff API tests (test_staff_*.py).

Not a conftest: the residents' API tests live in the same folder and keep their
own set-up. Each staff test module imports the fixtures it uses from here,
including the two autouse ones (a frozen clock and the AWS-call guard).
"""
from __future__ import annotations

import re
from urllib.parse import urlencode

import botocore.client
import pytest
from freezegun import freeze_time

from tests.api.resident_helpers import OTHER_DESCRIPTION, put_object, verified

API = "/api/v1"
# A Monday, 10:00 in Liaoyuan (UTC+8): office hours, far from public holidays.
START = "2025-03-03T02:00:00Z"

DISPATCHER = ("dispatcher",)
LEADER = ("leader",)
ADMIN = ("admin",)
HANDLER_CG = ("handler", "lsq-cg")  # 龙山区城市管理局
HANDLER_LSQ = ("handler", "lsq")  # 龙山区 (parent of lsq-cg, lsq-xy…)
HANDLER_XY = ("handler", "lsq-xy")  # 向阳街道 (parent of two communities)
HANDLER_XAQ_CG = ("handler", "xaq-cg")

CONTACT = {"name": "张三", "phone": "13812341234"}


@pytest.fixture(autouse=True)
def clock():
    """Every staff test runs on a frozen clock that only moves when told to."""
    with freeze_time(START) as frozen:
        yield frozen


@pytest.fixture(autouse=True)
def aws_calls(monkeypatch):
    """Every AWS operation the test makes, with its parameters.

    None may be a Scan, and no Query may give BETWEEN its bounds the wrong way
    round: DynamoDB rejects that with a ValidationException, moto answers it.
    """
    calls: list[tuple[str, dict]] = []
    original = botocore.client.BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append((operation_name, api_params))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", recording)
    yield calls
    assert "Scan" not in [name for name, _ in calls], f"a Scan was made: {calls}"
    refused = [params for name, params in calls if name == "Query" and _reversed_between(params)]
    assert not refused, f"DynamoDB would refuse these queries: {refused}"


def _reversed_between(params: dict) -> bool:
    values = params.get("ExpressionAttributeValues", {})
    for low, high in re.findall(r"BETWEEN (:\w+) AND (:\w+)", params.get("KeyConditionExpression", "")):
        if values[low]["S"] > values[high]["S"]:
            return True
    return False


def assert_error(answer, status: int, code: str | None = None, fields: set[str] | None = None) -> dict:
    """The one error format; returns the error object for further checks."""
    assert answer.status == status, answer
    assert set(answer.json) == {"error"}, answer
    error = answer.json["error"]
    assert set(error) == {"code", "message", "fields"}, error
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["fields"], dict), error
    if code is not None:
        assert error["code"] == code, error
    if fields is not None:
        assert set(error["fields"]) == fields, error
    return error


def action_names(detail: dict) -> list[str]:
    return [offered["action"] for offered in detail["allowed_actions"]]


class Desk:
    """Residents submit, staff list, open and act, all through the HTTP API."""

    def __init__(self, api, staff):
        self.api = api
        self.staff = staff

    def headers(self, who: tuple) -> dict:
        return self.staff(*who)

    def photo(self, headers: dict | None) -> str:
        """A photo uploaded as the holder of ``headers`` would (None: a resident, no token); its upload id."""
        answer = self.api.post(f"{API}/uploads", {"filename": "现场.jpg", "content_type": "image/jpeg", "size": 2048}, headers)
        assert answer.status == 201, answer
        put_object(answer.json, "image/jpeg", 2048)
        return answer.json["upload_id"]

    def submit(self, category="other", area=None, type="complaint", contact=None, answers=None) -> dict:
        body = {
            "type": type,
            "category": category,
            "description": OTHER_DESCRIPTION if category == "other" else "小区门口的路灯坏了很久，晚上很黑",
            "location": {"lat": 42.9, "lng": 125.14},
            "anonymous": contact is None,
            "answers": answers or {},
        }
        if area is not None:
            body["area"] = area
        if contact is not None:
            body["contact"] = contact
        answer = self.api.post(f"{API}/requests", verified(self.api, body))
        assert answer.status == 201, answer
        return answer.json

    def list(self, who=DISPATCHER, **params):
        suffix = f"?{urlencode(params)}" if params else ""
        return self.api.get(f"{API}/staff/requests{suffix}", self.headers(who))

    def numbers(self, who=DISPATCHER, **params) -> list[str]:
        answer = self.list(who, limit=100, **params)
        assert answer.status == 200, answer
        assert answer.json["cursor"] is None
        return [item["tracking_no"] for item in answer.json["items"]]

    def detail(self, no: str, who=DISPATCHER):
        return self.api.get(f"{API}/staff/requests/{no}", self.headers(who))

    def order(self, no: str) -> dict:
        answer = self.detail(no)
        assert answer.status == 200, answer
        return answer.json

    def actions(self, no: str, who=DISPATCHER) -> list[str]:
        """The names of the actions the detail offers ``who`` (each comes with its form)."""
        answer = self.detail(no, who)
        assert answer.status == 200, answer
        return action_names(answer.json)

    def act(self, no: str, who, action: str, version: int | None = None, **params):
        """One action; without ``version``, on the order's current version."""
        if version is None:
            version = self.order(no)["version"]
        body = {"action": action, "version": version, **params}
        return self.api.post(f"{API}/staff/requests/{no}/actions", body, self.headers(who))

    def done(self, no: str, who, action: str, **params) -> dict:
        """An action that must succeed; returns its result."""
        answer = self.act(no, who, action, **params)
        assert answer.status == 200, answer
        return answer.json

    def track(self, submitted: dict) -> dict:
        no, code = submitted["tracking_no"], submitted["query_code"]
        answer = self.api.get(f"{API}/requests/{no}?code={code}")
        assert answer.status == 200, answer
        return answer.json


@pytest.fixture
def desk(api, staff) -> Desk:
    return Desk(api, staff)


# ---- orders in a known state (START: Monday 10:00) -----------------------------

@pytest.fixture
def dispatched(desk) -> str:
    """A sanitation complaint in 龙山区, auto-dispatched to lsq-cg (version 2)."""
    return desk.submit("sanitation", "220402")["tracking_no"]


@pytest.fixture
def in_progress(desk, dispatched) -> str:
    desk.done(dispatched, HANDLER_CG, "sign")
    return dispatched


@pytest.fixture
def waiting(desk) -> str:
    """An order no rule routes: it waits in the dispatcher's queue (version 1)."""
    return desk.submit()["tracking_no"]
