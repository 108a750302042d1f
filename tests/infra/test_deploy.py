"""The deploy script's guard rails, against moto: prod is not deleted by accident, the key is never replaced."""
from __future__ import annotations

import json

import pytest
from moto import mock_aws

from chalicelib.adapters.aws import boto3_client
from infra import deploy
from tests.infra.cfn import RESOURCES, load


@pytest.fixture
def account(monkeypatch):
    monkeypatch.setitem(deploy.WAIT, "Delay", 0)  # moto finishes at once
    with mock_aws():
        yield


def _stack(stage: str) -> str:
    """A stack of the resource template named as the deploy script names it; its media bucket."""
    cfn = boto3_client("cloudformation")
    cfn.create_stack(
        StackName=deploy.stack_name(stage),
        TemplateBody=json.dumps(load(RESOURCES)),
        Parameters=[{"ParameterKey": "StageName", "ParameterValue": stage}],
    )
    outputs = cfn.describe_stacks(StackName=deploy.stack_name(stage))["Stacks"][0]["Outputs"]
    return next(o["OutputValue"] for o in outputs if o["OutputKey"] == "MediaBucketName")


def _stacks() -> list[str]:
    return [s["StackName"] for s in boto3_client("cloudformation").describe_stacks()["Stacks"]]


def test_prod_is_not_destroyed_without_its_name_given_again(account, capsys):
    _stack("prod")

    assert deploy.main(["destroy", "--stage", "prod"]) == 2
    assert "CONFIRM=prod" in capsys.readouterr().err
    assert _stacks() == ["suqiu-prod"]


def test_a_stage_is_destroyed_with_its_media_bucket_emptied(account):
    bucket = _stack("dev")
    boto3_client("s3").put_object(Bucket=bucket, Key="media/LY202611210001/1-a", Body=b"x")

    assert deploy.main(["destroy", "--stage", "dev"]) == 0
    assert _stacks() == []
    # CloudFormation cannot delete a bucket that holds anything: it went because it was emptied.
    assert bucket not in [b["Name"] for b in boto3_client("s3").list_buckets()["Buckets"]]


def test_prod_is_destroyed_when_confirmed(account):
    _stack("prod")

    assert deploy.main(["destroy", "--stage", "prod", "--confirm", "prod"]) == 0
    assert _stacks() == []


def test_the_field_key_is_created_once_and_never_replaced(account):
    ssm = boto3_client("ssm")

    assert deploy.ensure_field_key(ssm, "/suqiu/dev/field-key") is True
    first = ssm.get_parameter(Name="/suqiu/dev/field-key", WithDecryption=True)["Parameter"]
    assert first["Type"] == "SecureString" and len(first["Value"]) == 44  # base64 of 32 bytes
    assert deploy.ensure_field_key(ssm, "/suqiu/dev/field-key") is False
    again = ssm.get_parameter(Name="/suqiu/dev/field-key", WithDecryption=True)["Parameter"]
    assert again["Value"] == first["Value"]


def test_a_deploy_does_not_switch_a_stack_to_a_new_field_key(account, capsys):
    _stack("dev")  # encrypts with the template's default, /suqiu/dev/field-key
    ssm = boto3_client("ssm")

    assert deploy.main(["deploy", "--stage", "dev", "--parameter", "FieldKeyParameterName=/suqiu/dev/other"]) == 2
    assert "stored contacts unreadable" in capsys.readouterr().err
    assert not deploy.parameter_exists(ssm, "/suqiu/dev/other")  # no new key was made
