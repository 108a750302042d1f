"""Shared helpers for the staff API tests (test_staff_*.py); their fixtures are in the conftest.py files.

A staff test module runs every test on the frozen clock at START and under the AWS-call guard:
``CLOCK_START = START`` and ``pytestmark = pytest.mark.usefixtures("clock", "aws_calls")``.
"""
from __future__ import annotations

from urllib.parse import urlencode


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
