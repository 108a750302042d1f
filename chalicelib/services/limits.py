"""The caps on what an anonymous caller can make the city pay for: the one place they are taken.

- ``POST /otp`` (each code is an SMS): the phone must be one the city texts codes to
  (``sms.otp_country_codes``: mainland mobiles by default; premium-rate numbers abroad are
  how SMS is pumped), then the caps per source address and for the whole city.
- Submissions (``POST /requests``, Open311's ``POST requests``): the city's cap on every
  one; a partner's per key (the hotline's one address carries the whole city); an
  anonymous web submission's per address too. One that carries its phone's live SMS code
  is not counted per address: a carrier's NAT puts many residents behind one.
- Query codes (tracking, rating): every try is counted, per tracking number and per
  address, *before* the code is compared, and given back when the code was right. So
  however many guesses arrive at once, at most the cap are ever compared; and a wrong code
  on an unknown number counts, and answers, exactly as one on a known number does.

The caps are the city file's ``limits``, in fixed windows of the city's clock
(domain/limits.py); the counters are storage.take_quotas'. The address is API Gateway's
``sourceIp``, kept only as a keyed hash.
"""
from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from chalicelib import storage
from chalicelib.adapters.crypto import get_cipher
from chalicelib.city import WEB_CHANNEL, Caps, City
from chalicelib.domain.errors import InvalidInput, RateLimited
from chalicelib.domain.limits import seconds_until, wait_text, window
from chalicelib.domain.phones import may_text_code
from chalicelib.observability import count, logger
from chalicelib.services import runtime, verification

if TYPE_CHECKING:  # names only: POST /otp must not load intake (its cold start)
    from chalicelib.commands.bodies import SubmitRequest
    from chalicelib.services.intake import Source


def admit_code_request(phone: str, ip: str | None) -> None:
    """Before a verification code is sent to ``phone`` (E.164): 422 for a phone the city does not
    text codes to, 429 over the address's or the city's caps."""
    city, now = runtime.city(), runtime.now()
    _check_country(city, phone, "phone")
    caps = city.limits.otp
    quotas = _quotas(city, now, "otp", _address(ip), caps.per_ip) + _quotas(city, now, "otp", "city", caps.city)
    _take(quotas, now, "获取验证码过于频繁，请{wait}后再试")


def admit_submission(source: Source, request: SubmitRequest, ip: str | None) -> None:
    """Before a submission is made: 422 for a phone to be proven by a code it cannot receive, 429 over a cap."""
    city, now = runtime.city(), runtime.now()
    caps = city.limits.submissions
    contact = request.contact
    proving = contact is not None and source.needs_otp  # the phone is to be proven by an SMS code
    if proving:
        _check_country(city, contact.phone, "contact.phone")
    if source.channel != WEB_CHANNEL:
        own = _quotas(city, now, "submit", f"key:{source.actor.id}", caps.per_key)
    elif proving and contact.otp is not None and verification.holds(contact.phone, contact.otp):
        own = []  # a verified resident: counted by the city only
    else:
        own = _quotas(city, now, "submit", _address(ip), caps.per_ip)
    _take(own + _quotas(city, now, "submit", "city", caps.city), now, "提交过于频繁，请{wait}后再试")


def take_code_try(tracking_no: str | None, ip: str | None) -> list[storage.Quota]:
    """Count a query-code try before the code is compared (429 when the number or the address has used
    up its tries); give it back with ``right_code`` if the code was right.

    ``tracking_no`` is the canonical number, whether or not an order has it (None: it cannot be one).
    """
    city, now = runtime.city(), runtime.now()
    caps = city.limits.query_codes
    quotas = _quotas(city, now, "code", _address(ip), caps.per_ip)
    if tracking_no is not None:
        quotas += _quotas(city, now, "code", f"no:{tracking_no}", caps.per_number)
    _take(quotas, now, "查询码错误次数过多，请{wait}后再试")
    return quotas


def right_code(taken: list[storage.Quota]) -> None:
    """The try ``take_code_try`` counted was the right code: no wrong try."""
    storage.give_back_quotas(taken)


# ---- the counting ----------------------------------------------------------------------

def _check_country(city: City, phone: str, field: str) -> None:
    if may_text_code(phone, city.sms.otp_country_codes):
        return
    where = "请使用中国大陆手机号" if city.sms.otp_country_codes == ("86",) else "该国家或地区的号码不能接收验证码"
    raise InvalidInput(f"验证码无法发送至该号码，{where}", {field: where})


def _address(ip: str | None) -> str:
    # A keyed hash, as phones are kept: the counters table holds no address in clear.
    return f"ip:{get_cipher().keyed_hash('source-ip', ip or 'unknown')}"


def _quotas(city: City, now: dt.datetime, limit: str, subject: str, caps: Caps) -> list[storage.Quota]:
    quotas = []
    for span, cap in caps.windows:
        current = window(span, now, city.zone)
        quotas.append(storage.Quota(f"limit#{limit}#{subject}#{span}#{current.stamp}", cap, current.ends_at))
    return quotas


def _take(quotas: list[storage.Quota], now: dt.datetime, message: str) -> None:
    full = storage.take_quotas(quotas)
    if not full:
        return
    wait = seconds_until(max(q.ends_at for q in full), now)
    limit, subject = full[0].name.split("#")[1:3]
    count("RateLimited")
    # The limit, the kind of subject and the window: never the address's hash nor the number.
    logger.info("rate limited", limit=limit, scope=subject.split(":")[0], window=full[0].name.split("#")[3])
    raise RateLimited(message.format(wait=wait_text(wait)), wait)
