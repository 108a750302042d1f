"""Who hears of a change by SMS, with which template, and when a text may go out.

``notices_for`` maps one audit event to the messages it causes; the services
store them in the same transaction as the change (the outbox), and the queue
delivers them. Audiences: ``resident`` (the contact of a named request),
``unit:<code>`` (a unit's duty phone: the order's unit, the one above it, or a co-unit
just added), ``leader`` (the leader on duty) and
``follower:<tracking no>`` (the resident of an order merged into this one, who
hears how this one goes, except its own resident's rating being sent back).

Urgency decides whether a message may wake someone: urgent messages ignore the
quiet hours. Residents' messages are never urgent: nothing a resident hears
needs them at night. The leader's 督办 notice always is. A unit's messages are
urgent only for an order whose limit runs round the clock (a limit in hours,
e.g. a burst pipe in 24 h): for those the night counts, while a limit in working
days does not run until the office opens, so the morning is soon enough.

A unit's new orders beyond the city's ``sms.staff_digest.after`` in one window of
``minutes`` reach its duty phone as one ``staff_digest`` text at the window's end
(services/notify.py does it, at delivery). Windows are fixed, aligned on the epoch,
so every process agrees on them without asking; urgent and routine orders count in
windows of their own, so a digest is as urgent as the orders it names.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from chalicelib.city import City, QuietHours
from chalicelib.domain.actions import NEW_ORDER, Audience, Notify  # noqa: F401 - NEW_ORDER re-exported
from chalicelib.domain.lifecycle import RULES
from chalicelib.domain.orders import Event, WorkOrder

RESIDENT = "resident"
LEADER = "leader"
UNIT_PREFIX = "unit:"
FOLLOWER_PREFIX = "follower:"
DIGEST = "staff_digest"
# The templates an information-only request (表扬) is told with instead.
INFORMATION = {"dispatched": "information_dispatched", NEW_ORDER: "staff_information"}


def unit_audience(code: str) -> str:
    return f"{UNIT_PREFIX}{code}"


def follower_audience(tracking_no: str) -> str:
    """The resident of an order merged into this one (并单), who follows this one."""
    return f"{FOLLOWER_PREFIX}{tracking_no}"


@dataclass(frozen=True)
class Notice:
    template: str  # a key of city.sms.templates
    audience: str  # "resident", "unit:<code>" or "leader"
    urgent: bool = False
    # Extra fields for the text that the order does not hold (the sealed query code).
    payload: Mapping[str, Any] = field(default_factory=dict, hash=False)


def notices_for(
    event: Event, order: WorkOrder, city: City, has_contact: bool, before: WorkOrder | None = None
) -> list[Notice]:
    """The messages ``event`` causes; ``order`` is the order after it, ``before`` the one before (a unit
    that was a co-unit already is not told again)."""
    round_the_clock = city.time_limit(order.type, order.category).hours is not None

    def to_resident(template: str, followers: bool = True) -> list[Notice]:
        own = [Notice(template, RESIDENT)] if has_contact else []
        return own + [Notice(template, follower_audience(no)) for no in (order.followers if followers else ())]

    def to_unit(template: str, unit: str | None) -> list[Notice]:
        return [Notice(template, unit_audience(unit), urgent=round_the_clock)] if unit else []

    def to(notify: Notify) -> list[Notice]:
        if notify.to is Audience.LEADER:
            return [Notice(notify.template, LEADER, urgent=True)]
        if notify.to is Audience.UNIT:
            return to_unit(notify.template, order.unit)
        if notify.to is Audience.CO_UNITS:
            told = set(before.co_units) if before else set()
            return [n for unit in order.co_units if unit not in told for n in to_unit(notify.template, unit)]
        if notify.to is Audience.PARENT_UNIT:
            return to_unit(notify.template, city.unit_by_code[order.unit].parent if order.unit else None)
        return to_resident(notify.template, followers=notify.to is Audience.RESIDENT)

    if event.action == "submit":  # not a rule: the order's first event (lifecycle.open_order)
        return to_resident("received")
    rule = RULES.get(event.action)
    notices = [
        notice
        for notify in (rule.notices if rule else ())
        if notify.when is None or event.to_state is notify.when
        if notify.turned_on is None or event.changes.get(notify.turned_on) is True
        for notice in to(notify)
    ]
    kind = city.type_by_code.get(order.type)
    if kind and kind.information_only:
        # 表扬 has no due date or signing limit to announce: the texts that name them are replaced.
        notices = [dataclasses.replace(n, template=INFORMATION.get(n.template, n.template)) for n in notices]
    return notices


def quiet_until(now: dt.datetime, quiet: QuietHours, zone: ZoneInfo) -> dt.datetime | None:
    """When the quiet hours around ``now`` end, or None if ``now`` is not in them."""
    local = now.astimezone(zone)
    at = local.time().replace(tzinfo=None)
    wraps = quiet.start > quiet.end  # 22:00–07:30 runs past midnight
    inside = (at >= quiet.start or at < quiet.end) if wraps else (quiet.start <= at < quiet.end)
    if not inside:
        return None
    day = local.date() if at < quiet.end else local.date() + dt.timedelta(days=1)
    return dt.datetime.combine(day, quiet.end, tzinfo=zone)


def digest_window(now: dt.datetime, minutes: int) -> tuple[dt.datetime, dt.datetime]:
    """The start and end (UTC) of the digest window of ``minutes`` that ``now`` falls in."""
    span = minutes * 60
    start = dt.datetime.fromtimestamp(now.timestamp() // span * span, dt.timezone.utc)
    return start, start + dt.timedelta(seconds=span)
