"""A named request's phone: it must take an SMS, and it is stored in E.164."""
from __future__ import annotations

import pytest

from chalicelib.adapters.crypto import get_cipher
from tests.api.resident_helpers import NAME, REQUESTS, assert_error, body, raw_order, submit


@pytest.mark.parametrize("phone", ["139 0437 1234", "+86 139-0437-1234", "008613904371234", "１３９０４３７１２３４"])
def test_a_mobile_however_written_is_stored_in_e164(api, clock, phone):
    named = submit(api, contact={"name": NAME, "phone": phone})

    sealed = raw_order(named["tracking_no"])["contact"]["B"]
    assert get_cipher().open(sealed, named["tracking_no"])["phone"] == "+8613904371234"


@pytest.mark.parametrize("phone", ["0437-3211234", "04373211234", "+864373211234", "12345678901"])
def test_a_number_that_cannot_take_an_sms_is_refused(api, clock, phone):
    answer = api.post(REQUESTS, body(contact={"name": NAME, "phone": phone}))

    error = assert_error(answer, 422, "validation_failed", "contact.phone")
    assert "手机号码" in error["fields"]["contact.phone"]
