"""AWS refusing a call for the moment leaves storage and the adapters as the domain's Unavailable
(storage/errors.py, adapters/aws.py): no caller above them reads botocore's or pynamodb's errors."""
from __future__ import annotations

import datetime as dt

import pytest
from botocore.exceptions import EndpointConnectionError

from chalicelib import storage
from chalicelib.adapters.media import get_media_store
from chalicelib.domain.errors import Unavailable
from chalicelib.storage.quotas import Quota, take_quotas
from tests.aws_faults import cut_off, refuse

LATER = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)


def test_a_throttled_dynamodb_read_leaves_storage_as_unavailable(aws, monkeypatch):
    refuse(monkeypatch, "GetItem", "ProvisionedThroughputExceededException")

    with pytest.raises(Unavailable) as raised:
        storage.get_api_key("fixmystreet", "0123456789ab")
    assert raised.value.retry_after == 2


def test_dynamodb_out_of_reach_leaves_storage_as_unavailable(aws, monkeypatch):
    cut_off(monkeypatch, "Query", EndpointConnectionError(endpoint_url="https://dynamodb.invalid"))

    with pytest.raises(Unavailable):
        storage.api_keys_of("fixmystreet")


def test_an_error_no_retry_can_help_is_left_as_it_is(aws, monkeypatch):
    refuse(monkeypatch, "GetItem", "ValidationException")

    with pytest.raises(Exception) as raised:
        storage.get_api_key("fixmystreet", "0123456789ab")
    assert not isinstance(raised.value, Unavailable)


def test_a_cancelled_transaction_with_a_failed_condition_is_left_to_its_storage_module(aws, monkeypatch):
    # One window full, another's item throttled: the full window is the answer (a retry would not cure it).
    refuse(monkeypatch, "TransactWriteItems", "TransactionCanceledException",
           reasons=("ConditionalCheckFailed", "ThrottlingError"))
    quotas = [Quota("test#a", 1, LATER), Quota("test#b", 1, LATER)]

    assert take_quotas(quotas) == quotas[:1]


def test_a_throttled_s3_leaves_the_media_adapter_as_unavailable(aws, monkeypatch):
    refuse(monkeypatch, "GetObject", "SlowDown")

    with pytest.raises(Unavailable):
        get_media_store().inspect("uploads/whatever", 32)
