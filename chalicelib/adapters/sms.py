"""Sending an SMS: one small interface, one class per provider.

Amazon SNS is the default (it sends SMS to E.164 numbers; moto records them for
the tests). A Chinese SMS provider is one more class with ``send``: Yunpian (云片)
is one, for the aws-cn partition, where SNS does not send to Chinese numbers. The
local stack prints each message on one console line: ``SMS <number> <text>``.
``SMS_SENDER`` chooses: ``sns`` (default), ``yunpian``, ``console``.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from functools import lru_cache
from typing import Protocol

from chalicelib.adapters.aws import boto3_client
from chalicelib.adapters.secrets import secret
from chalicelib.settings import Settings, get_settings


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


API_KEY_SECONDS = 300  # how long a container keeps the SMS provider's key it read from SSM


class SmsRefused(RuntimeError):
    """The provider answered that it did not send (its code and message; never the number)."""


class YunpianSender:
    """Yunpian's single-send API (https://sms.yunpian.com, v2), over HTTPS with the standard library.

    Yunpian sends only texts that match a template registered (报备) with it, signature
    included: register each template of the city file's ``sms.templates`` (and ``otp``) as the
    city's signature 【…】 followed by the text, placeholders as Yunpian's #name# variables.
    The API key is an SSM SecureString (``SMS_API_KEY_PARAMETER``), read on the first send and
    again after ``API_KEY_SECONDS``, so a key changed at Yunpian reaches every container.
    """

    URL = "https://sms.yunpian.com/v2/sms/single_send.json"
    TIMEOUT_SECONDS = 10  # well inside the deliver function's 60 s

    def __init__(self, api_key: Callable[[], str], post: Callable[[str, bytes], tuple[int, bytes]] | None = None):
        self._api_key = api_key
        self._post = post or _https_post

    def send(self, phone: str, text: str) -> None:
        # Mainland numbers go as the 11 digits; others in E.164 with the "+" (Yunpian's rule).
        mobile = phone[3:] if phone.startswith("+86") else phone
        body = urllib.parse.urlencode({"apikey": self._api_key(), "mobile": mobile, "text": text}).encode()
        status, raw = self._post(self.URL, body)
        try:
            answer = json.loads(raw)
        except ValueError:
            raise SmsRefused(f"yunpian: HTTP {status}, not JSON") from None
        if status != 200 or answer.get("code") != 0:
            # "detail" may quote the number: only the code and the message are kept.
            raise SmsRefused(f"yunpian: HTTP {status}, code {answer.get('code')}: {answer.get('msg')}")


def _https_post(url: str, body: bytes) -> tuple[int, bytes]:
    request = urllib.request.Request(
        url, data=body, headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"}
    )
    try:
        with urllib.request.urlopen(request, timeout=YunpianSender.TIMEOUT_SECONDS) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:  # Yunpian answers a refusal with 400 and a JSON body
        return exc.code, exc.read()


class ConsoleSender:
    """The dev stack's SMS: one line on the console per message."""

    def send(self, phone: str, text: str) -> None:
        print(f"SMS {phone} {text}", flush=True)


def _yunpian(settings: Settings) -> SmsSender:
    parameter = settings.sms_api_key_parameter
    if not parameter:
        raise RuntimeError("SMS_SENDER=yunpian needs SMS_API_KEY_PARAMETER (an SSM SecureString)")
    return YunpianSender(lambda: secret(parameter, API_KEY_SECONDS))


# Each provider once, by its SMS_SENDER name: a new provider is a sender class and one entry here.
SENDERS: dict[str, Callable[[Settings], SmsSender]] = {
    "sns": lambda settings: SnsSender(),
    "yunpian": _yunpian,
    "console": lambda settings: ConsoleSender(),
}


@lru_cache(maxsize=1)
def get_sender() -> SmsSender:
    settings = get_settings()
    make = SENDERS.get(settings.sms_sender)
    if make is None:
        raise RuntimeError(f"SMS_SENDER={settings.sms_sender!r} is none of {', '.join(SENDERS)}")
    return make(settings)