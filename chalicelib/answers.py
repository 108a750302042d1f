"""The API answers, as pydantic models: what the views build and the OpenAPI document's response schemas.

Each shape is written once, here. The services build every answer as its model (the views of
an order in services/views.py, the catalogue, an upload's grant, the OTP answers, the hotspots,
the API keys, the dashboard's figures, the console's), so an answer that leaves out a field or
adds one the model does not name fails where it is built; api/http.respond takes nothing else
and writes them in the order the fields are declared here (the document's, api/openapi.py).
The API tests hold every success to the very model api/operations.py names for it
(tests/openapi_conformance.py). Only the OpenAPI document itself, made from these, is a dict.

Every field is required (an answer always carries every key, null when it has no
value) unless it says otherwise; no answer carries a key its model does not name.
Models build on first use (``defer_build``): a cold start pays only for the ones its
first request answers with.
"""
from __future__ import annotations

import datetime as dt
from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema, model_serializer

from chalicelib.city import QuestionType
from chalicelib.domain.actions import Kind
from chalicelib.domain.bounds import MAX_STARS, SATISFIED_FROM
from chalicelib.domain.orders import Level, Role, State

# ISO 8601 in the city's time, with its offset: 2026-11-21T09:30:00+08:00. The views give it as
# views.iso writes it; it goes out as given (+00:00 stays, where pydantic would write Z), and the
# document says date-time as it did for a plain datetime.
Timestamp = Annotated[
    dt.datetime,
    PlainSerializer(lambda moment: moment.isoformat(timespec="seconds"), return_type=str, when_used="json"),
    WithJsonSchema({"format": "date-time", "type": "string"}, mode="serialization"),
]


class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)


class _WrittenFirst(_Answer):
    """An answer whose clients have always read ``written_first`` first, though the document lists
    the fields in declaration order (shared pieces first): they go out first, the document is as it was."""

    written_first: ClassVar[tuple[str, ...]] = ()

    @model_serializer(mode="wrap")
    def _in_written_order(self, write):
        written = write(self)
        return {**{name: written[name] for name in self.written_first}, **written}


# ---- the one error format ---------------------------------------------------------

class ErrorDetail(_Answer):
    code: str = Field(description="For programs: validation_failed, not_found, conflict, rate_limited…")
    message: str = Field(description="For people, in Chinese")
    fields: dict[str, str] = Field(description="Each bad field (dotted path, or a header's name) and what is wrong")


class Error(_Answer):
    """Every 4xx and 5xx answer under /api/v1."""

    error: ErrorDetail


# ---- pieces shared by several answers -----------------------------------------------

class Ref(_Answer):
    """Something of the city's, by its code and its name: a type, a category, a unit, an area."""

    code: str
    name: str


class Point(_Answer):
    """WGS-84 degrees."""

    lat: float
    lng: float


class MediaLink(_Answer):
    kind: str = Field(description="photo, video or audio")
    url: str = Field(description="A presigned GET that expires")
    expires_in: int = Field(description="Seconds")


class LevelRef(_Answer):
    code: Level
    label: str


class _Classified(_Answer):
    type: Ref
    category: Ref
    area: Ref | None


class _StateShown(_Answer):
    status: str = Field(description="As residents read it: 已受理, 处理中, 已办结")
    state: State
    state_label: str


class TimelineEntry(_Answer):
    """One step of an order, as its resident sees it."""

    at: Timestamp
    action: str = Field(description="submit, or the lifecycle's action")
    label: str
    state_label: str
    note: str | None


class TrailActor(_Answer):
    role: Role
    id: str
    unit: Ref | None


class TrailEntry(TimelineEntry):
    """One entry of the audit trail (全程留痕), as staff see it."""

    seq: int
    actor: TrailActor
    from_state: State | None
    to_state: State
    public: bool


# ---- residents ----------------------------------------------------------------------

class Choice(_Answer):
    key: str
    name: str


class CatalogQuestion(_Answer):
    code: str
    question: str
    datatype: QuestionType
    required: bool
    choices: list[Choice]


class CatalogCategory(_Answer):
    code: str
    name: str
    questions: list[CatalogQuestion]


class AreaNode(_Answer):
    code: str
    name: str
    center: Point | None = Field(description="Where a request located by this area alone is put (inside its shape)")
    children: list[AreaNode]


class MediaKindLimits(_Answer):
    max_bytes: int
    types: list[str]


class MediaLimits(_Answer):
    max_per_request: int
    kinds: dict[str, MediaKindLimits] = Field(description="By kind: photo, video, audio")


class Catalog(_Answer):
    """What the residents' form offers."""

    city: Ref
    types: list[Ref]
    categories: list[CatalogCategory]
    areas: list[AreaNode]
    media: MediaLimits
    staff_channels: list[Ref] = Field(description="How staff take a request down (代客录入): a staff request's channel")


class UploadTicket(_Answer):
    """A presigned POST: send the file to ``url`` with ``fields``, then name ``upload_id`` in ``media``."""

    upload_id: str
    kind: str
    url: str
    fields: dict[str, str]
    expires_in: int = Field(description="Seconds")


class Submitted(_StateShown, _WrittenFirst):
    written_first = ("tracking_no", "query_code")

    tracking_no: str
    query_code: str = Field(description="Shown this once: with the tracking number it opens the request")
    unit: Ref | None
    due_at: Timestamp | None
    message: str


class Followed(_StateShown):
    """The order a merged request follows (并单): its progress and reply only."""

    tracking_no: str
    unit: Ref | None
    due_at: Timestamp | None
    reply: str | None
    timeline: list[TimelineEntry]
    result_media: list[MediaLink]


class PublicDetail(_Classified, _StateShown):
    """A request as the resident who holds its query code sees it."""

    tracking_no: str
    description: str
    address: str | None
    created_at: Timestamp
    unit: Ref | None
    due_at: Timestamp | None
    reply: str | None
    merged_into: str | None
    rating: int | None
    can_rate: bool
    timeline: list[TimelineEntry]
    media: list[MediaLink]
    result_media: list[MediaLink]
    main: Followed | None = Field(
        default=None,
        description="Only on a merged request: the order it follows",
        exclude_if=lambda main: main is None,  # absent, not null, on the others
    )


class ActionResult(_StateShown):
    tracking_no: str
    version: int
    unit: Ref | None
    due_at: Timestamp | None


class RatingResult(ActionResult):
    message: str


class Case(_Classified):
    """A published case (典型案例库), masked: no contact, address, coordinates or media."""

    tracking_no: str
    title: str | None
    description: str
    reply: str | None
    rating: int | None
    created_at: Timestamp
    resolved_at: Timestamp | None
    published_at: Timestamp | None


class _Page(_Answer):
    cursor: str | None = Field(description="The next page's cursor; null on the last page")


class CasePage(_Page):
    items: list[Case]


class SuggestedCategory(_Answer):
    code: str
    name: str
    confidence: float


class Suggestion(_Answer):
    """智能预判: the likeliest categories, the unit routing picks, published cases of the top category."""

    categories: list[SuggestedCategory]
    unit: Ref | None
    cases: list[Case]


class OtpSent(_Answer):
    expires_in: int = Field(description="Seconds the code lives")
    resend_in: int = Field(description="Seconds before another code may be asked for")


class ResidentToken(_Answer):
    token: str = Field(description="Bearer token for GET /api/v1/me/requests")
    expires_in: int


class OwnRequest(_Classified, _StateShown):
    tracking_no: str
    summary: str
    unit: Ref | None
    created_at: Timestamp
    due_at: Timestamp | None


class OwnRequestPage(_Page):
    items: list[OwnRequest]


# ---- staff ----------------------------------------------------------------------------

class QueueItem(_Classified):
    tracking_no: str
    summary: str
    state: State
    state_label: str
    unit: Ref | None
    priority: bool
    verified: bool
    round: int
    created_at: Timestamp
    due_at: Timestamp | None
    level: LevelRef


class QueuePage(_Page):
    items: list[QueueItem]


class LabelledAnswer(_Answer):
    code: str
    question: str
    answer: str


class StoredLocation(_Answer):
    lat: float
    lng: float
    coord_system: str
    address: str | None
    wgs84: Point = Field(description="The same point in WGS-84, where the map pin goes")


class ContactShown(_Answer):
    name: str
    phone: str
    masked: bool = Field(description="True: 张*, 138****1234 (the caller may not see it in clear)")


class TimeLeft(_Answer):
    seconds: int = Field(description="Negative once overdue")
    overdue: bool
    text: str


class CategorySuggestion(_Answer):
    code: str
    name: str
    confidence: float | None


FieldType = Literal[tuple(kind.value for kind in Kind)]


class ActionField(_Answer):
    """One field of an action's form (lifecycle.RULES declares it)."""

    name: str
    type: FieldType
    label: str
    required: bool
    choices: list[str] | None = Field(description="unit and units: the codes of the units the form offers")
    min: int | None
    max: int | None = Field(description="integer: the largest value the city accepts")
    max_length: int | None = Field(description="text: characters; units, files: items")
    value: bool | int | str | list[str] | None = Field(description="What the form starts with for this order")


class AllowedAction(_Answer):
    action: str
    label: str
    fields: list[ActionField]


class CoUnitReply(_Answer):
    """A co-unit (协办单位) and its part of the answer this round, or that it is still pending."""

    unit: Ref
    pending: bool
    reply: str | None


class Assignee(_Answer):
    """The person of the unit handling an order (承办人)."""

    id: str = Field(description="The staff account's subject (the token's sub)")
    name: str


class StaffDetail(_Classified, _StateShown):
    tracking_no: str
    version: int = Field(description="Send it back with an action")
    channel: str
    external_id: str | None
    answers: list[LabelledAnswer]
    description: str
    location: StoredLocation
    anonymous: bool
    verified: bool
    contact: ContactShown | None
    created_at: Timestamp
    unit: Ref | None
    co_units: list[Ref]
    co_replies: list[CoUnitReply] = Field(description="Each co-unit's reply this round, or that it is pending")
    co_pending_note: str | None = Field(description="Why the order was resolved with a co-unit's reply pending")
    assignee: Assignee | None
    priority: bool
    round: int
    dispatched_at: Timestamp | None
    signed_at: Timestamp | None
    sign_due_at: Timestamp | None
    due_at: Timestamp | None
    level: LevelRef
    supervised_at: Timestamp | None
    time_left: TimeLeft | None
    extensions_used: int
    pending_extension_days: int | None
    suggestion: CategorySuggestion | None
    suggested_unit: Ref | None = Field(description="What routing picks for the suggested category: the dispatch form's default")
    duplicates: list[str]
    merged_into: str | None
    merged_from: list[str]
    reply: str | None
    rating: int | None
    rating_source: Literal["online", "callback"] | None = Field(
        description="How the rating was taken: online by the resident, or by phone (回访)"
    )
    callback_misses: int = Field(description="Callbacks (回访) this round that did not reach the resident")
    supervision_reason: Ref | None = Field(
        description="Why the order is on the red list (督办): overdue or dissatisfied; None unless level is red"
    )
    resolved_at: Timestamp | None
    closed_at: Timestamp | None
    published_at: Timestamp | None
    case_title: str | None
    allowed_actions: list[AllowedAction]
    trail: list[TrailEntry]
    media: list[MediaLink]
    result_media: list[MediaLink]


class Hotspot(_Answer):
    id: str
    category: Ref
    area: Ref | None
    center: Point
    count: int
    tracking_nos: list[str]
    raised_at: Timestamp
    last_at: Timestamp
    active: bool


class HotspotPage(_Page, _WrittenFirst):
    written_first = ("items",)

    items: list[Hotspot]


# ---- batch imports (hotline records, letters) -------------------------------------------

class ImportAccepted(_Answer):
    import_id: str = Field(description="GET /api/v1/staff/imports/{import_id} follows it")


class ImportRowResult(_Answer):
    row: int = Field(description="The data row's number in the file, 1 for the first under the header")
    status: Literal["created", "existing", "refused"]
    tracking_no: str | None = Field(description="The order it made, or made before (existing)")
    errors: dict[str, str] | None = Field(
        description="A refused row's problems: column → message, as a submission's 422 fields"
    )


class ImportProgress(_Answer):
    import_id: str
    total: int
    done: int
    created: int
    existing: int
    refused: int
    state: Literal["queued", "running", "done"]
    created_at: Timestamp
    results: list[ImportRowResult] | None = Field(description="When done: a page of the rows' results, in row order")
    cursor: str | None = Field(description="The next page of results' cursor; null on the last page")


# ---- administrators ---------------------------------------------------------------------

class ChannelSummary(_Answer):
    code: str
    name: str
    vouches_for_contact: bool
    note: str | None
    active_keys: int


class ChannelList(_Answer):
    items: list[ChannelSummary]


class ApiKey(_Answer):
    channel: str
    key_id: str
    label: str | None
    active: bool
    created_at: Timestamp
    created_by: str
    revoked_at: Timestamp | None
    revoked_by: str | None


class IssuedApiKey(ApiKey):
    api_key: str = Field(description="The key itself: shown in this answer only")


class ApiKeyList(_Answer):
    items: list[ApiKey]


class Document(BaseModel):
    """An OpenAPI 3.1 document."""

    model_config = ConfigDict(extra="allow", defer_build=True)

    openapi: str
    info: dict
    paths: dict


# ---- the staff pages: the dashboard's figures, the city's map, how to sign in -----------

class Counters(_Answer):
    """A period's counts (domain/stats.py COUNTERS): orders received in it, as they stand now."""

    submitted: int
    assigned: int = Field(description="Reached a unit")
    signed: int
    resolved: int
    on_time: int = Field(description="Resolved by their due time")
    replied: int = Field(description="Replied to at least once")
    redo: int = Field(description="Sent back by a bad rating (重办)")
    rated: int
    stars: int
    satisfied: int = Field(description=f"Rated {SATISFIED_FROM} to {MAX_STARS} stars")
    handling_seconds: int = Field(description="From receipt to resolution, summed")
    priority: int = Field(description="Made 重点办 (the priority action)")
    supervised: int = Field(description="Put on the red list (督办: long overdue, or rated 1–2 stars)")
    rated_by_callback: int = Field(description="Rated by phone (回访)")
    praise: int = Field(description="Praise (表扬); under by_unit, the praise each unit received")
    co_handled: int = Field(description="Co-handled (协办) by the unit: counted on the units' rows only")


class Rates(_Answer):
    """Shares from 0 to 1; null where there is nothing to divide by."""

    signing: float | None = Field(description="签收率: signed / reached a unit")
    on_time: float | None = Field(description="按时办结率: resolved by the due time / resolved")
    satisfaction: float | None = Field(description="满意率: rated 3–5 / rated")
    redo: float | None = Field(description="重办率: sent back by a bad rating / replied")
    average_stars: float | None
    average_handling_hours: float | None


class Period(_Answer):
    # "from" is a keyword: the field is from_, built and written as "from".
    model_config = ConfigDict(extra="forbid", defer_build=True, validate_by_name=True, serialize_by_alias=True)

    from_: dt.date = Field(alias="from")
    to: dt.date
    days: int


class DailyCounters(Counters, _WrittenFirst):
    written_first = ("day",)

    day: dt.date


class StateCount(_Answer):
    code: State
    name: str
    count: int


class StatsEntry(_Answer):
    code: str
    name: str
    counts: Counters
    rates: Rates


class AreaStats(StatsEntry):
    """An area with the orders of the areas below it."""

    parent: str | None
    depth: int


class UnitStats(StatsEntry):
    score: float | None = Field(description="The mean of the unit's signing, on-time and satisfaction rates (红黑榜)")


class HeatCell(_Answer):
    cell: str = Field(description="The geohash cell, as the hotspot alerts count")
    lng: float = Field(description="Its centre")
    lat: float
    count: int


class HeatCells(_Answer):
    precision: int = Field(description="The geohash precision of the cells")
    items: list[HeatCell]


class Stats(_Answer):
    """The dashboard's figures for a period of days of receipt."""

    period: Period
    totals: Counters
    rates: Rates
    daily: list[DailyCounters]
    by_state: list[StateCount]
    by_type: list[StatsEntry]
    by_category: list[StatsEntry]
    by_area: list[AreaStats]
    by_unit: list[UnitStats] = Field(description="The units that hold orders of the period, best first")
    cells: HeatCells


class MapArea(_Answer):
    code: str
    name: str
    parent: str | None
    depth: int
    geometry: dict | None = Field(description="GeoJSON Polygon or MultiPolygon, WGS-84")
    label_at: Point | None


class MapUnit(_Answer):
    code: str
    name: str
    kind: str
    parent: str | None


class CityMap(_Answer):
    city: Ref
    boundary: dict | None = Field(description="GeoJSON Polygon or MultiPolygon, WGS-84")
    areas: list[MapArea]
    units: list[MapUnit]


class SignInClaims(_Answer):
    roles: str = Field(description="The token claim that holds the roles")
    unit: str = Field(description="The token claim that holds a handler's unit")


class SignIn(_Answer):
    """OpenID Connect (authorization code with PKCE) for the staff pages."""

    authorize_url: str
    token_url: str
    client_id: str
    scope: str
    claims: SignInClaims


class Tiles(_Answer):
    url: str = Field(description="A raster tile template: …/{z}/{x}/{y}.png")
    attribution: str


class ConsoleConfig(_Answer):
    auth: SignIn | None = Field(description="null: sign-in is not configured for this stage")
    tiles: Tiles | None = Field(description="null: the map draws the city's shapes only")


class Csv(_Answer):
    """text/csv (UTF-8 with a byte order mark): the queue's columns, one order a row."""


# ---- a unit's people and their workload -------------------------------------------------

class Person(_Answer):
    """A staff account of a unit, from the identity provider: no contact data."""

    id: str = Field(description="The account's subject: what assign's assignee and ?assignee= name")
    name: str
    roles: list[Role]


class People(_Answer):
    unit: Ref
    people: list[Person]


class LevelCounts(_Answer):
    red: int
    yellow: int
    warning: int
    normal: int


class Load(_Answer):
    open: int = Field(description="Open orders (submitted, dispatched, in progress, awaiting review)")
    by_level: LevelCounts


class PersonLoad(Load):
    id: str
    name: str
    unit: Ref | None = Field(description="The person's unit; null for someone no longer among the units' people")


class Workload(_Answer):
    unit: Ref
    people: list[PersonLoad]
    unassigned: Load
