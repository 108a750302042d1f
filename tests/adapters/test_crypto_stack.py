"""Every sealed field through the app's own paths, under each suite; a stack whose suite changed refuses.

The fields: an order's contact, a claim's sealed query code (a keyed submission's and a partner's
external_id), an idempotency record's sealed answer, an outbox payload (and the SMS it becomes).
"""
from __future__ import annotations

from chalicelib.storage import sealed as sealed_fields
from tests.api.resident_helpers import PHONE, REQUESTS, body, verified
from tests.sealed_stack import SUITE_CODES, Requests, stored_sealed, use_suite
from tests.sms_loop import Loop, texts_to

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
