"""The bodies of the residents', the partners' and the admins' requests (the staff's actions: commands/actions.py)."""
from __future__ import annotations

from typing import Annotated, Literal, Union

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StringConstraints,
    ValidationInfo,
    field_validator,
    model_validator,
)

from chalicelib.commands.base import Body, Code, UploadId
from chalicelib.domain.bounds import MAX_STARS, MEDIA_MAX, MIN_STARS
from chalicelib.domain.phones import to_e164


def _e164(value: str) -> str:
    number = to_e164(value)
    if number is None:
        raise ValueError("请填写有效的手机号码（可接收短信）")
    return number


# What the resident says happened: the same bounds while typing (suggestions) as when submitting.
Description = Annotated[str, StringConstraints(strip_whitespace=True, min_length=5, max_length=2000)]


# A mainland mobile or an E.164 number, given back in E.164 (+8613812341234): SMS go
# to it, and one phone must look the same wherever it is stored or compared.
Phone = Annotated[str, StringConstraints(max_length=32), AfterValidator(_e164)]


# ASCII digits only: a pattern's \d would also take full-width ones.
OtpCode = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^[0-9]{6}$")]


class UploadRequest(Body):
    filename: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=255)]
    content_type: Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True, min_length=3, max_length=100)]
    size: int = Field(strict=True, gt=0)


class Location(Body):
    # Strict: true or "42.9" is a client's mistake, not a coordinate.
    lat: float = Field(strict=True, ge=-90, le=90, allow_inf_nan=False)
    lng: float = Field(strict=True, ge=-180, le=180, allow_inf_nan=False)
    coord_system: Literal["wgs84", "gcj02"] = "wgs84"
    address: Annotated[str, StringConstraints(strip_whitespace=True, max_length=200)] | None = None


class Contact(Body):
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)]
    phone: Phone
    # The SMS code that proves the phone (实名). Optional here so that an anonymous request
    # with a stray contact is not refused; a named one without it is (services/verification).
    otp: OtpCode | None = None


class SuggestRequest(Body):
    """What the residents' page sends while the resident types (智能预判)."""

    description: Description
    location: Location | None = None
    area: Code | None = None


# An answer to one of a category's extra questions: a text, or the keys chosen from a list.
AnswerText = Annotated[str, StringConstraints(max_length=500)]
Answer = Union[AnswerText, Annotated[list[AnswerText], Field(max_length=20)]]


class _Report(Body):
    """What every submission says of the problem, whoever types it in."""

    type: Code
    category: Code
    description: Description
    location: Location
    area: Code | None = None
    media: list[UploadId] = Field(default_factory=list, max_length=MEDIA_MAX)
    # The category's extra questions (catalogue: categories[].questions), by question code.
    answers: dict[Code, Answer] = Field(default_factory=dict, max_length=20)


class SubmitRequest(_Report):
    anonymous: bool = False
    contact: Contact | None = Field(default=None, validate_default=True)

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


class Caller(Body):
    """Who called, wrote or came in (代客录入): a caller may stay anonymous, or leave a phone."""

    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=30)] | None = None
    phone: Phone | None = None

    @model_validator(mode="after")
    def _no_name_without_phone(self) -> "Caller":
        # A name nobody can reach is no contact: the order keeps a contact as a name and a phone.
        if self.name is not None and self.phone is None:
            raise ValueError("留下姓名的来电人须留电话；不留电话的按匿名受理")
        return self


class IntakeDispatch(Body):
    unit: Code


class IntakeAnswer(Body):
    reply: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=2000)]


# What a contact is called whose caller left a phone and no name.
UNNAMED_CALLER = "来电人"


class StaffSubmitRequest(_Report):
    """POST /api/v1/staff/requests: a request an operator takes down (a call, a visit, a letter)."""

    channel: Code = Field(description="One of the city's staff intake channels (intake.staff_channels), e.g. phone")
    caller: Caller = Field(default_factory=Caller)
    received_at: AwareDatetime | None = Field(default=None, description="When the call came; not in the future")
    dispatch: IntakeDispatch | None = Field(default=None, description="Dispatched in the same step")
    answer: IntakeAnswer | None = Field(default=None, description="当场答复: answered on the line, stored resolved")

    @model_validator(mode="after")
    def _one_step(self) -> "StaffSubmitRequest":
        if self.dispatch is not None and self.answer is not None:
            raise ValueError("派单与当场答复只能选其一")
        return self

    # As intake reads a resident's submission: the caller's phone makes it a named request.
    @property
    def anonymous(self) -> bool:
        return self.caller.phone is None

    @property
    def contact(self) -> Contact | None:
        if self.caller.phone is None:
            return None
        return Contact(name=self.caller.name or UNNAMED_CALLER, phone=self.caller.phone)


class ApiKeyRequest(Body):
    """POST /api/v1/admin/channels/{channel}/api-keys: what the key is for (its holder, its system)."""

    label: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]


class RatingRequest(Body):
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=4, max_length=32)]
    stars: int = Field(strict=True, ge=MIN_STARS, le=MAX_STARS)  # strict: true must not count as one star
    comment: Annotated[str, StringConstraints(strip_whitespace=True, max_length=500)] | None = None


class OtpRequest(Body):
    phone: Phone


class OtpVerifyRequest(Body):
    phone: Phone
    code: OtpCode
