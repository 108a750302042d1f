"""The city configuration: one YAML file per city, validated at load.

A city's request types, categories, areas, units, routing rules, time limits and
media limits are data, never code. ``load_city`` turns a file into a ``City``
or raises ``CityConfigError`` with every mistake listed by its path in the file.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, ValidationError, field_validator, model_validator

from chalicelib.domain.bounds import EXTENSION_DAYS_MAX, MEDIA_MAX
from chalicelib.domain.media_types import unchecked

CITIES_DIR = Path(__file__).parent / "cities"

E164_PATTERN = r"^\+[1-9][0-9]{6,14}$"

REQUIRED_TYPE_CODES = ("consult", "help", "complaint", "report", "suggestion", "praise")


class CityConfigError(ValueError):
    """The city file is missing, unreadable or inconsistent."""


class _Strict(BaseModel):
    # defer_build: validators are built when the city is first loaded, not at import.
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)


class TimeLimit(_Strict):
    """A handling limit: whole working days on the official calendar, or clock hours."""

    working_days: int | None = Field(default=None, ge=1, le=60)
    hours: int | None = Field(default=None, ge=1, le=24 * 30)

    @model_validator(mode="after")
    def _exactly_one(self) -> "TimeLimit":
        if (self.working_days is None) == (self.hours is None):
            raise ValueError("give exactly one of working_days or hours")
        return self


class RequestType(_Strict):
    code: str
    name: str
    limit: TimeLimit  # unused by a type that is information only
    # Information for the unit, not work (表扬): no handling deadline, no reminder or escalation; it
    # closes when the unit signs it, or by itself the city's information_close_days after it arrived.
    information_only: bool = False


# Open311 submissions name their request type (咨询, 投诉…) as the attribute "request_type".
REQUEST_TYPE_QUESTION = "request_type"
QuestionType = Literal["string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"]
LIST_QUESTION_TYPES = frozenset({"singlevaluelist", "multivaluelist"})


class Choice(_Strict):
    key: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    name: str


class Question(_Strict):
    """An extra question a category asks (an Open311 service attribute): the answers go with the order."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    description: str  # the question as the resident reads it
    datatype: QuestionType
    required: bool = False
    values: tuple[Choice, ...] = ()  # the choices of a list question

    @model_validator(mode="after")
    def _choices_fit(self) -> "Question":
        keys = [v.key for v in self.values]
        if self.datatype in LIST_QUESTION_TYPES and not keys:
            raise ValueError(f"a {self.datatype} question needs values")
        if self.datatype not in LIST_QUESTION_TYPES and keys:
            raise ValueError(f"a {self.datatype} question has no values")
        if len(set(keys)) != len(keys):
            raise ValueError("duplicate value keys")
        return self


class Category(_Strict):
    code: str
    name: str
    # Per-type overrides of the type's limit, e.g. {complaint: {hours: 24}}.
    limits: dict[str, TimeLimit] = Field(default_factory=dict)
    questions: tuple[Question, ...] = ()

    @cached_property
    def question_by_code(self) -> dict[str, Question]:
        return {q.code: q for q in self.questions}


def _checked_geometry(value: dict | None) -> dict | None:
    from chalicelib.domain.geo import geometry_problems

    if value is None:
        return None
    problems = geometry_problems(value)
    if problems:
        raise ValueError("; ".join(problems))
    return value


class Area(_Strict):
    code: str
    name: str
    # GeoJSON Polygon/MultiPolygon ([lng, lat], WGS-84): the area a point is derived to.
    # Districts and streets have one; communities may omit it.
    geometry: dict | None = None
    children: tuple["Area", ...] = ()

    @field_validator("geometry")
    @classmethod
    def _valid_geometry(cls, value: dict | None) -> dict | None:
        return _checked_geometry(value)

    @cached_property
    def interior(self) -> tuple[float, float] | None:
        """A point inside the shape, (lng, lat): where its label goes, and a request located by the
        area alone. Worked out once per process (the city is loaded once)."""
        from chalicelib.domain.geo import interior_point

        return interior_point(self.geometry) if self.geometry else None


UnitKind = Literal["command_centre", "department", "district", "street", "community", "enterprise"]


class Unit(_Strict):
    code: str
    name: str
    kind: UnitKind
    parent: str | None = None
    phone: str | None = Field(default=None, pattern=E164_PATTERN)  # the unit's duty phone


class RoutingRule(_Strict):
    """Category (+ optional area, matching every area below it) → unit."""

    category: str
    area: str | None = None
    unit: str


class MediaKind(_Strict):
    max_bytes: int = Field(gt=0)
    types: tuple[str, ...] = Field(min_length=1)

    @field_validator("types")
    @classmethod
    def _checkable(cls, types: tuple[str, ...]) -> tuple[str, ...]:
        # An upload's bytes are checked against its type after the fact (domain/media_types.py):
        # a type with no signature there could not be checked, so it may not be offered.
        unknown = unchecked(types)
        if unknown:
            raise ValueError(f"no content check for {', '.join(unknown)} (domain/media_types.py)")
        return types


class MediaPolicy(_Strict):
    max_per_request: int = Field(default=9, ge=0, le=MEDIA_MAX)  # the submission model's bound
    kinds: dict[Literal["photo", "video", "audio"], MediaKind]


class _TimeSpan(_Strict):
    """A daily span between two local times."""

    start: dt.time
    end: dt.time

    @field_validator("start", "end", mode="before")
    @classmethod
    def _not_a_number(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted 9:30 as the number 570, which pydantic would take as seconds.
        if isinstance(value, (int, float)):
            raise ValueError('write the time as quoted text, e.g. "08:30"')
        return value

    @field_validator("start", "end")
    @classmethod
    def _local(cls, value: dt.time) -> dt.time:
        if value.tzinfo is not None:
            raise ValueError("give a local time without a time zone (the city's timezone applies)")
        return value


class OfficeHours(_TimeSpan):
    start: dt.time = dt.time(8, 30)
    end: dt.time = dt.time(17, 30)

    @model_validator(mode="after")
    def _ordered(self) -> "OfficeHours":
        if self.start >= self.end:
            raise ValueError("start must be before end")
        return self


class QuietHours(_TimeSpan):
    """When non-urgent SMS wait; may run past midnight (22:00–07:30)."""

    start: dt.time = dt.time(22, 0)
    end: dt.time = dt.time(7, 30)


class DuplicatePolicy(_Strict):
    """When a new request is linked to an earlier one as a suspected duplicate (并单).

    An open request of the same category made within ``window_days``, either within
    ``distance_m`` and with text at least ``min_similarity`` alike, or from the same
    verified phone. The lookup reads the geohash cells a circle of ``distance_m`` touches,
    so the distance is capped: a larger one would read more cells per request.
    """

    distance_m: float = Field(default=200, gt=0, le=500)
    window_days: int = Field(default=7, ge=1, le=30)
    min_similarity: float = Field(default=0.08, gt=0, le=1)

    @property
    def window(self) -> dt.timedelta:
        return dt.timedelta(days=self.window_days)


class HotspotPolicy(_Strict):
    """When ``threshold`` or more requests of one category fall in one cell within the window (未诉先办)."""

    threshold: int = Field(default=5, ge=2)
    window_hours: int = Field(default=72, ge=1, le=720)

    @property
    def window(self) -> dt.timedelta:
        return dt.timedelta(hours=self.window_hours)


# A staff intake channel's code (intake.staff_channels): like a partner channel's, "_" allowed.
STAFF_CHANNEL_CODE = r"^[a-z][a-z0-9_-]{0,31}$"


class IntakePolicy(_Strict):
    """What intake does with the category suggestion (智能预判), duplicates (并单) and hotspots (未诉先办)."""

    # A request filed under "other" is auto-dispatched by the suggested category only when
    # the classifier is at least this sure; below it, it waits for the dispatcher.
    auto_dispatch_confidence: float = Field(default=0.6, gt=0, le=1)
    duplicates: DuplicatePolicy = Field(default_factory=DuplicatePolicy)
    hotspots: HotspotPolicy = Field(default_factory=HotspotPolicy)
    # The channels staff take a request in by themselves (a call to the centre, a visit, a letter):
    # code → label. The one list of them: the operators' intake and the batch import (a row's
    # ``channel``) take these and no other; an ``external_id`` is claimed per channel, so the codes
    # may be neither a partner channel's nor the residents' own (``web``).
    staff_channels: dict[
        Annotated[str, StringConstraints(pattern=STAFF_CHANNEL_CODE)],
        Annotated[str, StringConstraints(min_length=1, max_length=20)],
    ] = Field(default_factory=dict)


class ExtensionPolicy(_Strict):
    max_count: int = Field(default=3, ge=0)
    max_working_days: int = Field(default=3, ge=1, le=EXTENSION_DAYS_MAX)  # the API model's bound


def _working_days(days: int):
    return Field(default_factory=lambda: TimeLimit(working_days=days))


class DeadlinePolicy(_Strict):
    """When an order is reminded, escalated and returned, besides its handling limit."""

    signing_limit: TimeLimit = _working_days(1)
    # Still unsigned this long after the signing limit: back to the dispatcher.
    unsigned_return_after: TimeLimit = _working_days(1)
    warning_share: float = Field(default=0.8, gt=0, lt=1)
    red_grace: TimeLimit = _working_days(2)


# The channel of the residents' own page and app; partner channels are listed in the city file.
WEB_CHANNEL = "web"


class Channel(_Strict):
    """A partner intake channel (合作渠道: the 12345 hotline, the grid system…), submitting with API keys of its own."""

    code: str = Field(pattern=r"^[a-z][a-z0-9-]{0,31}$")
    name: str
    # The partner has checked the caller's phone itself (a hotline operator on the call, a grid
    # worker on the spot): its named submissions count as verified (实名) without an SMS code.
    vouches_for_contact: bool = False
    # The submit event's note in the audit trail: who took the request and why no SMS code was asked.
    note: str = Field(min_length=1, max_length=200)


# What the public Open311 reads leave out when the city file does not say: 举报 (reports of
# wrongdoing) and 治安 (public security), whose reporters the city promises to protect.
UNPUBLISHED_TYPES = frozenset({"report"})
UNPUBLISHED_CATEGORIES = frozenset({"public_security"})


class Open311Publication(_Strict):
    """What Open311's keyless reads (requests, tokens, servicerequestupdates) show; see ``City.publication``."""

    types: tuple[str, ...] | None = None  # the request types listed; None: all but UNPUBLISHED_TYPES
    categories: tuple[str, ...] | None = None  # the categories listed; None: all but UNPUBLISHED_CATEGORIES
    rejected: bool = False  # whether a rejected request stays listed
    # Categories about public space (a road, a street light): their exact point and address as sent,
    # where crews and passers-by need them. Every other one shows its grid cell's centre and area.
    public_space: tuple[str, ...] = ()
    photos: tuple[str, ...] | None = None  # categories whose photos are linked; None: the public_space ones
    grid_m: int = Field(default=100, ge=50, le=1000)  # the side of a coarse point's grid cell, in metres


@dataclass(frozen=True)
class Publication:
    """``open311.publish`` with its defaults filled in."""

    types: frozenset[str]
    categories: frozenset[str]
    rejected: bool
    exact: frozenset[str]  # the public-space categories
    photos: frozenset[str]
    grid_m: int


class Open311Settings(_Strict):
    """The Open311 GeoReport v2 interface: what it says about itself (service discovery), what it publishes."""

    contact: str = ""  # how to reach the people who run the interface
    key_service: str = ""  # how a partner gets an API key
    # Sortable; changed whenever the services or their definitions change, so clients refresh their copies.
    changeset: str = ""
    # The request type of an Open311 submission that names none (attribute[request_type]).
    default_type: str = "complaint"
    publish: Open311Publication = Field(default_factory=Open311Publication)


class DutyLeader(_Strict):
    name: str
    phone: str = Field(pattern=E164_PATTERN)


# Each template's placeholders; a template may use any of its own, and no others. Every one is
# the city's or the system's own words (numbers, dates, names from this file): none is the
# resident's, so no text — least of all one to a duty phone — can carry what a submitter typed.
SMS_TEMPLATES: dict[str, frozenset[str]] = {
    "received": frozenset({"tracking_no", "query_code", "category"}),
    "dispatched": frozenset({"tracking_no", "unit", "due_date"}),
    "extension_granted": frozenset({"tracking_no", "unit", "due_date"}),
    "resolved": frozenset({"tracking_no", "unit"}),
    "answered": frozenset({"tracking_no"}),  # 当场答复: resolved at intake, by no unit
    "reopened": frozenset({"tracking_no", "unit", "due_date"}),
    "otp": frozenset({"code", "minutes"}),
    "staff_new_order": frozenset({"tracking_no", "category", "area", "type", "sign_due"}),
    "staff_digest": frozenset({"minutes", "count", "numbers"}),
    "staff_reopened": frozenset({"tracking_no", "due_date"}),
    "staff_sign_reminder": frozenset({"tracking_no", "sign_due"}),
    "staff_warning": frozenset({"tracking_no", "unit", "due_date"}),
    "staff_yellow": frozenset({"tracking_no", "unit", "due_date"}),
    "leader_red": frozenset({"tracking_no", "unit", "due_date", "category"}),
    "merged": frozenset({"tracking_no", "main_no"}),
    "staff_priority": frozenset({"tracking_no", "unit", "due_date", "category"}),
    # An information-only request (表扬) reaching its unit: in place of dispatched and staff_new_order.
    "information_dispatched": frozenset({"tracking_no", "unit", "type"}),
    "staff_information": frozenset({"tracking_no", "category", "type"}),
    "staff_co_handle": frozenset({"tracking_no", "unit", "category", "due_date"}),
}
# Names a template might reach for that hold what the resident gave: refused by name, so the city
# file's author is told why (an anonymous submitter would otherwise write under the city's signature).
RESIDENTS_TEXT = frozenset({"summary", "description", "address", "comment", "name", "phone"})


class StaffDigest(_Strict):
    """A duty phone's new orders beyond ``after`` in a window of ``minutes`` come as one text."""

    after: int = Field(default=5, ge=1)
    # The digest is an SQS message delayed to the window's end: SQS delays 15 minutes at most.
    minutes: int = Field(default=10, ge=1, le=15)


CountryCode = Annotated[str, Field(pattern=r"^[1-9][0-9]{0,2}$")]


class SmsPolicy(_Strict):
    signature: str = Field(min_length=1, max_length=20)  # sent as 【signature】 before each text
    quiet_hours: QuietHours = Field(default_factory=QuietHours)
    daily_cap_per_phone: int = Field(default=10, ge=1)
    staff_digest: StaffDigest = Field(default_factory=StaffDigest)
    # The countries whose phones may be sent a verification code (E.164 codes, without "+"); "86":
    # mainland mobiles. Every other number is refused: premium-rate ones are how SMS is pumped.
    otp_country_codes: tuple[CountryCode, ...] = Field(default=("86",), min_length=1)
    templates: dict[str, str]

    @field_validator("otp_country_codes")
    @classmethod
    def _distinct(cls, codes: tuple[str, ...]) -> tuple[str, ...]:
        if len(set(codes)) != len(codes):
            raise ValueError("duplicate country codes")
        return codes

    def text(self, template: str, **fields: str) -> str:
        """【signature】 and the template filled in: the whole SMS."""
        return f"【{self.signature}】" + self.templates[template].format(**fields)

    @model_validator(mode="after")
    def _known_placeholders(self) -> "SmsPolicy":
        import string

        problems = []
        missing = sorted(set(SMS_TEMPLATES) - set(self.templates))
        if missing:
            problems.append(f"templates: missing {', '.join(missing)}")
        for name, text in self.templates.items():
            if name not in SMS_TEMPLATES:
                problems.append(f"templates.{name}: unknown template")
                continue
            try:
                used = {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}
            except ValueError as exc:
                problems.append(f"templates.{name}: {exc}")
                continue
            quoting = sorted(used & RESIDENTS_TEXT)
            unknown = sorted(used - SMS_TEMPLATES[name])
            if quoting:
                problems.append(f"templates.{name}: {{{quoting[0]}}} would quote what the resident gave (no SMS may)")
            elif unknown:
                allowed = ", ".join(sorted(SMS_TEMPLATES[name]))
                problems.append(f"templates.{name}: unknown placeholder {{{unknown[0]}}} (allowed: {allowed})")
        if problems:
            raise ValueError("; ".join(problems))
        return self


class Caps(_Strict):
    """At most so many in a minute, an hour and a day (fixed windows of the city's clock); None: no cap."""

    minute: int | None = Field(default=None, ge=1)
    hour: int | None = Field(default=None, ge=1)
    day: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _nested(self) -> "Caps":
        given = [(span, cap) for span, cap in self.windows]
        if not given:
            raise ValueError("give at least one of minute, hour or day")
        for (span, cap), (wider, wider_cap) in zip(given, given[1:]):
            if cap > wider_cap:
                raise ValueError(f"{span} ({cap}) is above {wider} ({wider_cap}): it could never be reached")
        return self

    @property
    def windows(self) -> list[tuple[str, int]]:
        return [(span, cap) for span, cap in (("minute", self.minute), ("hour", self.hour), ("day", self.day)) if cap]


def _caps(minute: int | None = None, hour: int | None = None, day: int | None = None):
    return Field(default_factory=lambda: Caps(minute=minute, hour=hour, day=day))


class OtpLimits(_Strict):
    """POST /otp: each code is an SMS the city pays for."""

    per_ip: Caps = _caps(5, 20, 50)
    city: Caps = _caps(60, 1000, 10000)


class SubmissionLimits(_Strict):
    """POST /requests and Open311's POST requests: each order is stored, routed and texted about."""

    per_ip: Caps = _caps(10, 60, 200)  # anonymous (web) submissions
    per_key: Caps = _caps(60, 1000, 5000)  # a partner channel's key
    city: Caps = _caps(120, 2000, 20000)  # every submission, whatever its source


class QueryCodeLimits(_Strict):
    """Wrong query codes (tracking, rating): counted per tracking number and per source IP."""

    per_number: Caps = _caps(hour=10)
    per_ip: Caps = _caps(hour=10)


class Limits(_Strict):
    otp: OtpLimits = Field(default_factory=OtpLimits)
    submissions: SubmissionLimits = Field(default_factory=SubmissionLimits)
    query_codes: QueryCodeLimits = Field(default_factory=QueryCodeLimits)


class City(_Strict):
    code: str
    name: str
    tracking_prefix: str = Field(pattern=r"^[A-Z]{1,4}$")
    timezone: str = "Asia/Shanghai"
    review_required: bool = False
    # The main unit resolves only once every co-unit (协办单位) has replied; else with a note why not.
    co_reply_required: bool = False
    auto_close_days: int = Field(default=7, ge=1)
    # 回访: after this many callbacks that reach nobody, a resolved order closes unrated (as auto_close_days).
    callback_attempts: int = Field(default=3, ge=1, le=10)
    # 不满意专项督办: a 1–2 star rating (online or by callback) puts the reopened order on the red list at once.
    supervise_dissatisfied: bool = True
    # An information-only request (表扬) the unit has not signed closes by itself after this many days.
    information_close_days: int = Field(default=7, ge=1)
    office_hours: OfficeHours = Field(default_factory=OfficeHours)
    extensions: ExtensionPolicy = Field(default_factory=ExtensionPolicy)
    intake: IntakePolicy = Field(default_factory=IntakePolicy)
    deadlines: DeadlinePolicy = Field(default_factory=DeadlinePolicy)
    # Days the official calendar does not know yet (a new year's 调休 notice).
    extra_holidays: tuple[dt.date, ...] = ()
    extra_workdays: tuple[dt.date, ...] = ()
    types: tuple[RequestType, ...]
    categories: tuple[Category, ...]
    areas: tuple[Area, ...]
    # The city's whole territory (GeoJSON, WGS-84): requests located outside it are refused.
    # None: no jurisdiction check.
    boundary: dict | None = None
    units: tuple[Unit, ...]
    routing: tuple[RoutingRule, ...] = ()
    media: MediaPolicy
    sms: SmsPolicy
    leader_on_duty: DutyLeader | None = None
    channels: tuple[Channel, ...] = ()
    open311: Open311Settings = Field(default_factory=Open311Settings)
    limits: Limits = Field(default_factory=Limits)

    @field_validator("boundary")
    @classmethod
    def _valid_boundary(cls, value: dict | None) -> dict | None:
        return _checked_geometry(value)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "City":
        problems: list[str] = []
        type_codes = [t.code for t in self.types]
        missing = sorted(set(REQUIRED_TYPE_CODES) - set(type_codes))
        if missing:
            problems.append(f"types: missing {', '.join(missing)}")
        for label, codes in (
            ("types", type_codes),
            ("categories", [c.code for c in self.categories]),
            ("areas", [a.code for a in _walk(self.areas)]),
            ("units", [u.code for u in self.units]),
            ("channels", [c.code for c in self.channels]),
            *((f"categories.{c.code}.questions", [q.code for q in c.questions]) for c in self.categories),
        ):
            dupes = sorted({c for c in codes if codes.count(c) > 1})
            if dupes:
                problems.append(f"{label}: duplicate codes {', '.join(dupes)}")
        units = {u.code: u for u in self.units}
        for u in self.units:
            if u.parent is not None and u.parent not in units:
                problems.append(f"units.{u.code}: unknown parent {u.parent!r}")
        problems += _cycles(units)
        areas = {a.code for a in _walk(self.areas)}
        categories = {c.code for c in self.categories}
        for c in self.categories:
            for type_code in c.limits:
                if type_code not in type_codes:
                    problems.append(f"categories.{c.code}.limits: unknown type {type_code!r}")
        for c in self.categories:
            if REQUEST_TYPE_QUESTION in (q.code for q in c.questions):
                problems.append(f"categories.{c.code}.questions: {REQUEST_TYPE_QUESTION!r} is reserved for the request type")
        if WEB_CHANNEL in {c.code for c in self.channels}:
            problems.append(f"channels: {WEB_CHANNEL!r} is the residents' own channel, not a partner's")
        for code in sorted(set(self.intake.staff_channels) & ({WEB_CHANNEL} | {c.code for c in self.channels})):
            problems.append(f"intake.staff_channels: {code!r} is already the code of a partner channel or of web")
        if self.open311.default_type not in type_codes:
            problems.append(f"open311.default_type: unknown type {self.open311.default_type!r}")
        problems += _publication_problems(self.open311.publish, set(type_codes), categories)
        for i, rule in enumerate(self.routing):
            if rule.category not in categories:
                problems.append(f"routing[{i}]: unknown category {rule.category!r}")
            if rule.area is not None and rule.area not in areas:
                problems.append(f"routing[{i}]: unknown area {rule.area!r}")
            if rule.unit not in units:
                problems.append(f"routing[{i}]: unknown unit {rule.unit!r}")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # ---- lookups used by the domain ------------------------------------
    @cached_property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @cached_property
    def type_by_code(self) -> dict[str, RequestType]:
        return {t.code: t for t in self.types}

    @cached_property
    def category_by_code(self) -> dict[str, Category]:
        return {c.code: c for c in self.categories}

    @cached_property
    def publication(self) -> Publication:
        policy = self.open311.publish

        def listed(given: tuple[str, ...] | None, every, unsaid: frozenset[str]) -> frozenset[str]:
            return frozenset(every) - unsaid if given is None else frozenset(given)

        exact = frozenset(policy.public_space)
        return Publication(
            types=listed(policy.types, self.type_by_code, UNPUBLISHED_TYPES),
            categories=listed(policy.categories, self.category_by_code, UNPUBLISHED_CATEGORIES),
            rejected=policy.rejected,
            exact=exact,
            photos=listed(policy.photos, exact, frozenset()),
            grid_m=policy.grid_m,
        )

    @cached_property
    def channel_by_code(self) -> dict[str, Channel]:
        return {c.code: c for c in self.channels}

    @cached_property
    def unit_by_code(self) -> dict[str, Unit]:
        return {u.code: u for u in self.units}

    @cached_property
    def area_parent(self) -> dict[str, str | None]:
        parents: dict[str, str | None] = {}

        def visit(nodes: tuple[Area, ...], parent: str | None) -> None:
            for node in nodes:
                parents[node.code] = parent
                visit(node.children, node.code)

        visit(self.areas, None)
        return parents

    @cached_property
    def area_name(self) -> dict[str, str]:
        return {a.code: a.name for a in _walk(self.areas)}

    def area_path(self, code: str) -> list[str]:
        """The area and its ancestors, nearest first."""
        path = []
        current: str | None = code
        while current is not None:
            path.append(current)
            current = self.area_parent[current]
        return path

    def area_subtree(self, code: str) -> set[str]:
        return {a for a in self.area_parent if code in self.area_path(a)}

    def unit_path(self, code: str) -> list[str]:
        """The unit and its ancestors, nearest first."""
        path = []
        current: str | None = code
        while current is not None:
            path.append(current)
            current = self.unit_by_code[current].parent
        return path

    def unit_subtree(self, code: str) -> set[str]:
        return {u for u in self.unit_by_code if code in self.unit_path(u)}

    def is_within(self, unit: str, ancestor: str) -> bool:
        """True when ``unit`` is ``ancestor`` or lies below it."""
        return unit in self.unit_by_code and ancestor in self.unit_path(unit)

    def time_limit(self, type_code: str, category_code: str) -> TimeLimit:
        override = self.category_by_code[category_code].limits.get(type_code)
        return override or self.type_by_code[type_code].limit

    def media_kind(self, content_type: str) -> str | None:
        for kind, policy in self.media.kinds.items():
            if content_type in policy.types:
                return kind
        return None


def _walk(areas: tuple[Area, ...]):
    for area in areas:
        yield area
        yield from _walk(area.children)


def _publication_problems(policy: Open311Publication, types: set[str], categories: set[str]) -> list[str]:
    problems = [
        f"open311.publish.types: unknown type {code!r}" for code in policy.types or () if code not in types
    ]
    for name in ("categories", "public_space", "photos"):
        problems += [
            f"open311.publish.{name}: unknown category {code!r}"
            for code in getattr(policy, name) or ()
            if code not in categories
        ]
    return problems


def _cycles(units: dict[str, Unit]) -> list[str]:
    problems = []
    for code in units:
        seen = {code}
        current = units[code].parent
        while current is not None and current in units:
            if current in seen:
                problems.append(f"units.{code}: parent chain loops through {current!r}")
                break
            seen.add(current)
            current = units[current].parent
    return problems


def parse_city(text: str, source: str = "<city>") -> City:
    import yaml  # only here: a city is parsed once per container

    # libyaml's loader when the wheel has it: ten times faster on a cold start.
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    try:
        data = yaml.load(text, Loader=loader)  # noqa: S506 - a safe loader
    except yaml.YAMLError as exc:
        raise CityConfigError(f"{source}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise CityConfigError(f"{source}: expected a mapping at the top level")
    try:
        return City.model_validate(data)
    except ValidationError as exc:
        lines = [
            f"  {'.'.join(str(p) for p in err['loc']) or '(top)'}: {err['msg']}"
            for err in exc.errors(include_url=False)
        ]
        raise CityConfigError(f"{source}: invalid city configuration:\n" + "\n".join(lines)) from None


@lru_cache(maxsize=4)
def load_city(file_name: str) -> City:
    path = Path(file_name) if Path(file_name).is_absolute() else CITIES_DIR / file_name
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise CityConfigError(f"{path}: cannot read city file: {exc.strerror}") from None
    return parse_city(text, str(path))
