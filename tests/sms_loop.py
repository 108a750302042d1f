"""The SMS loop under moto, as Lambda drives it: the outbox's stream relayed, the notify queue delivered,
and the texts moto's SNS was asked to send (tests/services/test_notify.py and the tests that follow an SMS).
"""
from __future__ import annotations

import boto3
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns import sns_backends

from app import app
from chalicelib import storage
from chalicelib.storage.tables import OutboxModel
from chalicelib.settings import get_settings
from infra.drivers import QueueDriver, StreamDriver

OTP_TEXT = "【辽源民生诉求】您的验证码"  # sent by POST /otp before a named submission, not through the queue


class Loop:
    """The outbox's stream and the notify queue, driven as Lambda drives them."""

    def __init__(self):
        self.stream = StreamDriver(app, storage.table_name("outbox"))
        self.queue = QueueDriver(app, get_settings().notify_queue, visibility_timeout=0)

    def run(self) -> None:
        """Relay everything, then deliver until the queue has nothing visible."""
        self.stream.drain()
        for _ in range(20):
            if not self.queue.poll():
                return
        raise AssertionError("the queue never emptied")


def sms() -> list[tuple[str, str]]:
    """Every notification SMS sent so far, as (number, text), in order (not the verification codes)."""
    sent = sns_backends[DEFAULT_ACCOUNT_ID]["us-east-1"].sms_messages.values()
    return [(to, text) for to, text in sent if not text.startswith(OTP_TEXT)]


def texts_to(number: str) -> list[str]:
    return [text for to, text in sms() if to == number]


def outbox() -> list[dict]:
    items = boto3.client("dynamodb").scan(TableName=storage.table_name("outbox"))["Items"]
    return [OutboxModel.from_raw_data(item).to_simple_dict() for item in items]
