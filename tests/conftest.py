"""Test set-up: moto for AWS, a key pair of the tests' own for staff tokens (tests/token_issuer.py).

Powertools, pynamodb and the settings read the environment when imported, so
it is set here, at the top, before anything imports ``app`` or ``chalicelib``.
"""
from __future__ import annotations

import json
import os
import re
import threading

from infra.testenv import TEST_ENV, from_address, source_addresses

os.environ.update(TEST_ENV)
os.environ.pop("AWS_ENDPOINT_URL", None)

from tests.token_issuer import TokenIssuer  # noqa: E402

ISSUER = TokenIssuer(audience=TEST_ENV["AUTH_AUDIENCE"])
os.environ["AUTH_ISSUER"] = ISSUER.issuer

# Modules that define pydantic models with date or datetime fields are imported here, at
# start-up: pydantic resolves field types at import, and a first import under freezegun would
# capture its FakeDate/FakeDatetime for the whole session (the app imports them lazily).
import aws_lambda_powertools.utilities.batch  # noqa: E402,F401
import chalicelib.city  # noqa: E402
import chalicelib.commands.queries  # noqa: E402,F401
from tests.openapi_conformance import conformance  # noqa: E402

# The city's models build on first use (defer_build): build them now, before any test freezes time.
chalicelib.city.City.model_rebuild()
# So do the answers' models, when the OpenAPI document is made: make it now too.
conformance()
import pytest  # noqa: E402
from botocore.client import BaseClient  # noqa: E402
from chalice.test import Client  # noqa: E402
from moto import mock_aws  # noqa: E402

from app import app  # noqa: E402
from chalicelib.adapters import crypto  # noqa: E402
from chalicelib.api import http  # noqa: E402
from chalicelib.settings import get_settings  # noqa: E402
from infra.local import create_local_resources  # noqa: E402
from freezegun import freeze_time  # noqa: E402

from tests import personal  # noqa: E402
from tests.api.resident_helpers import FRIDAY_10AM  # noqa: E402
from tests.sealed_stack import use_suite  # noqa: E402


# Every log line of the run is kept, and what the app holds as personal noted (tests/personal.py).
# Installed before intake is first run: app.py loads it lazily, and it takes new_query_code by name.
personal.watch_logs()


@pytest.fixture(scope="session", autouse=True)
def nothing_personal_in_the_logs():
    """When the run ends, no log line it caused may hold a phone, an ID number, a name or a query code."""
    yield
    assert personal.in_logs() == {}


@pytest.fixture
def aws():
    """A fresh moto account with the tables, the notify queue and the media bucket."""
    with mock_aws():
        create_local_resources()
        yield


class Api:
    """chalice.test's HTTP client, speaking JSON, and the AWS operations the app makes while serving.

    Only calls made during a request count, so a test's own set-up and checks (a scan of a
    table to look at it) are not the app's.
    """

    def __init__(self, http):
        self.http = http
        self.operations: list[str] = []
        self.validated: list = []  # the models the handler validated the last call's input with
        self._call = threading.local()  # what the handler gave http.respond: per thread, the racing tests share a client
        self._serving = False

    def get(self, path: str, headers: dict | None = None, ip: str | None = None):
        return self._serve("GET", path, headers=from_address(ip, headers))

    def post(self, path: str, body, headers: dict | None = None, ip: str | None = None):
        raw = body if isinstance(body, (str, bytes)) else json.dumps(body, ensure_ascii=False)
        headers = {"Content-Type": "application/json", **from_address(ip, headers)}
        return self._serve("POST", path, body=raw, headers=headers)

    def delete(self, path: str, headers: dict | None = None, ip: str | None = None):
        return self._serve("DELETE", path, headers=from_address(ip, headers))

    def _serve(self, method: str, path: str, **kwargs):
        self._serving, self.validated, self._call.answered = True, [], []
        try:
            answer = _Answer(getattr(self.http, method.lower())(path, **kwargs))
        finally:
            self._serving = False
        # Every call of every API test is one the OpenAPI document describes.
        content_type = answer.headers.get("Content-Type")
        conformance().check(method, path, self.validated, answer.status, content_type, answer.text)
        conformance().check_answer(method, path, answer.status, self._call.answered)
        return answer

    def answered(self, answer) -> None:
        self._call.answered.append(answer)

    def record(self, operation: str) -> None:
        if self._serving:
            self.operations.append(operation)


class _Answer:
    def __init__(self, response):
        self.status = response.status_code
        self.headers = response.headers
        self.text = response.body.decode() if isinstance(response.body, bytes) else response.body
        is_json = "json" in (response.headers.get("Content-Type") or "")  # the pages, CSV and XML are not
        self.json = json.loads(self.text) if self.text and is_json else None

    def __repr__(self) -> str:
        return f"<{self.status} {self.text[:300]}>"


@pytest.fixture
def api(aws, monkeypatch):
    """The app over HTTP; every test that uses it also checks that the app never scanned a table."""
    with source_addresses(), Client(app) as test_client:
        client = Api(test_client.http)
        make_api_call = BaseClient._make_api_call

        def recorded(botocore_client, operation, params):
            client.record(operation)
            return make_api_call(botocore_client, operation, params)

        monkeypatch.setattr(BaseClient, "_make_api_call", recorded)
        validate = http.validate

        def validated(model, data):
            client.validated.append(model)
            return validate(model, data)

        monkeypatch.setattr(http, "validate", validated)
        dump = http.dump

        def dumped(answer):
            client.answered(answer)
            return dump(answer)

        # Its own patch: a test's monkeypatch.undo() must not turn the check of the answers off.
        with pytest.MonkeyPatch.context() as answers:
            answers.setattr(http, "dump", dumped)
            yield client
    assert "Scan" not in client.operations, f"the app scanned a table: {client.operations}"


@pytest.fixture
def app_operations(api) -> list[str]:
    """The AWS operations the app made while serving this test's requests, in order."""
    return api.operations


@pytest.fixture(scope="session")
def issuer() -> TokenIssuer:
    return ISSUER


@pytest.fixture(scope="session")
def staff():
    """staff("handler", "lsq-cg") → headers with a valid bearer token for that account."""

    def headers(role: str, unit: str | None = None) -> dict[str, str]:
        return {"Authorization": f"Bearer {ISSUER.mint(f'test-{role}-{unit or 0}', role, unit)}"}

    return headers


@pytest.fixture
def clock(request):
    """A frozen clock that only moves when told to: at the test module's ``CLOCK_START`` if it names one
    (the staff and Open311 tests: Monday 10:00), else Friday 2026-11-20 10:00 (FRIDAY_10AM)."""
    with freeze_time(getattr(request.module, "CLOCK_START", FRIDAY_10AM)) as frozen:
        yield frozen


@pytest.fixture
def aws_calls(monkeypatch):
    """Every AWS operation the test makes, with its parameters.

    None may be a Scan, and no Query may give BETWEEN its bounds the wrong way
    round: DynamoDB rejects that with a ValidationException, moto answers it.
    """
    calls: list[tuple[str, dict]] = []
    original = BaseClient._make_api_call

    def recording(self, operation_name, api_params):
        calls.append((operation_name, api_params))
        return original(self, operation_name, api_params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
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


@pytest.fixture
def settings_changed(monkeypatch):
    """The test changes the settings: afterwards, the run's own are read again."""
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()
    crypto.forget_cipher()


@pytest.fixture(params=["aes", "gm"])
def suite(request, settings_changed):
    use_suite(settings_changed, request.param)
    return request.param
