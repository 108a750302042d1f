"""Phone verification under concurrency: what DynamoDB's conditional writes guarantee.

Two requests that read the same record before either writes are simulated by
handing the second one the stale record (or by acting between its read and its
write); the limits must hold all the same.
"""
from __future__ import annotations

import pytest

from chalicelib import storage
from chalicelib.domain.errors import InvalidInput
from chalicelib.services import verification
from tests.api.resident_helpers import PHONE, REQUESTS, body, bucket_keys, order_count, request_otp, upload, verified

E164 = "+86" + PHONE


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_tries_stop_at_five_and_the_fifth_wrong_one_burns_the_code(api, clock):
    code = request_otp(api)

    for _ in range(7):  # each try counted before it is compared (the bursts: tests/test_concurrency.py)
        with pytest.raises(InvalidInput):
            verification.offer(E164, wrong(code), "code")

    record = storage.get_otp(verification.phone_hash(E164))
    assert int(record.attempts) == 5
    assert record.code_hash is None  # burnt
    with pytest.raises(InvalidInput):
        verification.offer(E164, code, "code")


def test_of_two_sends_that_read_the_same_record_only_one_stores_a_code(aws):
    key = verification.phone_hash(E164)
    first = storage.OtpRecord(key, code_hash="a", code_expires_at=300, sent=(0,), last_sent=0)
    second = storage.OtpRecord(key, code_hash="b", code_expires_at=360, sent=(60,), last_sent=60)

    assert storage.put_otp(first, previous=None) is True
    assert storage.put_otp(second, previous=None) is False
    assert storage.get_otp(key).code_hash == "a"


def test_a_code_used_between_a_submissions_check_and_its_write_makes_no_order(api, clock, monkeypatch):
    payload = verified(api, body(media=[upload(api)]))
    create_order = storage.create_order

    def used_meanwhile(*args, **kwargs):
        assert storage.use_otp(kwargs["otp"])  # a concurrent submission got there first
        return create_order(*args, **kwargs)

    monkeypatch.setattr(storage, "create_order", used_meanwhile)
    answer = api.post(REQUESTS, payload)

    assert answer.status == 422, answer
    assert answer.json["error"]["fields"] == {"contact.otp": "验证码错误或已失效"}
    assert order_count() == 0
    assert bucket_keys("media/") == []
