"""The stack's CryptoSuite: passed to the functions, never switched on a stack that exists."""
from __future__ import annotations

import json

import pytest
from moto import mock_aws

from chalicelib.adapters.aws import boto3_client
from infra import deploy
from tests.infra.cfn import INFRA, RESOURCES, load


@pytest.fixture
def account(monkeypatch):
    monkeypatch.setitem(deploy.WAIT, "Delay", 0)
    with mock_aws():
        yield


def _stack(stage: str, suite: str | None) -> None:
    """The resource stack as deployed with ``suite`` (None: a stack from before the parameter)."""
    template = load(RESOURCES)
    parameters = [{"ParameterKey": "StageName", "ParameterValue": stage}]
    if suite is not None:
        template["Parameters"]["CryptoSuite"] = load(INFRA / "functions.yaml")["Parameters"]["CryptoSuite"]
        parameters.append({"ParameterKey": "CryptoSuite", "ParameterValue": suite})
    boto3_client("cloudformation").create_stack(
        StackName=deploy.stack_name(stage), TemplateBody=json.dumps(template), Parameters=parameters
    )


@pytest.mark.parametrize(("stored", "wanted"), [("gm", "aes"), ("aes", "gm"), (None, "gm")])
def test_a_deploy_does_not_switch_the_suite_of_a_stack(account, capsys, stored, wanted):
    _stack("dev", stored)
    ssm = boto3_client("ssm")

    assert deploy.main(["deploy", "--stage", "dev", "--parameter", f"CryptoSuite={wanted}"]) == 2
    error = capsys.readouterr().err
    assert f"CryptoSuite={stored or 'aes'}" in error and "unreadable" in error
    assert not deploy.parameter_exists(ssm, "/suqiu/dev/field-key")  # refused before anything was made


def test_a_stack_keeps_its_suite_when_none_is_given_and_a_new_one_takes_the_given():
    gm_stack = {"StackStatus": "UPDATE_COMPLETE", "Parameters": [{"ParameterKey": "CryptoSuite", "ParameterValue": "gm"}]}
    failed_first = {"StackStatus": "ROLLBACK_COMPLETE", "Parameters": [{"ParameterKey": "CryptoSuite", "ParameterValue": "aes"}]}

    assert deploy.crypto_suite({}, gm_stack, "suqiu-dev") == "gm"
    assert deploy.crypto_suite({"CryptoSuite": "gm"}, gm_stack, "suqiu-dev") == "gm"
    assert deploy.crypto_suite({}, {"StackStatus": "UPDATE_COMPLETE", "Parameters": []}, "suqiu-dev") == "aes"
    assert deploy.crypto_suite({"CryptoSuite": "gm"}, None, "suqiu-dev") == "gm"
    assert deploy.crypto_suite({}, None, "suqiu-dev") == "aes"
    # A first creation that failed is deleted and made anew: nothing was stored under its suite.
    assert deploy.crypto_suite({"CryptoSuite": "gm"}, failed_first, "suqiu-dev") == "gm"


def test_the_functions_get_the_suite_from_the_parameter(packaged):
    _, template = packaged

    assert template["Parameters"]["CryptoSuite"]["AllowedValues"] == ["aes", "gm"]
    assert template["Parameters"]["CryptoSuite"]["Default"] == "aes"
    assert template["Globals"]["Function"]["Environment"]["Variables"]["CRYPTO_SUITE"] == {"Ref": "CryptoSuite"}
