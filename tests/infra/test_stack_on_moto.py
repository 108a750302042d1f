"""moto's CloudFormation creates the resource stack from infra/resources.yaml, and the app runs on it.

The stack is made twice, each time in a fresh moto account: with every parameter at
its default (it must create), and with the external identity provider (moto's
CloudFormation has no Cognito; the session's local issuer plays the provider) for a
smoke run of the app. The smoke run happens in a process of its own
(tests/infra/stack_smoke.py): the app reads its resource names at import, and here
they are the stack's, given by infra/functions.yaml's environment.

moto's CloudFormation applies a bucket's encryption but not its public access block,
lifecycle, CORS or ownership, nor a table's TTL or point-in-time recovery: those are
checked on the template (and the tables' in test_template_matches_models.py).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.infra.cfn import RESOURCES, ROOT, load, render, resources_of_type
from tests.infra.tables import expected_tables

# Types moto's CloudFormation cannot make, which it skips (the real service makes them).
MOTO_LACKS = {"AWS::Cognito::UserPool", "AWS::Cognito::UserPoolClient", "AWS::Cognito::UserPoolGroup",
              "AWS::CloudWatch::Alarm", "AWS::S3::BucketPolicy", "AWS::SNS::Subscription"}
# Stack outputs an operator reads, and the function setting each must equal.
OUTPUT_OF = {"TablePrefix": "TABLE_PREFIX", "MediaBucketName": "MEDIA_BUCKET", "NotifyQueueName": "NOTIFY_QUEUE",
             "ImportsQueueName": "IMPORTS_QUEUE",
             "OutboxStreamArn": "OUTBOX_STREAM_ARN", "FieldKeyParameter": "FIELD_KEY_PARAMETER",
             "AuthIssuer": "AUTH_ISSUER", "AuthAudience": "AUTH_AUDIENCE"}


@pytest.fixture(scope="module")
def report(staff, tmp_path_factory) -> dict:
    path = tmp_path_factory.mktemp("smoke") / "report.json"
    env = {**os.environ, "SMOKE_DISPATCHER": staff("dispatcher")["Authorization"], "SMOKE_REPORT": str(path)}
    done = subprocess.run(
        [sys.executable, "-m", "tests.infra.stack_smoke"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, f"the smoke run failed:\n{done.stderr[-6000:]}"
    return json.loads(path.read_text(encoding="utf-8"))


def _tables(stack: dict) -> set[str]:
    return {r["id"] for r in stack["resources"].values() if r["type"] == "AWS::DynamoDB::Table"}


@pytest.mark.parametrize("run", ["defaults", "external"])
def test_the_stack_is_created(report, run):
    stack = report[run]["stack"]
    assert stack["status"] == "CREATE_COMPLETE"
    assert set(stack["skipped_by_moto"]) <= MOTO_LACKS, "moto skipped a type it should make"


def test_the_stack_makes_every_table_the_app_uses(report):
    stack = report["external"]["stack"]
    prefix = report["external"]["environment"]["TABLE_PREFIX"]
    assert _tables(stack) == {f"{prefix}-{suffix}" for suffix in expected_tables()}
    # Only the stack made tables: none existed besides its own, and the app made none.
    assert set(report["external"]["tables_before_app"]) == _tables(stack)
    assert report["external"]["tables_after_app"] == report["external"]["tables_before_app"]


def test_the_app_is_pointed_at_the_stacks_resources(report):
    stack, env = report["external"]["stack"], report["external"]["environment"]
    physical = {r["id"] for r in stack["resources"].values()}
    assert env["MEDIA_BUCKET"] in physical
    assert any(r["id"].endswith(f"/{env['NOTIFY_QUEUE']}") for r in stack["resources"].values()
               if r["type"] == "AWS::SQS::Queue")
    assert env["OUTBOX_STREAM_ARN"] == report["external"]["smoke"]["stream_arn"]
    assert env["AUTH_ISSUER"] == os.environ["AUTH_ISSUER"]


def test_the_outputs_say_what_the_functions_are_given(report):
    outputs, env = report["external"]["stack"]["outputs"], report["external"]["environment"]
    assert {name: outputs.get(name) for name in OUTPUT_OF} == {name: env[var] for name, var in OUTPUT_OF.items()}


def test_a_request_goes_through_the_stack(report):
    smoke = report["external"]["smoke"]
    number = smoke["tracking_no"]
    assert smoke["steps"] == {"upload": 201, "submit": 201, "detail": 200, "dispatch": [200, "dispatched"]}
    assert smoke["events"] == 2  # submit, dispatch
    assert smoke["idempotency_records"] == 1
    message = {"tracking_no": number, "template": "staff_new_order", "audience": "unit:cgj"}
    assert smoke["outbox"] == [message]
    assert (smoke["relayed"], smoke["queued"]) == (1, [message])
    (photo,) = smoke["media"]
    assert photo.startswith(f"media/{number}/")


def test_the_media_bucket_is_encrypted(report):
    (rule,) = report["external"]["smoke"]["bucket_encryption"]["Rules"]
    assert rule["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "AES256"


@pytest.fixture(scope="module")
def bucket() -> dict:
    (properties,) = [b.get("Properties", {}) for b in resources_of_type(load(RESOURCES), "AWS::S3::Bucket").values()]
    return properties


def test_the_media_bucket_is_private(bucket):
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True,
    }
    assert bucket["OwnershipControls"] == {"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}


def test_unattached_uploads_expire_after_a_day(bucket):
    rules = bucket["LifecycleConfiguration"]["Rules"]
    expiring = [
        r for r in rules
        if r.get("Status") == "Enabled"
        and (r.get("Prefix") or r.get("Filter", {}).get("Prefix")) == "uploads/"
        and r.get("ExpirationInDays") == 1
    ]
    assert len(expiring) == 1, rules


def test_browsers_may_post_uploads_from_the_allowed_origins(bucket):
    (rule,) = bucket["CorsConfiguration"]["CorsRules"]
    assert {"POST", "GET"} <= set(rule["AllowedMethods"])
    assert render(rule["AllowedOrigins"]) == ["${AllowedOrigins}"]
