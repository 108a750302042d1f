"""Sending an SMS: one small interface, one class per provider.

Amazon SNS is the default (it sends SMS to E.164 numbers; moto records them for
the tests). A Chinese SMS provider is one more class with ``send``. The local
stack prints each message on one console line: ``SMS <number> <text>``.
"""
from __future__ import annotations

import os
from functools import lru_cache
from typing import Protocol

from chalicelib.adapters.aws import boto3_client


class SmsSender(Protocol):
    def send(self, phone: str, text: str) -> None:
        """Send ``text`` to ``phone`` (E.164); raise if the provider refused or failed."""


class SnsSender:
    def __init__(self, client=None):
        self._sns = client or boto3_client("sns")

    def send(self, phone: str, text: str) -> None:
        self._sns.publish(
            PhoneNumber=phone,
            Message=text,
            MessageAttributes={"AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Transactional"}},
        )


class ConsoleSender:
    """The dev stack's SMS: one line on the console per message."""

    def send(self, phone: str, text: str) -> None:
        print(f"SMS {phone} {text}", flush=True)


@lru_cache(maxsize=1)
def get_sender() -> SmsSender:
    return ConsoleSender() if os.environ.get("SMS_SENDER") == "console" else SnsSender()
