"""A stack whose crypto suite the test picks, and the sealed values its requests store (tests of the
sealed fields: tests/adapters/test_crypto_stack.py, tests/infra/test_rotate.py)."""
from __future__ import annotations

import boto3

from chalicelib.adapters import crypto
from chalicelib.settings import get_settings
from chalicelib.storage import sealed as sealed_fields
from tests.api.resident_helpers import IDEMPOTENCY, NAME, REQUESTS, body, staff_view, verified
from tests.open311.helpers import issue_key

KEY = {"Idempotency-Key": "5b1f0c7e-2d9a-4e3b-8c6f-0a1b2c3d4e5f"}
SUITE_CODES = {"aes": ord("A"), "gm": ord("G")}


def use_suite(monkeypatch, name: str) -> None:
    """The app configured with ``name``, as a stack's CRYPTO_SUITE configures it."""
    monkeypatch.setenv("CRYPTO_SUITE", name)
    get_settings.cache_clear()
    crypto.forget_cipher()


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
