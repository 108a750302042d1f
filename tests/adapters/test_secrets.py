"""Secrets in SSM: read through Powertools, kept for their max age, and SSM's "not now" a 503."""
from __future__ import annotations

import boto3
import pytest

from chalicelib.adapters.secrets import forget_secrets, secret
from chalicelib.domain.errors import Unavailable
from tests.aws_faults import refuse

NAME = "/suqiu/test/a-secret"


@pytest.fixture
def parameter(aws):
    boto3.client("ssm").put_parameter(Name=NAME, Value="first", Type="SecureString")
    forget_secrets()
    yield
    forget_secrets()


def test_a_secret_is_kept_for_its_max_age_and_read_again_when_fresh_is_asked(parameter):
    assert secret(NAME, max_age=300) == "first"
    boto3.client("ssm").put_parameter(Name=NAME, Value="second", Type="SecureString", Overwrite=True)

    assert secret(NAME, max_age=300) == "first"
    assert secret(NAME, max_age=300, fresh=True) == "second"


@pytest.mark.parametrize("code", ["ThrottlingException", "InternalServerError"])
def test_ssm_refusing_for_now_is_unavailable_not_a_failure(parameter, monkeypatch, code):
    refuse(monkeypatch, "GetParameter", code, times=None)

    with pytest.raises(Unavailable):
        secret(NAME, max_age=0, fresh=True)
