"""How an order is shown: to the resident who holds its query code, and to staff.

Contact data leaves this module in clear only for the roles that may see it
(dispatcher, leader, the assigned unit); everyone else gets it masked.
Anonymous orders have none. Media are shown as presigned links that expire.
What residents see (by query code or as their own list) is a public answer: mobile
and ID numbers typed into its free text are masked (a query code is shared, screenshots
travel); staff see the text as typed.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import replace
from typing import TYPE_CHECKING

from chalicelib.adapters.crypto import get_cipher
from chalicelib.answers import (
    ActionField,
    ActionResult,
    AllowedAction,
    AreaNode,
    Catalog,
    CatalogCategory,
    CatalogQuestion,
    CategorySuggestion,
    Choice,
    CoUnitReply,
    ContactShown,
    Followed,
    LabelledAnswer,
    LevelRef,
    MediaKindLimits,
    MediaLimits,
    MediaLink,
    OwnRequest,
    Point,
    PublicDetail,
    QueueItem,
    QueuePage,
    Ref,
    StaffDetail,
    StoredLocation,
    Submitted,
    TimeLeft,
    TimelineEntry,
    TrailActor,
    TrailEntry,
)
from chalicelib.adapters.media import get_media_store
from chalicelib.city import City
from chalicelib.domain import deadlines, questions
from chalicelib.domain.actions import Input
from chalicelib.domain.geo import wgs84_of
from chalicelib.domain.lifecycle import (
    PUBLIC_STATUS,
    RULES,
    STATE_LABELS,
    Actor,
    Context,
    Event,
    Role,
    State,
    WorkOrder,
    allowed_actions,
)
from chalicelib.domain.orders import LEVEL_LABELS, OVERDUE, RESIDENTS_WORDS, SUPERVISION_LABELS, Level, Role
from chalicelib.domain.privacy import mask_free_text, mask_name, mask_phone
from chalicelib.domain.reports import Listed, Report
from chalicelib.domain.routing import route
from chalicelib.settings import get_settings

if TYPE_CHECKING:
    from chalicelib.storage.pages import Page


def iso(moment: dt.datetime | None, city: City) -> str | None:
    """ISO 8601 in the city's time, with its offset (2026-11-21T09:30:00+08:00)."""
    return moment.astimezone(city.zone).isoformat(timespec="seconds") if moment else None


def point_ref(lng: float, lat: float) -> Point:
    return Point(lat=round(lat, 6), lng=round(lng, 6))


def unit_ref(city: City, code: str | None) -> Ref | None:
    return Ref(code=code, name=city.unit_by_code[code].name) if code else None


def area_ref(city: City, code: str | None) -> Ref | None:
    if not code:
        return None
    path = reversed(city.area_path(code))
    return Ref(code=code, name="".join(city.area_name[c] for c in path))


def _state(state: State) -> dict:
    return {"status": PUBLIC_STATUS[state], "state": state.value, "state_label": STATE_LABELS[state]}


def classification(item, city: City) -> dict[str, Ref | None]:
    """The fields ``type``, ``category`` and ``area`` of the answers that show them (``_Classified``)."""
    return {
        "type": Ref(code=item.type, name=city.type_by_code[item.type].name),
        "category": Ref(code=item.category, name=city.category_by_code[item.category].name),
        "area": area_ref(city, item.area),
    }


def _suggestion(report: Report, city: City) -> CategorySuggestion | None:
    """The category the classifier suggested at intake (智能预判), for the dispatcher."""
    code = report.suggested_category
    if code is None or code not in city.category_by_code:
        return None
    confidence = report.suggestion_confidence
    return CategorySuggestion(
        code=code,
        name=city.category_by_code[code].name,
        confidence=float(confidence) if confidence is not None else None,
    )


def _suggested_unit(report: Report, order: WorkOrder, city: City) -> str | None:
    """The unit a dispatch form preselects: the city's routing for the category, else for the suggested one."""
    categories = [order.category, report.suggested_category]
    return next((unit for c in categories if c in city.category_by_code and (unit := route(city, c, order.area))), None)


def _media_links(keys_and_kinds: list[tuple[str, str]]) -> list[MediaLink]:
    if not keys_and_kinds:
        return []  # no S3 client for an order without media
    store, ttl = get_media_store(), get_settings().media_link_ttl_seconds
    return [MediaLink(kind=kind, url=store.link(key, ttl), expires_in=ttl) for key, kind in keys_and_kinds]


def _media(report: Report, order: WorkOrder) -> dict[str, list[MediaLink]]:
    return {
        "media": _media_links([(m.key, m.kind) for m in report.media]),
        "result_media": _media_links([(key, "photo") for key in order.result_media]),
    }


def submitted(order: WorkOrder, query_code: str, city: City) -> Submitted:
    return Submitted(
        tracking_no=order.tracking_no,
        query_code=query_code,
        **_state(order.state),
        unit=unit_ref(city, order.unit),
        due_at=iso(order.due_at, city),
        message="诉求已受理。请保存好受理编号和查询码，凭它们查询办理进度。",
    )


def _timeline_entry(event: Event, city: City, staff: bool) -> TimelineEntry:
    entry = {
        "at": iso(event.at, city),
        "action": event.action,
        "label": "提交诉求" if event.action == "submit" else RULES[event.action].label,
        "state_label": STATE_LABELS[event.to_state],
        "note": event.note if staff else mask_free_text(event.note),
    }
    if not staff:
        return TimelineEntry(**entry)
    return TrailEntry(
        **entry,
        seq=event.seq,
        actor=TrailActor(role=event.actor.role, id=event.actor.id, unit=unit_ref(city, event.actor.unit)),
        from_state=event.from_state.value if event.from_state else None,
        to_state=event.to_state.value,
        public=event.public,
    )


def public_detail(
    report: Report, order: WorkOrder, events: list[Event], city: City, main: Followed | None
) -> PublicDetail:
    """``main``: on a merged request (并单), the order it follows (``followed``)."""
    return PublicDetail(
        tracking_no=order.tracking_no,
        **classification(order, city),
        description=mask_free_text(report.description),
        address=mask_free_text(report.location.address),
        created_at=iso(order.created_at, city),
        **_state(order.state),
        unit=unit_ref(city, order.unit),
        due_at=iso(order.due_at, city),
        reply=mask_free_text(order.reply) if order.resolved_at else None,
        merged_into=order.merged_into,
        rating=order.rating,
        can_rate=order.state.value == "resolved",
        timeline=[_timeline_entry(e, city, staff=False) for e in events if e.public],
        **_media(report, order),
        main=main,
    )


def followed(order: WorkOrder, events: list[Event], city: City) -> Followed:
    """The order a merged one was merged into (并单), as its resident follows it.

    Its progress and reply only: the description, address, photos and contact are another
    resident's report.
    """
    return Followed(
        tracking_no=order.tracking_no,
        **_state(order.state),
        unit=unit_ref(city, order.unit),
        due_at=iso(order.due_at, city),
        reply=mask_free_text(order.reply) if order.resolved_at else None,
        # The steps, but not the other resident's words (a rating's comment, online or by callback): only the units'.
        timeline=[
            _timeline_entry(replace(e, note=None) if _residents_words(e) else e, city, staff=False)
            for e in events
            if e.public
        ],
        result_media=_media_links([(key, "photo") for key in order.result_media]),
    )


def _residents_words(event: Event) -> bool:
    return event.actor.role is Role.RESIDENT or event.action in RESIDENTS_WORDS


def level_ref(code: str | None) -> LevelRef:
    level = Level(code or Level.NORMAL)
    return LevelRef(code=level, label=LEVEL_LABELS[level])


def time_left(order: WorkOrder, ctx: Context) -> TimeLeft | None:
    """The handling time left (negative once overdue), or None when no unit is handling it.

    Counted in the limit's own clock: office time for limits in working days (one
    office day makes one working day), clock time for limits in hours.
    """
    left = deadlines.time_left(order, ctx)
    if left is None:
        return None
    in_hours = ctx.city.time_limit(order.type, order.category).hours is not None
    overdue = left <= dt.timedelta()  # at due_at itself the order is already yellow
    amount = _amount(abs(left), None if in_hours else ctx.calendar.office_day())
    return TimeLeft(
        seconds=int(left.total_seconds()),
        overdue=overdue,
        text=f"已超期{amount}" if overdue else f"剩余{amount}",
    )


def _amount(amount: dt.timedelta, working_day: dt.timedelta | None) -> str:
    """2个工作日3小时, 1小时30分钟, 40分钟: the largest unit and the one below it, rounded down."""
    minutes = int(amount.total_seconds()) // 60
    days, minutes = divmod(minutes, int(working_day.total_seconds()) // 60) if working_day else (0, minutes)
    hours, minutes = divmod(minutes, 60)
    parts = [(days, "个工作日"), (hours, "小时"), (minutes, "分钟")]
    first = next((i for i, (n, _) in enumerate(parts) if n), None)
    if first is None:
        return "不足1分钟"
    return "".join(f"{n}{unit}" for n, unit in parts[first:first + 2] if n)


def queue_page(page: Page, city: City) -> QueuePage:
    """A page of orders as the staff lists show them (the queue, a caller's earlier requests)."""
    return QueuePage(items=[list_item(item, city) for item in page.items], cursor=page.cursor)


def list_item(item: Listed, city: City) -> QueueItem:
    return QueueItem(
        tracking_no=item.tracking_no,
        **classification(item, city),
        summary=item.description[:60],
        state=item.state,
        state_label=STATE_LABELS[item.state],
        unit=unit_ref(city, item.unit),
        priority=bool(item.priority),
        verified=bool(item.verified),
        round=int(item.round),
        created_at=iso(item.created_at, city),
        due_at=iso(item.due_at, city),
        level=level_ref(item.level),
    )


def own_request(item: Listed, city: City) -> OwnRequest:
    """One of a verified resident's own requests, in their list: no contact, no query code."""
    return OwnRequest(
        tracking_no=item.tracking_no,
        **classification(item, city),
        summary=mask_free_text(item.description)[:60],  # masked first: a cut number would escape it
        **_state(State(item.state)),
        unit=unit_ref(city, item.unit),
        created_at=iso(item.created_at, city),
        due_at=iso(item.due_at, city),
    )


def may_see_contact(actor: Actor, order: WorkOrder) -> bool:
    """The command centre and the main unit's own handlers; not a unit above it, nor a co-unit (协办)."""
    if actor.role in (Role.DISPATCHER, Role.LEADER):
        return True
    if actor.role is Role.OPERATOR:
        # The number to call back (回访), while the callback is due: not before, not once it closed.
        return order.state is State.RESOLVED
    return actor.role is Role.HANDLER and actor.unit is not None and actor.unit == order.unit


def _contact(report: Report, order: WorkOrder, actor: Actor) -> ContactShown | None:
    if report.contact is None:
        return None
    contact = get_cipher().open(report.contact, order.tracking_no)
    if may_see_contact(actor, order):
        return ContactShown(name=contact["name"], phone=contact["phone"], masked=False)
    return ContactShown(name=mask_name(contact["name"]), phone=mask_phone(contact["phone"]), masked=True)


def staff_detail(report: Report, order: WorkOrder, events: list[Event], actor: Actor, ctx: Context) -> StaffDetail:
    city = ctx.city
    return StaffDetail(
        tracking_no=order.tracking_no,
        version=order.version,
        channel=report.channel,
        external_id=report.external_id,
        **classification(order, city),
        answers=[
            LabelledAnswer(**answer) for answer in questions.labelled(city.category_by_code[order.category], report.answers or {})
        ],
        description=report.description,
        location=StoredLocation(
            lat=float(report.location.lat),
            lng=float(report.location.lng),
            coord_system=report.location.coord_system,
            address=report.location.address,
            # Where the map pin goes: the city's shapes are WGS-84.
            wgs84=point_ref(*wgs84_of(report.location)),
        ),
        anonymous=report.anonymous,
        verified=bool(report.verified),
        contact=_contact(report, order, actor),
        created_at=iso(order.created_at, city),
        **_state(order.state),
        unit=unit_ref(city, order.unit),
        co_units=[unit_ref(city, u) for u in order.co_units],
        co_replies=[
            CoUnitReply(unit=unit_ref(city, u), pending=reply is None, reply=reply)
            for u in order.co_units
            for reply in [(order.co_replies or {}).get(u)]
        ],
        co_pending_note=order.co_pending_note,
        assignee={"id": order.assignee_id, "name": order.assignee_name} if order.assignee_id else None,
        priority=order.priority,
        round=order.round,
        dispatched_at=iso(order.dispatched_at, city),
        signed_at=iso(order.signed_at, city),
        sign_due_at=iso(order.sign_due_at, city),
        due_at=iso(order.due_at, city),
        level=level_ref(order.level),
        supervised_at=iso(order.supervised_at, city),
        time_left=time_left(order, ctx),
        extensions_used=order.extensions_used,
        pending_extension_days=order.pending_extension_days,
        suggestion=_suggestion(report, city),
        suggested_unit=unit_ref(city, _suggested_unit(report, order, city)),
        duplicates=list(report.duplicates),  # suspected at intake (并单), most likely first
        merged_into=order.merged_into,
        merged_from=list(order.followers),
        reply=order.reply,
        rating=order.rating,
        rating_source=order.rating_source if order.rating is not None else None,
        callback_misses=order.callback_misses,
        supervision_reason=_supervision_reason(order),
        resolved_at=iso(order.resolved_at, city),
        closed_at=iso(order.closed_at, city),
        published_at=iso(order.published_at, city),
        case_title=order.case_title,
        allowed_actions=[_action_form(action, order, city) for action in allowed_actions(order, actor, ctx)],
        trail=[_timeline_entry(e, city, staff=True) for e in events],
        **_media(report, order),
    )


def _supervision_reason(order: WorkOrder) -> Ref | None:
    # Orders supervised before reasons were kept are red for being overdue: the only reason there was.
    if order.level is not Level.RED:
        return None
    code = order.supervision_reason or OVERDUE
    return Ref(code=code, name=SUPERVISION_LABELS[code])


def _action_form(action: str, order: WorkOrder, city: City) -> AllowedAction:
    """An action the user may take now, with the fields its form asks for: the console builds it from this."""
    rule = RULES[action]
    return AllowedAction(action=action, label=rule.label, fields=[_input(spec, order, city) for spec in rule.inputs])


def _input(spec: Input, order: WorkOrder, city: City) -> ActionField:
    return ActionField(
        name=spec.name,
        type=spec.kind.value,
        label=spec.label,
        required=spec.required,
        choices=spec.choices(order, city) if spec.choices else None,
        min=spec.minimum,
        # The city's own limit where it has one: the form offers what the effect accepts.
        max=spec.limit(city) if spec.limit else spec.maximum,
        max_length=spec.max_length,
        value=spec.initial(order) if spec.initial else None,
    )


def action_result(order: WorkOrder, city: City) -> ActionResult:
    return ActionResult(
        tracking_no=order.tracking_no,
        version=order.version,
        **_state(order.state),
        unit=unit_ref(city, order.unit),
        due_at=iso(order.due_at, city),
    )


def _question(question) -> CatalogQuestion:
    return CatalogQuestion(
        code=question.code,
        question=question.description,
        datatype=question.datatype,
        required=question.required,
        choices=[Choice(key=v.key, name=v.name) for v in question.values],
    )


def catalog(city: City) -> Catalog:
    """What the residents' form offers: types, categories, the area tree, media limits."""

    def area_node(area, around: Point | None) -> AreaNode:
        # Where the residents' page puts a request located by its area alone (no geolocation):
        # inside the area's shape, or its parent's when it has none (communities).
        centre = point_ref(*area.interior) if area.interior else around
        children = [area_node(c, centre) for c in area.children]
        return AreaNode(code=area.code, name=area.name, center=centre, children=children)

    return Catalog(
        city=Ref(code=city.code, name=city.name),
        types=[Ref(code=t.code, name=t.name) for t in city.types],
        categories=[
            CatalogCategory(code=c.code, name=c.name, questions=[_question(q) for q in c.questions])
            for c in city.categories
        ],
        areas=[area_node(a, None) for a in city.areas],
        media=MediaLimits(
            max_per_request=city.media.max_per_request,
            kinds={k: MediaKindLimits(max_bytes=v.max_bytes, types=list(v.types)) for k, v in city.media.kinds.items()},
        ),
        staff_channels=[Ref(code=code, name=name) for code, name in city.intake.staff_channels.items()],
    )
