"""What a submission becomes: one pure decision from what was asked and what was read.

services/intake.py checks the request, gathers what the decision needs (the SMS code's use,
the uploads, the tracking number, the neighbours, the classifier's suggestion, the sealed
contact), calls ``decide`` once, and writes what it returns in one transaction. Nothing here
reads, writes or encrypts: the same inputs give the same order, events, notices and tallies.

A member of staff who takes a request down (代客录入) may dispatch it or answer it on the line
(当场答复) as they enter it: that ``Step`` is theirs, named on its event, and is taken with
``at_intake`` (a rule's ``intake_roles``: an operator dispatches nothing through POST …/actions).
Without one, the routing's unit gets it (auto_dispatch), as for every submission.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from chalicelib.city import City
from chalicelib.domain import questions
from chalicelib.domain.geo import deepest_area
from chalicelib.domain.lifecycle import SYSTEM, apply, open_order
from chalicelib.domain.notices import Notice, notices_for
from chalicelib.domain.orders import Actor, Context, Event, WorkOrder
from chalicelib.domain.reports import Location, Media, Report
from chalicelib.domain.routing import route
from chalicelib.domain.stats import Tallies, submission

OTHER_CATEGORY = "other"


@dataclass(frozen=True)
class Step:
    action: str  # "dispatch" or "answer" (lifecycle.RULES)
    params: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Submission:
    """What was asked, checked against the catalogue, and who asks it."""

    type: str
    category: str
    area: str | None  # as chosen; None: the deepest area whose shape holds the point
    description: str
    location: Location
    anonymous: bool
    answers: Mapping[str, Any] | None
    has_contact: bool
    channel: str
    actor: Actor  # who the submit event names
    note: str | None = None  # the submit event's note: who took the request, and why no SMS code
    external_id: str | None = None
    step: Step | None = None  # staff's intake: dispatched or answered in the same step


@dataclass(frozen=True)
class Gathered:
    """What the submission's reads and seals produced, for the decision."""

    tracking_no: str
    point: tuple[float, float]  # (lng, lat), WGS-84: the city's shapes, the cells and the map are
    media: tuple[Media, ...]  # the uploads, as attached under the order
    contact: bytes | None  # sealed
    query_code_hash: str
    received_payload: Mapping[str, Any]  # the query code, sealed, for the "received" SMS
    phone_hash: str | None  # the verified (or vouched-for) phone's keyed hash
    suggestion: tuple[str, float] | None  # the classifier's top category and its probability
    geo_cell: str
    duplicates: tuple[str, ...]  # suspected duplicates, most likely first


@dataclass(frozen=True)
class Decision:
    order: WorkOrder
    report: Report
    events: tuple[Event, ...]
    notices: tuple[Notice, ...]
    tallies: Tallies


def decide(asked: Submission, gathered: Gathered, ctx: Context) -> Decision:
    city = ctx.city
    area = asked.area if asked.area is not None else deepest_area(city.areas, *gathered.point)
    order, submitted = open_order(gathered.tracking_no, asked.type, asked.category, area, asked.actor, ctx.now)
    events = [replace(submitted, note=asked.note)]
    # "received" carries the query code, sealed: it is kept nowhere in clear.
    notices = [replace(n, payload=gathered.received_payload) for n in notices_for(submitted, order, city, asked.has_contact)]
    unit = route(city, asked.category, area) or _route_by_suggestion(city, asked.category, gathered.suggestion, area)
    order, taken = _after_open(order, unit, asked.actor, asked.step, ctx)
    for event in taken:
        events.append(event)
        notices += notices_for(event, order, city, asked.has_contact)
    suggestion = gathered.suggestion
    report = Report(
        description=asked.description,
        location=asked.location,
        media=gathered.media,
        anonymous=asked.anonymous,
        contact=gathered.contact,
        query_code_hash=gathered.query_code_hash,
        channel=asked.channel,
        verified=gathered.phone_hash is not None,
        phone_hash=gathered.phone_hash,
        suggested_category=suggestion[0] if suggestion else None,
        suggestion_confidence=suggestion[1] if suggestion else None,
        answers=questions.normalised(city.category_by_code[asked.category], asked.answers),
        external_id=asked.external_id,
        geo_cell=gathered.geo_cell,
        duplicates=gathered.duplicates,
    )
    return Decision(order, report, tuple(events), tuple(notices), submission(order, city.zone, *gathered.point))


def _after_open(
    order: WorkOrder, routed_unit: str | None, actor: Actor, step: Step | None, ctx: Context
) -> tuple[WorkOrder, list[Event]]:
    """The order after its intake's own step, and that step's events (none: it waits for a dispatcher)."""
    if step is not None:
        order, event = apply(order, step.action, actor, step.params, ctx, at_intake=True)
        return order, [event]
    if routed_unit is not None:
        order, event = apply(order, "auto_dispatch", SYSTEM, {"unit": routed_unit}, ctx)
        return order, [event]
    return order, []


def _route_by_suggestion(
    city: City, category: str, suggestion: tuple[str, float] | None, area: str | None
) -> str | None:
    """A request filed under "other" goes by the suggested category, when the model is sure enough.

    A category the resident chose is never overridden: the suggestion is only shown to the dispatcher.
    """
    if category != OTHER_CATEGORY or suggestion is None:
        return None
    if suggestion[1] < city.intake.auto_dispatch_confidence:
        return None
    return route(city, suggestion[0], area)
