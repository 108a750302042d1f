"""Every sealed field through the app's own paths, under each suite; a stack whose suite changed refuses.

The fields: an order's contact, a claim's sealed query code (a keyed submission's and a partner's
external_id), an idempotency record's sealed answer, an outbox payload (and the SMS it becomes).
"""
from __future__ import annotations

import boto3
import pytest

from chalicelib.storage import sealed as sealed_fields
from chalicelib.adapters import crypto
from chalicelib.settings import get_settings
from tests.api.resident_helpers import IDEMPOTENCY, NAME, PHONE, REQUESTS, body, clock, staff_view, verified  # noqa: F401
from tests.open311.helpers import issue_key
from tests.services.test_notify import Loop, texts_to

KEY = {"Idempotency-Key": "5b1f0c7e-2d9a-4e3b-8c6f-0a1b2c3d4e5f"}
SUITE_CODES = {"aes": ord("A"), "gm": ord("G")}


def use_suite(monkeypatch, name: str) -> None:
    """The app configured with ``name``, as a stack's CRYPTO_SUITE configures it."""
    monkeypatch.setenv("CRYPTO_SUITE", name)
    get_settings.cache_clear()
    crypto.forget_cipher()


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


def stored_sealed() -> dict[str, list[bytes]]:
    """Every sealed value stored now, by field (the rotation's reading of them)."""
    return {field: [s.value for s in sealed_fields.sealed_values(field)] for field in sealed_fields.SEALED_FIELDS}


class Requests:
    """A keyed named submission and a partner's with an external_id, and what each answered."""

    def __init__(self, api, staff):
        self.api = api
        self.payload = verified(api, body())
        self.keyed = api.post(REQUESTS, self.payload, KEY).json
        self.partner_key = issue_key(api, staff, "hotline")["api_key"]
        self.partner_body = body(external_id="HL-20261120-0001", contact={"name": "赵立军", "phone": "13904375678"})
        self.partner = self.submit_partner(201)

    def submit_partner(self, status: int) -> dict:
        answer = self.api.post(REQUESTS, self.partner_body, {"X-Api-Key": self.partner_key})
        assert answer.status == status, answer
        return answer.json

    def check_readable(self, staff) -> None:
        """Each sealed value opens where the app opens it."""
        assert staff_view(self.api, staff, self.keyed["tracking_no"])["contact"]["name"] == NAME
        assert staff_view(self.api, staff, self.partner["tracking_no"])["contact"]["name"] == "赵立军"
        again = self.api.post(REQUESTS, self.payload, KEY)  # answered from the idempotency record
        assert again.status == 201 and again.json == self.keyed, again
        assert self.submit_partner(200)["query_code"] == self.partner["query_code"]  # from the claim
        boto3.client("dynamodb").delete_item(TableName=IDEMPOTENCY, Key={"id": _record_id()})
        lost = self.api.post(REQUESTS, self.payload, KEY)  # its record lost: answered from the order's claim
        assert lost.status == 201 and lost.json["query_code"] == self.keyed["query_code"], lost


def _record_id() -> dict:
    items = boto3.client("dynamodb").scan(TableName=IDEMPOTENCY)["Items"]
    (submission,) = [item["id"] for item in items if "sealed" in item.get("data", {}).get("S", "")]
    return submission


def test_every_sealed_field_round_trips_under_the_configured_suite(api, staff, clock, suite):
    requests = Requests(api, staff)
    loop = Loop()
    loop.stream.drain()
    sealed = stored_sealed()

    assert {field: len(values) >= 1 for field, values in sealed.items()} == dict.fromkeys(sealed_fields.SEALED_FIELDS, True)
    assert {value[:2] for values in sealed.values() for value in values} == {bytes((0xA5, SUITE_CODES[suite]))}
    requests.check_readable(staff)
    loop.run()
    assert any(requests.keyed["tracking_no"] in text for text in texts_to("+86" + PHONE))  # the payload opened


def test_a_stack_whose_suite_was_switched_refuses_its_stored_contacts(api, staff, clock, settings_changed, caplog):
    use_suite(settings_changed, "aes")
    receipt = api.post(REQUESTS, verified(api, body())).json
    use_suite(settings_changed, "gm")

    answer = api.get(f"/api/v1/staff/requests/{receipt['tracking_no']}", staff("dispatcher"))

    assert answer.status == 500 and answer.json["error"]["code"] == "internal"
    assert "sealed with the aes suite, but this stack is configured for gm" in caplog.text
