"""make rotate-key on moto: every stored sealed value re-sealed under a new key, in both suites.

The app reads its key ring from SSM here, as in the cloud; a container started after the
rotation (``forget_cipher``) has only the ring the rotation left.
"""
from __future__ import annotations

import base64
import datetime as dt

import boto3
import pytest

from chalicelib import storage
from chalicelib.storage import sealed as sealed_fields
from chalicelib.storage.models import OrderModel
from chalicelib.adapters import crypto
from chalicelib.adapters.crypto import FieldCipher, KeyRing, UnknownKey, suite_named
from chalicelib.settings import get_settings
from infra import rotate
from infra.testenv import TEST_ENV
from tests.sealed_stack import Requests, stored_sealed
from tests.api.resident_helpers import REQUESTS, body, verified
from tests.sms_loop import Loop

PARAMETER = "/suqiu/test/field-key"
QUEUES = [get_settings().notify_queue, f"{get_settings().notify_queue}-dlq"]


@pytest.fixture
def ring_in_ssm(api, settings_changed, suite):
    """The test key as deploy.py leaves it (a bare key: a stack never rotated), read by the app from SSM."""
    boto3.client("ssm").put_parameter(Name=PARAMETER, Value=TEST_ENV["FIELD_KEY"], Type="SecureString")
    settings_changed.setenv("FIELD_KEY_PARAMETER", PARAMETER)
    get_settings.cache_clear()
    crypto.forget_cipher()
    return suite


class Waits:
    """rotate's sleep: the frozen clock moves on instead, and each wait is kept."""

    def __init__(self, clock):
        self.clock, self.seconds = clock, []

    def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        self.clock.tick(seconds)


def _rotate(suite: str, clock, **options) -> tuple[KeyRing, Waits]:
    waits = Waits(clock)
    ring = rotate.rotate(
        boto3.client("ssm"), boto3.client("sqs"), PARAMETER, suite, QUEUES, sleep=waits,
        now=lambda: dt.datetime.now(dt.timezone.utc), **options,
    )
    return ring, waits


def _ring() -> KeyRing:
    return KeyRing.parse(boto3.client("ssm").get_parameter(Name=PARAMETER, WithDecryption=True)["Parameter"]["Value"])


def test_rotation_reseals_every_field_and_retires_the_old_key(api, staff, clock, ring_in_ssm):
    requests = Requests(api, staff)
    loop = Loop()
    loop.run()  # every text sent: nothing waits in the queue
    root = base64.b64decode(TEST_ENV["FIELD_KEY"])
    phone_hash_before = crypto.get_cipher().keyed_hash("phone", "+8613904371234")

    ring, waits = _rotate(ring_in_ssm, clock)

    assert ring.current == 1 and set(ring.keys) == {1} and ring.root == root  # the old sealing key is gone
    assert _ring().dump() == ring.dump()
    # For every container to read the new ring; then a second pass, which finds nothing left.
    assert waits.seconds == [rotate.SETTLE_SECONDS, rotate.SETTLE_SECONDS]
    sealed = stored_sealed()
    assert all(value[2] == 1 for values in sealed.values() for value in values) and all(sealed.values())
    crypto.forget_cipher()  # a container started now reads the new ring: without key 0
    assert 0 not in crypto.get_cipher().ring.keys
    requests.check_readable(staff)
    assert crypto.get_cipher().keyed_hash("phone", "+8613904371234") == phone_hash_before  # hashes still match
    fresh = api.post(REQUESTS, verified(api, body(description="路灯坏了一个星期了，晚上很黑"))).json
    assert storage.get_order(fresh["tracking_no"]).report.contact[2] == 1  # new seals use the new key


def test_the_old_key_stays_while_messages_sealed_under_it_wait_in_the_queue(api, staff, clock, ring_in_ssm):
    Requests(api, staff)
    loop = Loop()
    loop.stream.drain()  # relayed to the queue, not delivered yet: the bodies hold sealed payloads

    ring, _ = _rotate(ring_in_ssm, clock)

    assert set(ring.keys) == {0, 1} and ring.current == 1 and _ring().dump() == ring.dump()
    crypto.forget_cipher()
    loop.run()  # the queued messages still open, under the old key
    assert rotate.messages_waiting(boto3.client("sqs"), QUEUES) == 0

    resumed, waits = _rotate(ring_in_ssm, clock)  # run again: it resumes, no second new key

    assert set(resumed.keys) == {1} and resumed.current == 1
    assert waits.seconds == []  # the ring was written longer ago than the settling time; nothing left to re-seal
    crypto.forget_cipher()
    with pytest.raises(UnknownKey):
        FieldCipher(_ring(), suite_named(ring_in_ssm)).open(
            FieldCipher(KeyRing(base64.b64decode(TEST_ENV["FIELD_KEY"])), suite_named(ring_in_ssm)).seal({}, "x"), "x"
        )


def _when_its_contact_is_resealed(api, staff, monkeypatch, meddle, before: bool) -> str:
    """A stored keyed order whose contact, the first time the pass re-seals it, is saved again by
    ``meddle(item, sealed)``: ``before`` the pass writes it, or after. Its tracking number."""
    tracking_no = Requests(api, staff).keyed["tracking_no"]
    Loop().run()
    replace, meddled = sealed_fields.replace_sealed, []

    def meddling(sealed, value):
        ours = sealed.field == "orders" and sealed.key == tracking_no and not meddled
        if ours and before:
            meddled.append(meddle(OrderModel.get(tracking_no), sealed))
        done = replace(sealed, value)
        if ours and not before:
            meddled.append(meddle(OrderModel.get(tracking_no), sealed))
        return done

    monkeypatch.setattr(sealed_fields, "replace_sealed", meddling)
    return tracking_no


def test_a_value_changed_during_the_pass_is_not_overwritten_and_is_passed_again(api, staff, clock, ring_in_ssm, monkeypatch):
    changed = []

    def change(item, sealed):
        """A request saves the order first, with a contact sealed under the old key."""
        old = FieldCipher(KeyRing(base64.b64decode(TEST_ENV["FIELD_KEY"])), suite_named(ring_in_ssm))
        item.contact = old.seal({"name": "改过", "phone": "+8613904379999"}, item.tracking_no)
        item.save()
        changed.append(item.contact)

    tracking_no = _when_its_contact_is_resealed(api, staff, monkeypatch, change, before=True)
    ring, waits = _rotate(ring_in_ssm, clock)

    assert waits.seconds == [rotate.SETTLE_SECONDS] * 3  # the ring; a pass for the changed value; a last one
    stored = OrderModel.get(tracking_no).contact
    assert stored != changed[0] and stored[2] == 1  # the change was not overwritten, then it was re-sealed
    assert FieldCipher(ring, suite_named(ring_in_ssm)).open(stored, tracking_no)["name"] == "改过"


def test_rotation_cut_short_resumes_and_reseals_what_is_left(api, staff, clock, ring_in_ssm, monkeypatch):
    Requests(api, staff)
    Loop().run()
    from chalicelib.services import rekey

    reseal_everything = rekey.reseal_everything
    monkeypatch.setattr(rekey, "reseal_everything", lambda *a: (_ for _ in ()).throw(KeyboardInterrupt))
    with pytest.raises(KeyboardInterrupt):
        _rotate(ring_in_ssm, clock)  # the new key is current; nothing re-sealed yet
    assert set(_ring().keys) == {0, 1}
    monkeypatch.setattr(rekey, "reseal_everything", reseal_everything)

    ring, _ = _rotate(ring_in_ssm, clock)

    assert set(ring.keys) == {1}  # the same new key: a resumed rotation makes none
    assert all(value[2] == 1 for values in stored_sealed().values() for value in values)


def test_a_container_reads_the_ring_again_after_ring_seconds(api, clock, ring_in_ssm):
    before = crypto.get_cipher()
    rotated = KeyRing.parse(TEST_ENV["FIELD_KEY"]).with_new_key(b"n" * 32)
    boto3.client("ssm").put_parameter(Name=PARAMETER, Value=rotated.dump(), Type="SecureString", Overwrite=True)

    clock.tick(crypto.RING_SECONDS - 1)
    assert crypto.get_cipher() is before and before.ring.current == 0
    clock.tick(2)
    assert crypto.get_cipher().ring.current == 1  # it seals under the new key from now on


def test_an_order_saved_whole_with_its_old_contact_after_the_reseal_is_resealed_again(api, staff, clock, ring_in_ssm, monkeypatch):
    def revert(item, sealed):
        """A staff action loaded the order before its re-seal and saves it whole after it: the old contact is back."""
        item.contact = sealed.value
        item.save()

    tracking_no = _when_its_contact_is_resealed(api, staff, monkeypatch, revert, before=False)
    ring, waits = _rotate(ring_in_ssm, clock)

    assert set(ring.keys) == {1} and len(waits.seconds) == 3  # the ring; the pass that found it back; a last one
    stored = OrderModel.get(tracking_no).contact
    assert stored[2] == 1 and FieldCipher(ring, suite_named(ring_in_ssm)).open(stored, tracking_no)["name"] == "王秀英"
