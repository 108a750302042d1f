"""Request bodies and query strings, as pydantic models.

The shape is checked here (types, lengths, ranges); whether a code names
something the city has (a category, an area, a unit) is checked by the
services against the city configuration.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    TypeAdapter,
    ValidationInfo,
    create_model,
    field_validator,
)

from chalicelib.domain.actions import Input, Kind, Rule
from chalicelib.domain.lifecycle import RULES
from chalicelib.domain.orders import Role
from chalicelib.domain.phones import to_e164

# The roles that act through POST /api/v1/staff/requests/{no}/actions: not the resident's rating.
STAFF_ROLES = frozenset(Role) - {Role.RESIDENT, Role.SYSTEM}

Code = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=64)]
ShortText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
LongText = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]
UploadId = Annotated[str, StringConstraints(min_length=1, max_length=200)]


def _e164(value: str) -> str:
    number = to_e164(value)
    if number is None:
        raise ValueError("请填写有效的手机号码（可接收短信）")
    return number


# A mainland mobile or an E.164 number, given back in E.164 (+8613812341234): SMS go
# to it, and one phone must look the same wherever it is stored or compared.
Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(_e164)]


# ASCII digits only: a pattern's \d would also take full-width ones.
OtpCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]


class _Body(BaseModel):
    # defer_build: a model's validator is built when first used, not on every cold start.
    model_config = ConfigDict(extra="forbid", defer_build=True)


class UploadRequest(_Body):
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=3, max_length=100)]
    size: int = Field(strict=True, gt=0)


class Location(_Body):
    # Strict: true or "42.9" is a client's mistake, not a coordinate.
    lat: float = Field(strict=True, ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(strict=True, ge=-180, le=180, allow_inf_nan=False)
    coord_system: Literal["wgs84", "gcj02"] = "wgs84"
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class Contact(_Body):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    phone: Phone
    # The SMS code that proves the phone (实名). Optional here so that an anonymous request
    # with a stray contact is not refused; a named one without it is (services/verification).
    otp: OtpCode | None = None


class SuggestRequest(_Body):
    """What the residents' page sends while the resident types (智能预判)."""

    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=2000)]
    location: Location | None = None
    area: Code | None = None


# An answer to one of a category's extra questions: a text, or the keys chosen from a list.
AnswerText = Annotated[str, StringConstraints(max_length=500)]
Answer = Union[AnswerText, Annotated[list[AnswerText], Field(max_length=20)]]


class SubmitRequest(_Body):
    type: Code
    category: Code
    description: Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=2000)]
    location: Location
    area: Code | None = None
    media: list[UploadId] = Field(default_factory=list, max_length=20)
    anonymous: bool = False
    contact: Contact | None = Field(default=None, validate_default=True)
    # The category's extra questions (catalogue: categories[].questions), by question code.
    answers: dict[Code, Answer] = Field(default_factory=dict, max_length=20)

    @field_validator("contact")
    @classmethod
    def _contact_unless_anonymous(cls, contact: Contact | None, info: ValidationInfo) -> Contact | None:
        if info.data.get("anonymous"):
            return None  # an anonymous request keeps no contact, even one sent by mistake
        if contact is None:
            raise ValueError("实名诉求须填写联系人和电话")
        return contact


class PartnerSubmitRequest(SubmitRequest):
    """A submission with a partner channel's API key: the partner may give its own id for it."""

    # A retry or re-sync with the same id from the same channel answers the order it made.
    external_id: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=128)] | None = None


# The Idempotency-Key header of a submission. The key is the only thing that ties a retry to
# its first answer (which holds the query code), so it must be unguessable: a UUID or 16+
# random characters, printable ASCII.
IdempotencyKey = Annotated[
    str, StringConstraints(strip_whitespace=True, min_length=16, max_length=128, pattern=r"^[ -~]+$")
]
IDEMPOTENCY_KEY = TypeAdapter(IdempotencyKey, config=ConfigDict(defer_build=True))


class ApiKeyRequest(_Body):
    """POST /api/v1/admin/channels/{channel}/api-keys: what the key is for (its holder, its system)."""

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class RatingRequest(_Body):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=32)]
    stars: int = Field(strict=True, ge=1, le=5)  # strict: true must not count as one star
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class OtpRequest(_Body):
    phone: Phone


class OtpVerifyRequest(_Body):
    phone: Phone
    code: OtpCode


class TrackQuery(_Body):
    """GET /api/v1/requests/{tracking_no}: the query code that opens the request."""

    # No length limit: a wrong code of any length answers the 404 an unknown number does.
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class OwnRequestsQuery(_Body):
    cursor: Annotated[str, StringConstraints(max_length=400)] | None = None
    limit: int = Field(default=20, ge=1, le=50)


class PageQuery(_Body):
    """A page of a list, newest first: ``cursor`` is the previous page's answer."""

    cursor: Annotated[str, StringConstraints(max_length=400)] | None = None
    limit: int = Field(default=20, ge=1, le=50)


class CasesQuery(PageQuery):
    """GET /api/v1/cases: the public case library, newest first, optionally by keyword."""

    q: Annotated[str, StringConstraints(strip_whitespace=True, max_length=50)] | None = None


class StaffListQuery(_Body):
    state: Code | None = None
    unit: Code | None = None
    category: Code | None = None
    area: Code | None = None
    type: Code | None = None
    level: Literal["normal", "warning", "yellow", "red"] | None = None  # ?level=red: the leaders' 督办 list
    # ?verified=true: the 实名 requests, which the command centre takes first (实名优先).
    verified: bool | None = None
    created_from: dt.date | None = Field(default=None, alias="from")
    created_to: dt.date | None = Field(default=None, alias="to")
    cursor: Annotated[str, StringConstraints(max_length=400)] | None = None
    limit: int = Field(default=20, ge=1, le=100)

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


# The most orders one CSV export holds (a Lambda answer must stay under 6 MB).
EXPORT_MAX_ROWS = 5000


class ExportQuery(StaffListQuery):
    """GET /api/v1/staff/export: the queue's filters; every order they select, up to ``limit``."""

    limit: int = Field(default=EXPORT_MAX_ROWS, ge=1, le=EXPORT_MAX_ROWS)


class StatsQuery(_Body):
    """GET /api/v1/staff/stats: a period of days, both included (default: the last 30 days)."""

    created_from: dt.date | None = Field(default=None, alias="from")
    created_to: dt.date | None = Field(default=None, alias="to")

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


# ---- staff actions: one model per action (lifecycle.RULES), told apart by "action" ----------

class _Action(_Body):
    # Strict: true or 2.0 is a client's mistake, not a version (true would pass for version 1).
    version: int = Field(strict=True, ge=1, description="The order's version the action was decided on")


def _field(spec: Input) -> tuple[Any, Any]:
    """The pydantic type and default of one of an action's inputs."""
    if spec.kind in (Kind.TEXT, Kind.LONG_TEXT, Kind.UNIT):
        kind: Any = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=spec.max_length)]
    elif spec.kind is Kind.UNITS:
        return list[Code], Field(max_length=spec.max_length)
    elif spec.kind is Kind.UPLOADS:
        return list[UploadId], Field(default_factory=list, max_length=spec.max_length)
    elif spec.kind is Kind.INTEGER:
        return int, Field(ge=spec.minimum, le=spec.maximum)
    else:
        kind = bool
    if spec.required:
        return kind, ...
    return (bool, False) if kind is bool else (kind | None, None)


def _model(action: str, rule: Rule) -> type[_Action]:
    fields = {spec.name: _field(spec) for spec in rule.inputs}
    name = rule.model or action.title().replace("_", "")
    return create_model(name, __base__=_Action, __doc__=rule.doc, action=(Literal[str(action)], ...), **fields)


def staff_actions(rules: Mapping[str, Rule]) -> Any:
    """The body of a staff action: one model for each rule a member of staff may take, in the rules' order."""
    models = tuple(_model(name, rule) for name, rule in rules.items() if rule.roles & STAFF_ROLES)
    return Annotated[Union[models], Field(discriminator="action")]


StaffAction = staff_actions(RULES)
STAFF_ACTION = TypeAdapter(StaffAction, config=ConfigDict(defer_build=True))
