"""Phone verification (实名): one-time codes by SMS, and the resident's short-lived token.

A code is six random digits, sent at once (the resident is waiting for it) and
stored only as a keyed hash bound to its phone. It lives five minutes and is tried
at most five times; a phone gets at most one code a minute and five an hour. Each
try is counted before it is compared, in one conditional write (storage.try_otp),
so concurrent guesses cannot share out more tries than the limit; using the right
code is a second conditional write (storage.use_otp, or the submission's own
transaction), so one code is used once.

Proving a phone with ``verify`` gives an HS256 token (30 minutes) whose subject is
the phone's keyed hash: it opens the resident's own list of requests, nothing more.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets

from chalicelib import storage
from chalicelib.adapters.crypto import get_cipher
from chalicelib.adapters.identity import AuthError, bearer_token, numeric_times
from chalicelib.adapters.sms import get_sender
from chalicelib.answers import OtpSent, OwnRequestPage, ResidentToken
from chalicelib.domain.errors import DomainError, InvalidInput, Kind, RateLimited
from chalicelib.observability import count, logger
from chalicelib.services import runtime, views

CODE_LIFETIME = dt.timedelta(minutes=5)
MAX_WRONG_TRIES = 5
RESEND_AFTER = dt.timedelta(minutes=1)
SENDS_PER_HOUR = 5
_HOUR = dt.timedelta(hours=1)

TOKEN_LIFETIME = dt.timedelta(minutes=30)
TOKEN_AUDIENCE = "suqiu-resident"
_TOKEN_ALGORITHMS = ["HS256"]
_TOKEN_CLAIMS = ["exp", "iat", "sub", "aud"]
_TOKEN_LEEWAY_SECONDS = 5  # our own Lambda hosts, whose clocks differ by milliseconds


class SmsUnavailable(DomainError):
    kind = Kind.UNAVAILABLE
    code = "sms_unavailable"


def phone_hash(phone: str) -> str:
    """The phone (E.164) as it is stored and looked up: a hash only this deployment can compute."""
    return get_cipher().keyed_hash("phone", phone)


def _code_hash(phone: str, code: str) -> str:
    # Bound to the phone: a code sent to one number is worthless for another.
    return get_cipher().keyed_hash("otp", phone, code)


def _epoch(moment: dt.datetime) -> int:
    return int(moment.timestamp())


# ---- sending a code ------------------------------------------------------------

def send_code(phone: str) -> OtpSent:
    """Send a fresh code to ``phone`` (E.164), within the rate limits."""
    now = _epoch(runtime.now())
    key = phone_hash(phone)
    previous = storage.get_otp(key)
    recent = [int(t) for t in (previous.sent if previous else []) if int(t) > now - _HOUR.total_seconds()]
    wait = _wait(recent, now)
    if wait:
        raise RateLimited(f"获取验证码过于频繁，请{_minutes(wait)}后再试", wait)
    code = _new_code()
    code_hash = _code_hash(phone, code)
    sent = [*recent, now][-SENDS_PER_HOUR:]
    record = storage.OtpRecord(
        key,
        code_hash=code_hash,
        code_expires_at=now + int(CODE_LIFETIME.total_seconds()),
        attempts=0,
        sent=tuple(sent),
        last_sent=now,
        # Nothing in the item matters an hour after its last send: the code lives five
        # minutes (checked on every use, TTL deletion being lazy), the hourly limit an hour.
        expires_at=dt.datetime.fromtimestamp(now, dt.timezone.utc) + _HOUR,
    )
    if not storage.put_otp(record, previous):
        # Another request for this phone stored its code between our read and our write.
        raise RateLimited("获取验证码过于频繁，请1分钟后再试", int(RESEND_AFTER.total_seconds()))
    try:
        get_sender().send(phone, _text(code))
    except Exception as exc:  # noqa: BLE001 - any provider failure: the code must not stay usable
        # Only the error's type: a provider's message might quote the text, and with it the code.
        logger.warning("verification SMS failed", error=type(exc).__name__)
        _withdraw(key, code_hash, previous)
        raise SmsUnavailable("短信发送失败，请稍后重试") from None
    count("OtpSent")
    return OtpSent(expires_in=int(CODE_LIFETIME.total_seconds()), resend_in=int(RESEND_AFTER.total_seconds()))


def _new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _wait(recent: list[int], now: int) -> int:
    """Seconds until the next send is allowed (0: now), given the sends of the last hour, oldest first."""
    waits = [0]
    if recent:
        waits.append(recent[-1] + int(RESEND_AFTER.total_seconds()) - now)
    if len(recent) >= SENDS_PER_HOUR:
        waits.append(recent[-SENDS_PER_HOUR] + int(_HOUR.total_seconds()) - now)
    return max(waits)


def _minutes(seconds: int) -> str:
    return f"{-(-seconds // 60)}分钟"


def _text(code: str) -> str:
    return runtime.city().sms.text("otp", code=code, minutes=int(CODE_LIFETIME.total_seconds() // 60))


def _withdraw(key: str, code_hash: str, previous: storage.OtpRecord | None) -> None:
    """The phone as it was before this request: the unsent code gone, its send not counted."""
    try:
        storage.restore_otp(key, code_hash, previous)
    except Exception:  # noqa: BLE001 - the SMS failure is the error to report
        # Left behind, the code is still unusable in practice: nobody ever saw it.
        logger.exception("could not withdraw an unsent verification code")


# ---- using a code --------------------------------------------------------------

def offer(phone: str, code: str | None, field: str) -> storage.OtpUse:
    """A code offered for ``phone``, tried (and the try counted) now: the use to make of it, by ``verify``
    or a submission's transaction; 422 under ``field`` unless it is the phone's live code."""
    if code is None:
        raise InvalidInput("请先获取并填写短信验证码", {field: "请输入短信验证码"})
    offered = storage.OtpUse(phone_hash(phone), _code_hash(phone, code), _epoch(runtime.now()), MAX_WRONG_TRIES)
    if not storage.try_otp(offered):
        raise refused(field)
    return offered


def refused(field: str) -> InvalidInput:
    """The error a code that did not work answers with."""
    count("OtpRefused")
    return InvalidInput("验证码错误或已失效，请重新获取", {field: "验证码错误或已失效"})


def holds(phone: str, code: str) -> bool:
    """Whether ``code`` is, for now, the phone's live code: one read, nothing used or counted.

    For the rate limits only (services/limits.py: a verified submission is not counted per
    address); the code is used, or refused, by the submission's own transaction.
    """
    record = storage.get_otp(phone_hash(phone))
    return (
        record is not None
        and record.code_hash is not None
        and int(record.code_expires_at) > _epoch(runtime.now())
        and int(record.attempts) < MAX_WRONG_TRIES
        and hmac.compare_digest(record.code_hash, _code_hash(phone, code))
    )


def verify(phone: str, code: str) -> ResidentToken:
    """Use the phone's code and give a token for the resident's own requests."""
    offered = offer(phone, code, "code")
    if not storage.use_otp(offered):  # a concurrent use of the same right code came first
        raise refused("code")
    count("OtpVerified")
    return ResidentToken(token=_mint(offered.phone_hash), expires_in=int(TOKEN_LIFETIME.total_seconds()))


# ---- the resident's token ------------------------------------------------------

def _mint(subject: str) -> str:
    import jwt  # only the verification paths pay for its import

    now = runtime.now()
    claims = {"sub": subject, "aud": TOKEN_AUDIENCE, "iat": _epoch(now), "exp": _epoch(now + TOKEN_LIFETIME)}
    return jwt.encode(claims, get_cipher().token_key(), algorithm=_TOKEN_ALGORITHMS[0])


def resident(authorization_header: str | None) -> str:
    """The phone hash a resident's bearer token was given for; AuthError (401) otherwise."""
    import jwt

    token = bearer_token(authorization_header, missing="请先验证手机号")
    try:
        claims = jwt.decode(
            token,
            get_cipher().token_key(),
            algorithms=_TOKEN_ALGORITHMS,  # HS256 only: a staff token (RS256) is not one of ours
            audience=TOKEN_AUDIENCE,
            leeway=_TOKEN_LEEWAY_SECONDS,
            options={"require": _TOKEN_CLAIMS, "strict_aud": True},
        )
    except jwt.ExpiredSignatureError:
        raise AuthError(401, "token_expired", "验证已过期，请重新验证手机号") from None
    except jwt.PyJWTError:
        raise AuthError(401, "token_invalid", "凭证无效，请重新验证手机号") from None
    if not isinstance(claims["sub"], str) or not numeric_times(claims):
        raise AuthError(401, "token_invalid", "凭证无效，请重新验证手机号")
    return claims["sub"]


def own_requests(subject: str, cursor: str | None, limit: int) -> OwnRequestPage:
    """The requests made with the resident's phone, newest first."""
    page = storage.orders_of_phone(subject, cursor, limit)
    city = runtime.city()
    return OwnRequestPage(items=[views.own_request(item, city) for item in page.items], cursor=page.cursor)
