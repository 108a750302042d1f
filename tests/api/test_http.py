"""The one error format, as the shared translation gives it."""
from __future__ import annotations

import json

import pytest

from chalicelib.api.http import endpoint
from chalicelib.domain.errors import Conflict
from chalicelib.services.idempotency import StillRunning
from chalicelib.services.verification import RateLimited


@pytest.mark.parametrize(
    ("error", "status", "retry_after"),
    [
        (StillRunning("相同的提交正在处理中，请稍后重试"), 409, "1"),
        (RateLimited("获取验证码过于频繁", 42), 429, "42"),
        (Conflict("工单已被他人修改"), 409, None),
    ],
)
def test_an_error_that_passes_by_itself_says_when_to_retry(error, status, retry_after):
    @endpoint
    def handler():
        raise error

    answer = handler()

    assert answer.status_code == status
    assert json.loads(answer.body)["error"]["code"] == error.code
    assert answer.headers.get("Retry-After") == retry_after
