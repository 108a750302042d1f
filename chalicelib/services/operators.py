"""Staff intake (代客录入): a request an operator takes down from a call, a visit or a letter, and
the lookup of a caller's earlier requests (重复来电).

An operator (or a dispatcher) submits through the residents' own intake (services/intake.py)
with a ``Source`` of their own: the channel is one of the city's staff channels
(``intake.staff_channels``), the submit event names the staff member and the channel, no SMS
code is asked (they spoke to the caller), and the caller's phone counts as verified, so the
caller later finds the request under /me/requests and the next operator under the phone's
lookup. The caller hears by SMS as a resident does.

``received_at``, when the call came (not in the future, nor more than a year back: a letter read
late), is kept on the submit event's note; the order itself is
created now: its number, the day's counters and the trail's order are those of when it was
stored, and no one can date an order into a day whose figures were read already. So the
handling deadline runs, as for every order, from when a unit gets it (dispatch), not from
the call. The step taken with the order — ``dispatch`` or ``answer`` (当场答复, stored resolved
with the reply) — is applied in the order's own transaction (domain/intake.py).

The lookup reads the by-phone index under the phone's keyed hash, newest first: a Query,
never a Scan; only verified phones are indexed, which every staff-taken phone is.
"""
from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import TypeAdapter, ValidationError

from chalicelib import storage
from chalicelib.answers import QueuePage, Submitted
from chalicelib.commands.bodies import Phone, StaffSubmitRequest
from chalicelib.commands.queries import PageQuery
from chalicelib.domain.bounds import RECEIVED_WITHIN_DAYS
from chalicelib.domain.errors import Forbidden, InvalidInput
from chalicelib.domain.intake import Step
from chalicelib.domain.orders import ROLE_LABELS, Actor, Role
from chalicelib.observability import count, logger
from chalicelib.services import intake, runtime, verification, views

# Who takes requests down; who looks a caller up (the leaders read too).
INTAKE_ROLES = frozenset({Role.OPERATOR, Role.DISPATCHER})
LOOKUP_ROLES = INTAKE_ROLES | {Role.LEADER}

_PHONE = TypeAdapter(Phone)


def submit(
    actor: Actor, request: StaffSubmitRequest, idempotency_key: str | None, lambda_context: Any = None
) -> Submitted:
    if actor.role not in INTAKE_ROLES:
        raise Forbidden(f"{ROLE_LABELS[actor.role]}不能代客录入诉求")
    source = _source(actor, request, runtime.now())
    answer = intake.submit(request, idempotency_key, lambda_context, source)
    count("StaffRequestSubmitted")
    logger.info("staff intake", channel=request.channel, step=source.step.action if source.step else None)
    return answer


def _source(actor: Actor, request: StaffSubmitRequest, now: dt.datetime) -> intake.Source:
    city = runtime.city()
    channels = city.intake.staff_channels
    problems = {}
    if request.channel not in channels:
        offered = "、".join(f"{code}（{name}）" for code, name in channels.items())
        problems["channel"] = f"受理渠道须为：{offered}"
    if request.received_at is not None and request.received_at > now:
        problems["received_at"] = "接收时间不能晚于现在"
    elif request.received_at is not None and request.received_at < now - dt.timedelta(days=RECEIVED_WITHIN_DAYS):
        problems["received_at"] = f"接收时间不能早于{RECEIVED_WITHIN_DAYS}天前"
    # Here, not in the step: intake takes the day's next number once nothing could refuse the input.
    if request.dispatch is not None and request.dispatch.unit not in city.unit_by_code:
        problems["dispatch.unit"] = "承办单位不存在"
    if problems:
        raise InvalidInput("输入有误，请检查标出的字段", problems)
    received = request.received_at.astimezone(city.zone) if request.received_at else None
    note = f"{ROLE_LABELS[actor.role]}受理（{channels[request.channel]}）"
    if received is not None:
        note += f"，接收时间{received:%Y-%m-%d %H:%M}"
    if request.caller.phone is not None:
        note += "，来电人电话已由工作人员核实，免短信验证"
    return intake.Source(
        channel=request.channel,
        actor=actor,
        note=note,
        needs_otp=False,
        vouches_for_contact=True,
        step=_step(request),
    )


def _step(request: StaffSubmitRequest) -> Step | None:
    if request.dispatch is not None:
        return Step("dispatch", {"unit": request.dispatch.unit})
    if request.answer is not None:
        return Step("answer", {"reply": request.answer.reply})
    return None


def caller_requests(actor: Actor, phone: str, query: PageQuery) -> QueuePage:
    """Every request made with ``phone`` (any channel), newest first: what a repeat caller asked before."""
    if actor.role not in LOOKUP_ROLES:
        raise Forbidden(f"{ROLE_LABELS[actor.role]}不能查询来电人的诉求")
    try:
        number = _PHONE.validate_python(phone)
    except ValidationError:
        raise InvalidInput("请填写有效的手机号码", {"phone": "手机号码无效"}) from None
    page = storage.orders_of_phone(verification.phone_hash(number), query.cursor, query.limit)
    return views.queue_page(page, runtime.city())
