"""The SMS senders: SNS (default), Yunpian (for aws-cn), the dev stack's console."""
from __future__ import annotations

import json
import urllib.parse

import pytest
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns import sns_backends

from chalicelib.adapters import sms
from chalicelib.adapters.aws import boto3_client
from chalicelib.adapters.secrets import forget_secrets
from chalicelib.settings import get_settings

pytestmark = pytest.mark.usefixtures("aws_calls")

TEXT = "【辽源民生诉求】您的验证码是123456，5分钟内有效。"


class FakeYunpian:
    """Records what would be posted and answers like Yunpian."""

    def __init__(self, status: int = 200, answer: bytes = b'{"code": 0, "msg": "OK"}'):
        self.status, self.answer, self.posted = status, answer, []

    def __call__(self, url: str, body: bytes) -> tuple[int, bytes]:
        self.posted.append((url, dict(urllib.parse.parse_qsl(body.decode()))))
        return self.status, self.answer


@pytest.mark.parametrize(
    ("phone", "mobile"), [("+8613904371234", "13904371234"), ("+85291234567", "+85291234567")]
)
def test_yunpian_gets_the_key_the_number_in_its_form_and_the_text(phone, mobile):
    post = FakeYunpian()
    sms.YunpianSender(lambda: "secret-key", post).send(phone, TEXT)

    [(url, form)] = post.posted
    assert url == sms.YunpianSender.URL
    assert form == {"apikey": "secret-key", "mobile": mobile, "text": TEXT}


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (400, json.dumps({"code": 2, "msg": "请求参数格式错误", "detail": "参数 mobile 格式不正确，mobile:13904371234"}).encode()),
        (200, b'{"code": 22, "msg": "1 hour limit"}'),
        (502, b"<html>Bad Gateway</html>"),
    ],
    ids=["refused", "rate-limited", "not-json"],
)
def test_a_yunpian_refusal_raises_without_quoting_the_number(status, answer):
    sender = sms.YunpianSender(lambda: "secret-key", FakeYunpian(status, answer))

    with pytest.raises(sms.SmsRefused) as refused:
        sender.send("+8613904371234", TEXT)
    assert "13904371234" not in str(refused.value) and "secret-key" not in str(refused.value)


def test_sns_sends_a_transactional_sms(aws):
    sms.SnsSender(boto3_client("sns")).send("+8613904371234", TEXT)

    messages = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages
    assert [(number, text) for number, text in messages.values()] == [("+8613904371234", TEXT)]


def test_the_console_sender_prints_one_line(capsys):
    sms.ConsoleSender().send("+8613904371234", TEXT)

    assert capsys.readouterr().out == f"SMS +8613904371234 {TEXT}\n"


@pytest.fixture
def fresh_sender(monkeypatch):
    """The sender made again from the settings, which the test sets (SMS_SENDER…) before it asks."""
    get_settings.cache_clear()
    sms.get_sender.cache_clear()
    yield monkeypatch
    get_settings.cache_clear()
    sms.get_sender.cache_clear()
    forget_secrets()


def test_the_sender_is_chosen_by_setting(fresh_sender):
    fresh_sender.setenv("SMS_SENDER", "console")
    assert isinstance(sms.get_sender(), sms.ConsoleSender)


def test_yunpian_without_its_key_parameter_is_a_configuration_error(fresh_sender):
    fresh_sender.setenv("SMS_SENDER", "yunpian")
    fresh_sender.delenv("SMS_API_KEY_PARAMETER", raising=False)

    with pytest.raises(RuntimeError, match="SMS_API_KEY_PARAMETER"):
        sms.get_sender()


def test_yunpian_reads_its_key_from_ssm_on_the_first_send(aws, fresh_sender):
    boto3_client("ssm").put_parameter(Name="/suqiu/test/yunpian", Value="from-ssm", Type="SecureString")
    fresh_sender.setenv("SMS_SENDER", "yunpian")
    fresh_sender.setenv("SMS_API_KEY_PARAMETER", "/suqiu/test/yunpian")
    post = FakeYunpian()
    fresh_sender.setattr(sms, "_https_post", post)

    sender = sms.get_sender()
    assert isinstance(sender, sms.YunpianSender)
    assert post.posted == []  # nothing read or sent until a text goes out
    sender.send("+8613904371234", TEXT)
    assert post.posted[0][1]["apikey"] == "from-ssm"


def test_yunpian_keeps_its_key_for_its_max_age_then_reads_it_again(aws, fresh_sender, clock, aws_calls):  # noqa: F811
    """A key changed at Yunpian reaches a running container, which does not ask SSM on every send."""
    ssm = boto3_client("ssm")
    ssm.put_parameter(Name="/suqiu/test/yunpian", Value="old-key", Type="SecureString")
    fresh_sender.setenv("SMS_SENDER", "yunpian")
    fresh_sender.setenv("SMS_API_KEY_PARAMETER", "/suqiu/test/yunpian")
    post = FakeYunpian()
    fresh_sender.setattr(sms, "_https_post", post)
    sender = sms.get_sender()
    sender.send("+8613904371234", TEXT)
    ssm.put_parameter(Name="/suqiu/test/yunpian", Value="new-key", Type="SecureString", Overwrite=True)

    clock.tick(sms.API_KEY_SECONDS - 1)
    sender.send("+8613904371234", TEXT)
    clock.tick(2)
    sender.send("+8613904371234", TEXT)

    assert [fields["apikey"] for _, fields in post.posted] == ["old-key", "old-key", "new-key"]
    assert [name for name, _ in aws_calls].count("GetParameter") == 2
