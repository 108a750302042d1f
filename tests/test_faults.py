"""Faults: AWS throttling, refusing or losing things under a request. Each gives a clear
answer or a retry, never a half-written order (tests/services/test_notify.py has the
notification pipeline's own: the queue and the SMS provider failing).

AWS's refusals are injected where every client makes its calls (tests/aws_faults.py),
as the client raises them once the SDK's own retries are spent.
"""
from __future__ import annotations

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from chalicelib.adapters.media import get_media_store
from tests.api.resident_helpers import (
    FRIDAY_DAY,
    IDEMPOTENCY,
    REQUESTS,
    act,
    assert_error,
    body,
    bucket_keys,
    counter,
    grant_upload,
    put_object,
    track,
    upload,
    verified,
)
from tests.aws_faults import cut_off, refuse, writing
from tests.open311.helpers import errors_of

TABLES = ("orders", "events", "outbox", "claims")
KEY = {"Idempotency-Key": "7c9e6679-7425-40de-944b-e07fc1f90ae7"}
STAFF = "/api/v1/staff/requests"
ORDERS = writing("orders")  # the order's transaction, not the rate limits' before it


def stored() -> dict[str, int]:
    """How many items each table that a submission writes holds (the test's own Scans)."""
    dynamodb = boto3.client("dynamodb")
    return {t: dynamodb.scan(TableName=f"suqiu-test-{t}", Select="COUNT")["Count"] for t in TABLES}


NOTHING = dict.fromkeys(TABLES, 0)


def assert_unavailable(answer) -> None:
    assert_error(answer, 503, "service_unavailable")
    assert answer.headers["Retry-After"] == "2"


# ---- DynamoDB throttling ------------------------------------------------------------

THROTTLED_WRITES = {
    "throughput": ("ProvisionedThroughputExceededException", None),
    "throttling": ("ThrottlingException", None),
    # A transaction cancelled because one of its items was throttled: the reasons say so, item by item.
    "cancelled-throttled": ("TransactionCanceledException", ("None", "None", "ThrottlingError", "None")),
    "internal-error": ("InternalServerError", None),  # DynamoDB's own advice: retry
}


@pytest.mark.parametrize("code, reasons", THROTTLED_WRITES.values(), ids=THROTTLED_WRITES.keys())
def test_a_throttled_submission_answers_503_and_writes_nothing(api, clock, monkeypatch, code, reasons):
    named = verified(api, body(media=[upload(api)]))
    refuse(monkeypatch, "TransactWriteItems", code, reasons=reasons, where=ORDERS)

    assert_unavailable(api.post(REQUESTS, named))

    assert stored() == NOTHING
    assert bucket_keys("media/") == []  # the copy was taken back
    assert len(bucket_keys("uploads/")) == 1  # the upload waits for the retry
    retry = api.post(REQUESTS, named)  # the same body: its SMS code was not used up
    assert retry.status == 201, retry
    assert len(bucket_keys("media/")) == 1


def test_a_throttled_tracking_number_answers_503_before_anything_is_copied(api, clock, monkeypatch):
    anonymous = body(anonymous=True, drop=("contact",), media=[upload(api)])
    refuse(monkeypatch, "UpdateItem", "ProvisionedThroughputExceededException")

    assert_unavailable(api.post(REQUESTS, anonymous))

    assert stored() == NOTHING
    assert counter(FRIDAY_DAY) is None
    assert bucket_keys("media/") == []


def test_a_throttled_idempotency_record_answers_503_and_the_key_stays_usable(api, clock, monkeypatch):
    named = verified(api, body())
    refuse(monkeypatch, "PutItem", "ProvisionedThroughputExceededException")  # Powertools' in-progress record

    assert_unavailable(api.post(REQUESTS, named, KEY))

    assert stored() == NOTHING
    first = api.post(REQUESTS, named, KEY)
    assert first.status == 201, first
    assert api.post(REQUESTS, named, KEY).json == first.json


@pytest.mark.parametrize("named", [True, False], ids=["named", "anonymous"])
@pytest.mark.parametrize("media", [0, 2], ids=["no-media", "with-media"])
def test_a_keyed_submission_stored_but_not_marked_done_is_answered_from_its_order(
    api, clock, monkeypatch, named, media
):
    """The order is stored, then DynamoDB refuses Powertools' mark that the key is done (a Lambda
    timing out there leaves the same): the key is in progress until the invocation's time is up,
    then a retry is answered from the stored order, not made into a second one (nor refused for
    its SMS code, used by the first, or for its uploads, attached by the first)."""
    photos = [upload(api) for _ in range(media)]
    named = verified(api, body(media=photos)) if named else body(anonymous=True, drop=("contact",), media=photos)
    refuse(monkeypatch, "UpdateItem", "ThrottlingException", where=lambda params: params["TableName"] == IDEMPOTENCY)

    assert_unavailable(api.post(REQUESTS, named, KEY))
    assert stored()["orders"] == 1
    assert_error(api.post(REQUESTS, named, KEY), 409, "in_progress")

    clock.tick(60)  # past the first invocation's time (30 s): its in-progress mark has expired
    retry = api.post(REQUESTS, named, KEY)

    assert retry.status == 201, retry
    assert retry.json["tracking_no"] == f"LY{FRIDAY_DAY}0001"
    assert stored()["orders"] == 1
    assert track(api, retry.json["tracking_no"], retry.json["query_code"]).status == 200  # its own code
    assert api.post(REQUESTS, named, KEY).json == retry.json


def test_a_throttled_staff_action_answers_503_and_changes_nothing(api, staff, clock, monkeypatch):
    no = api.post(REQUESTS, body(anonymous=True, drop=("contact",))).json["tracking_no"]
    headers = staff("handler", "lsq-cg")
    version = api.get(f"{STAFF}/{no}", headers).json["version"]
    refuse(monkeypatch, "TransactWriteItems", "ThrottlingException")

    assert_unavailable(api.post(f"{STAFF}/{no}/actions", {"action": "sign", "version": version}, headers))

    assert api.get(f"{STAFF}/{no}", headers).json["version"] == version
    assert act(api, staff, no, "sign")["state"] == "in_progress"  # the retry goes through


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_throttled_open311_read_answers_503_in_its_own_format(api, clock, monkeypatch, fmt):
    no = api.post(REQUESTS, body(anonymous=True, drop=("contact",))).json["tracking_no"]
    refuse(monkeypatch, "GetItem", "ProvisionedThroughputExceededException")

    answer = api.get(f"/open311/v2/requests/{no}.{fmt}")

    assert errors_of(answer, fmt, 503) == ["服务繁忙，请稍后重试"]
    assert answer.headers["Retry-After"] == "2"


@pytest.mark.parametrize(
    "error",
    [EndpointConnectionError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com"),
     ReadTimeoutError(endpoint_url="https://dynamodb.us-east-1.amazonaws.com")],
    ids=["no-connection", "read-timeout"],
)
def test_dynamodb_out_of_reach_answers_503(api, staff, clock, monkeypatch, error):
    no = api.post(REQUESTS, body(anonymous=True, drop=("contact",))).json["tracking_no"]
    cut_off(monkeypatch, "Query", error)  # the order's trail

    assert_unavailable(api.get(f"{STAFF}/{no}", staff("handler", "lsq-cg")))


def test_an_aws_error_no_retry_can_help_stays_a_500(api, clock, monkeypatch):
    refuse(monkeypatch, "TransactWriteItems", "ValidationException", where=ORDERS)  # a bug of ours, not a passing state

    assert_error(api.post(REQUESTS, body(anonymous=True, drop=("contact",))), 500, "internal")
    assert stored() == NOTHING


# ---- conditional failures -------------------------------------------------------------

def test_a_submission_whose_tracking_number_is_taken_answers_409_and_can_be_retried(api, clock, monkeypatch):
    """Its tracking number already stored (a counter restored from a backup): nothing is written,
    and the same submission again is stored under a number of its own."""
    anonymous = body(anonymous=True, drop=("contact",), media=[upload(api)])
    reasons = ("ConditionalCheckFailed", "None", "None", "None")
    refuse(monkeypatch, "TransactWriteItems", "TransactionCanceledException", reasons=reasons, where=ORDERS)

    answer = api.post(REQUESTS, anonymous, KEY)

    assert_error(answer, 409, "conflict")
    assert answer.headers["Retry-After"] == "1"
    assert stored() == NOTHING and bucket_keys("media/") == []
    retry = api.post(REQUESTS, anonymous, KEY)
    assert retry.status == 201, retry
    assert retry.json["tracking_no"] == f"LY{FRIDAY_DAY}0002"  # a number of its own


def test_a_submission_meeting_another_transaction_is_tried_again_at_once(api, clock, monkeypatch):
    """Another transaction on one of its items at that moment (the day's counters are shared): nothing
    failed but the timing, so the same transaction is sent again and the resident never sees it."""
    anonymous = body(anonymous=True, drop=("contact",), media=[upload(api)])
    refuse(
        monkeypatch, "TransactWriteItems", "TransactionCanceledException", reasons=("TransactionConflict",) * 4,
        where=ORDERS,
    )

    answer = api.post(REQUESTS, anonymous, KEY)

    assert answer.status == 201, answer
    assert answer.json["tracking_no"] == f"LY{FRIDAY_DAY}0001"


# ---- S3: an upload that is gone ---------------------------------------------------------

def test_an_upload_expired_before_the_submission_answers_422(api, clock):
    grant = grant_upload(api)
    put_object(grant, "image/jpeg", 2048)
    get_media_store().delete([grant["fields"]["key"]])  # the unattached-upload expiry came first

    answer = api.post(REQUESTS, verified(api, body(media=[grant["upload_id"]])))

    assert_error(answer, 422, "validation_failed", "media.0")
    assert stored() == NOTHING


def test_an_upload_gone_between_its_check_and_its_copy_answers_422_and_leaves_no_copies(api, clock, monkeypatch):
    first = upload(api)
    [first_key] = bucket_keys("uploads/")
    second = upload(api)
    [second_key] = set(bucket_keys("uploads/")) - {first_key}
    s3 = get_media_store()._s3
    copy_object, copied = s3.copy_object, []

    def copying_as_the_second_expires(**params):
        copied.append(params["CopySource"]["Key"])
        s3.delete_object(Bucket=params["Bucket"], Key=second_key)  # the unattached-upload expiry, just now
        return copy_object(**params)

    monkeypatch.setattr(s3, "copy_object", copying_as_the_second_expires)

    answer = api.post(REQUESTS, verified(api, body(media=[first, second])))

    assert_error(answer, 422, "validation_failed", "media.1")
    assert copied == [first_key, second_key]  # S3 copied the first and found no second
    assert stored() == NOTHING
    assert bucket_keys("media/") == []


def test_a_throttled_s3_answers_503(api, clock, monkeypatch):
    photo = upload(api)
    refuse(monkeypatch, "GetObject", "SlowDown")

    assert_unavailable(api.post(REQUESTS, verified(api, body(media=[photo]))))
    assert stored() == NOTHING
