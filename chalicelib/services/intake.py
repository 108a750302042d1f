"""Intake: presigned uploads and the submission of a request.

Uploads: ``POST /uploads`` grants a presigned POST whose policy pins the content type
and caps the size, and an upload id that carries the key, the declared type and size
and, when a staff bearer token asked, whom it is for, signed. A submission takes
residents' uploads only, a resolve the acting staff member's own (services/staff.py).
Before anything is numbered or copied, each upload is checked as stored: there, of the
declared type and size (S3 enforces the policy, emulators do not), and its first bytes
those of its type (one ranged GET; domain/media_types.py), since S3 keeps whatever
bytes come with the type. An upload is attached once: the same id twice in one request
is refused, and each attached upload is claimed (``upload#…``) in the transaction of
the order or the resolve that attaches it, read first so a used one is refused early.

A submission flows one way: it is checked against the city's catalogue; then what it
needs is gathered (the SMS code's use, the uploads as above, a tracking number from an
atomic daily counter, the neighbours, the category suggestion, the sealed contact); then
one pure decision (domain/intake.py ``decide``) makes the order, its first events, the
SMS they cause and the dashboard's tallies; then that is written in one transaction. An ``Idempotency-Key`` makes the whole of it
happen once: a retry gets the first answer back, including its query code,
which the idempotency record keeps sealed with the field cipher; a retry whose first
run stored the order but lost its answer is answered from that order, not refused for
the uploads that run attached.

A named submission proves its phone with an SMS code (``contact.otp``), used up
in the order's own transaction: one code makes one order, a failed write leaves
the code usable, and a keyed retry is answered from the idempotency record
without needing the code again.

A partner channel (the 12345 hotline, the grid system, an Open311 client) submits
through the same path with a ``Source`` of its own (services/channels.py makes it
from the channel's API key): no SMS code is asked, the submit event's note says
so, a channel that vouches for its callers makes the request verified (实名), and
the partner's ``external_id`` and the Open311 token are claimed in the order's own
transaction, so a retried or re-synced submission cannot make a second order.

A category's extra questions (the city file's ``questions``) are answered in
``answers``, checked like the rest of the catalogue.

Jurisdiction: the location is taken to WGS-84 (GCJ-02 from Chinese map SDKs is
converted) and must lie within the city's boundary, else 422 outside_jurisdiction.
When the resident chose no area, the area is the deepest district or street whose
shape holds the point; a chosen area is kept. The order stores the location as the
resident sent it (with its coord_system); the WGS-84 point used for the check is
not stored, being a deterministic function of it (``geo.wgs84_of``).

Duplicates and hotspots (services/nearby.py): the new request is compared with the
recent ones of its category around its point and of its verified phone; suspected
duplicates are listed on it for the dispatcher, who merges it (before a unit signs for
it) or lets it be, and its cell's hotspot alert is raised once the cell has enough.
"""
from __future__ import annotations

import hmac
import json
from dataclasses import dataclass, replace
from typing import Any

from chalicelib import storage
from chalicelib.adapters.crypto import get_cipher
from chalicelib.adapters.media import UPLOAD_PREFIX, get_media_store
from chalicelib.answers import Submitted, UploadTicket
from chalicelib.commands.bodies import SubmitRequest, UploadRequest
from chalicelib.city import WEB_CHANNEL, City
from chalicelib.domain import questions
from chalicelib.domain.codes import new_query_code, tracking_number
from chalicelib.domain.errors import Conflict, InvalidInput, OutsideJurisdiction, StaleWrite
from chalicelib.domain.geo import contains, wgs84_of
from chalicelib.domain.intake import Gathered, Step, Submission, decide
from chalicelib.domain.lifecycle import RESIDENT, Actor, Context
from chalicelib.domain.media_types import HEAD_BYTES, matches
from chalicelib.domain.reports import Location, Media
from chalicelib.observability import count, logger
from chalicelib.services import nearby, notify, runtime, suggestions, verification, views
from chalicelib.settings import get_settings

_MEGABYTE = 1024 * 1024
_KIND_LABELS = {"photo": "图片", "video": "视频", "audio": "录音"}


# ---- uploads -----------------------------------------------------------------

@dataclass(frozen=True)
class Upload:
    key: str
    content_type: str
    size: int
    kind: str
    owner: str | None = None  # the staff member it was made for (``uploader_tag``); None: a resident's

    @property
    def claim(self) -> storage.Claim:
        """Put with the order that attaches the upload: an upload is attached once."""
        return storage.Claim(storage.upload_claim(self.key.removeprefix(UPLOAD_PREFIX)))


def create_upload(request: UploadRequest, uploader: Actor | None = None) -> UploadTicket:
    """A presigned POST for one file; ``uploader``: the staff member asking (a resolve's result
    photo), whose upload only they may attach. Without one, a resident's, for a submission."""
    city = runtime.city()
    kind = city.media_kind(request.content_type)
    if kind is None:
        allowed = "、".join(t for k in city.media.kinds.values() for t in k.types)
        raise InvalidInput("不支持的文件类型", {"content_type": f"仅支持 {allowed}"})
    limit = city.media.kinds[kind].max_bytes
    if request.size > limit:
        raise InvalidInput(
            f"{_KIND_LABELS[kind]}不能超过 {limit // _MEGABYTE} MB", {"size": f"不能超过 {limit // _MEGABYTE} MB"}
        )
    store, ttl = get_media_store(), get_settings().upload_ttl_seconds
    key = store.new_upload_key()
    post = store.presign_upload(key, request.content_type, request.size, ttl)
    owner = uploader_tag(uploader) if uploader is not None else None
    return UploadTicket(
        upload_id=_upload_id(key, request.content_type, request.size, owner),
        kind=kind,
        url=post["url"],
        fields=post["fields"],
        expires_in=ttl,
    )


def uploader_tag(actor: Actor) -> str:
    """Who a staff upload is for, as its id carries it: a keyed hash of the staff id (the subject),
    which the id need not show; 64 bits, as the id is signed and the tag only tells staff apart."""
    return get_cipher().keyed_hash("upload-owner", actor.id)[:16]


def _upload_id(key: str, content_type: str, size: int, owner: str | None = None) -> str:
    """The upload's key, what was declared for it and whom it is for, signed so a client cannot alter them.

    ``<key>.<size>.<type>[.<owner>].<signature>``: no part has a dot (the types are those
    domain/media_types.py knows, "/" written "_").
    """
    parts = [key.removeprefix(UPLOAD_PREFIX), str(size), content_type.replace("/", "_")]
    body = ".".join(parts if owner is None else [*parts, owner])
    return f"{body}.{get_cipher().sign(body)}"


def _declared_upload(upload_id: str, city: City) -> Upload | None:
    body, _, signature = upload_id.rpartition(".")
    # As bytes: compare_digest refuses str with non-ASCII characters, and an id is client input.
    if not body or not hmac.compare_digest(signature.encode(), get_cipher().sign(body).encode()):
        return None
    parts = body.split(".")
    if len(parts) not in (3, 4):
        return None
    content_type = parts[2].replace("_", "/", 1)
    kind = city.media_kind(content_type)
    if kind is None:  # a type the city offered once and no longer does
        return None
    owner = parts[3] if len(parts) == 4 else None
    return Upload(f"{UPLOAD_PREFIX}{parts[0]}", content_type, int(parts[1]), kind, owner)


_MISSING_UPLOAD = "附件不存在或未上传完成，请重新上传"
_REPEATED_UPLOAD = "同一附件只能添加一次"
_USED_UPLOAD = "附件已使用，不能再次提交，请重新上传"
_NOT_YOURS = "附件不是您本人上传的，请重新上传"
_UPLOAD_PROBLEMS = "附件有误，请检查后重新上传"


class UploadsUsed(InvalidInput):
    """Some of the uploads are attached already: to another submission or resolve, or to an earlier run
    of this very submission whose answer was lost."""


def verified_uploads(upload_ids: list[str], city: City, field: str, owner: str | None = None) -> list[Upload]:
    """The uploads as S3 holds them, each matching what was declared for it (type, size, first bytes),
    each made for ``owner`` (a staff member's ``uploader_tag``; None: a resident's) and attached nowhere.

    Whether one is attached already is read first (one BatchGetItem), so a used upload is refused
    before anything is numbered or copied; the claim in the order's own transaction settles a race.
    """
    declared, problems = {}, {}
    for i, upload_id in enumerate(upload_ids):
        upload = _declared_upload(upload_id, city)
        if upload is None:
            problems[f"{field}.{i}"] = _MISSING_UPLOAD
        elif upload.owner != owner:
            problems[f"{field}.{i}"] = _NOT_YOURS
        elif upload.key in {u.key for u in declared.values()}:
            problems[f"{field}.{i}"] = _REPEATED_UPLOAD  # nine copies of one 100 MB video
        else:
            declared[f"{field}.{i}"] = upload
    used = storage.taken_claims([upload.claim.name for upload in declared.values()])
    for at, upload in declared.items():
        problem = _USED_UPLOAD if upload.claim.name in used else _stored_problem(upload, city)
        if problem:
            problems[at] = problem
    if used:
        raise UploadsUsed(_UPLOAD_PROBLEMS, problems)
    if problems:
        raise InvalidInput(_UPLOAD_PROBLEMS, problems)
    return list(declared.values())


def _stored_problem(upload: Upload, city: City) -> str | None:
    """What is wrong with the upload as stored, if anything: S3 enforces the POST policy (emulators
    do not), but stores whatever bytes come with the type it pins."""
    stored = get_media_store().inspect(upload.key, HEAD_BYTES)
    if stored is None:
        return _MISSING_UPLOAD
    if stored.content_type != upload.content_type:
        return "附件类型与申请上传时不符"
    if stored.size > upload.size or stored.size > city.media.kinds[upload.kind].max_bytes:
        return "附件大小超过限制"
    if not matches(upload.content_type, stored.head):
        return f"文件内容与类型不符，请上传真实的{_KIND_LABELS[upload.kind]}文件"
    return None


def used_upload(taken: storage.ClaimTaken, uploads: list[Upload], field: str) -> UploadsUsed | None:
    """The 422 when ``taken`` is one of ``uploads``' claims: attached elsewhere between its check and
    this write (a race)."""
    for i, upload in enumerate(uploads):
        if taken.claim.name == upload.claim.name:
            return UploadsUsed(_UPLOAD_PROBLEMS, {f"{field}.{i}": _USED_UPLOAD})
    return None


def attachments(uploads: list[Upload], prefix: str) -> list[Upload]:
    """Where ``attach_uploads`` copies the uploads: under the order's prefix."""
    return [
        replace(upload, key=f"{prefix}{n}-{upload.key.removeprefix(UPLOAD_PREFIX)}")
        for n, upload in enumerate(uploads, start=1)
    ]


def attach_uploads(uploads: list[Upload], targets: list[Upload], field: str) -> None:
    """Copy the uploads (``verified_uploads`` of ``field``) to their ``attachments``, out of reach of the
    unattached-upload expiry; 422 if one has gone since it was checked (expired, deleted)."""
    for n, (upload, target) in enumerate(zip(uploads, targets)):
        if not get_media_store().attach(upload.key, target.key):
            raise InvalidInput("附件有误，请检查后重新上传", {f"{field}.{n}": _MISSING_UPLOAD})


# ---- submission --------------------------------------------------------------

def check_catalogue(city: City, request: SubmitRequest) -> None:
    problems = {}
    if request.type not in city.type_by_code:
        problems["type"] = "未知的诉求类型"
    if request.category not in city.category_by_code:
        problems["category"] = "未知的问题分类"
    if request.area is not None and request.area not in city.area_parent:
        problems["area"] = "未知的区域"
    if len(request.media) > city.media.max_per_request:
        problems["media"] = f"附件最多 {city.media.max_per_request} 个"
    if request.category in city.category_by_code:
        problems |= questions.problems(city.category_by_code[request.category], request.answers)
    if problems:
        raise InvalidInput("输入有误，请检查标出的字段", problems)
    check_jurisdiction(city, request.location)


def check_jurisdiction(city: City, location) -> None:
    if city.boundary is not None and not contains(city.boundary, *wgs84_of(location)):
        raise OutsideJurisdiction(
            f"本平台受理{city.name}范围内的诉求，您所选位置不在{city.name}。",
            {"location": f"所选位置不在{city.name}范围内"},
        )


# ---- category suggestion (智能预判) ------------------------------------------------

def suggest_category(city: City, description: str) -> tuple[str, float] | None:
    """The classifier's top category for the description (one the city has) and its probability.

    Never fails a submission: without a usable model there is simply no suggestion.
    """
    try:
        best = suggestions.ranked(city, description)[:1]
    except Exception:  # noqa: BLE001 - a suggestion is a help, never a reason to refuse a request
        logger.exception("category suggestion failed")
        return None
    return (best[0][0], round(best[0][1], 4)) if best else None


@dataclass(frozen=True)
class Source:
    """Where a submission comes from: the residents' own page and app (``WEB``), or a partner channel."""

    channel: str = WEB_CHANNEL
    actor: Actor = RESIDENT  # who the submit event names
    note: str | None = None  # the submit event's note: who took the request, and why no SMS code
    needs_otp: bool = True  # a named request proves its phone with an SMS code
    vouches_for_contact: bool = False  # the partner checked the phone itself: verified (实名) without a code
    external_id: str | None = None  # the partner's own id for the request: one order per channel
    token: str | None = None  # the Open311 token of the submission
    step: Step | None = None  # staff's intake: dispatched or answered in the same step (domain/intake.py)

    def claims(
        self, tracking_no: str, query_code: str, idempotency_key: str | None, fingerprint: str | None
    ) -> list[storage.Claim]:
        """What the order claims for itself, in its own transaction; ``fingerprint``: the keyed request's."""
        claims = []
        answered = self.external_id is not None or idempotency_key is not None
        sealed = get_cipher().seal(query_code, tracking_no) if answered else None  # a retry gets the same code
        if self.external_id is not None:
            claims.append(storage.Claim(storage.external_claim(self.channel, self.external_id), sealed, self.token))
        if self.token is not None:
            claims.append(storage.Claim(storage.token_claim(self.token)))
        if idempotency_key is not None:
            claims.append(storage.Claim(key_claim(idempotency_key), sealed, self.token, fingerprint))
        return claims


def key_claim(idempotency_key: str) -> str:
    """The claim of a submission's Idempotency-Key, under a keyed hash: the key is the client's secret."""
    return storage.idempotency_claim(get_cipher().keyed_hash("idempotency-key", idempotency_key))


def request_fingerprint(payload: dict) -> str:
    """What a keyed submission asked for, as its key's claim keeps it: a keyed hash of the canonical JSON."""
    return get_cipher().keyed_hash("idempotency-request", json.dumps(payload, sort_keys=True, ensure_ascii=False))


def answered_before(claim: storage.Claimed, fingerprint: str | None = None) -> Submitted:
    """What the submission that made ``claim`` was answered: its order (as it is now) and its query code.

    With ``fingerprint`` (an Idempotency-Key's claim), only for the request that made it: the claim
    outlives Powertools' 24-hour record, and a key is bound to its body for as long as it exists.
    """
    if fingerprint is not None and claim.request_fingerprint != fingerprint:
        from chalicelib.services.idempotency import KeyReused

        raise KeyReused("该幂等键已用于另一份不同的提交", {"Idempotency-Key": "已用于不同的内容"})
    order = storage.get_order(claim.tracking_no).order
    return views.submitted(order, get_cipher().open(claim.query_code, claim.tracking_no), runtime.city())


WEB = Source()


def submit(
    request: SubmitRequest, idempotency_key: str | None, lambda_context: Any = None, source: Source = WEB
) -> Submitted:
    check_catalogue(runtime.city(), request)
    if idempotency_key is None:
        return _create(request, source=source)
    from chalicelib.services import idempotency  # only keyed submissions need it

    payload = request.model_dump(mode="json")
    return idempotency.once(_create, idempotency_key, payload, lambda_context, request=request, source=source)


def _create(request: SubmitRequest, data: dict | None = None, source: Source = WEB) -> dict:
    """Create the order. ``data`` is what Powertools hashes into the idempotency key (None: no key).

    Powertools marks a key done only after this returns: if that mark is lost (DynamoDB refuses
    it, the Lambda times out first), the key's in-progress mark expires and a retry runs this
    again. So the key is also claimed in the order's transaction, and a run that finds it taken
    answers as the first did.
    """
    key = data["key"] if data else None
    fingerprint = request_fingerprint(data["request"]) if data else None
    if key is not None and (earlier := storage.get_claim(key_claim(key))) is not None:
        return answered_before(earlier, fingerprint)  # its first run stored it; the answer was lost
    ctx = runtime.domain_context()
    city = ctx.city
    contact = request.contact
    otp = verification.offer(contact.phone, contact.otp, "contact.otp") if contact and source.needs_otp else None
    vouched = contact is not None and source.vouches_for_contact
    # The phone is proven by its SMS code, or vouched for by the partner (the hotline spoke to the caller).
    phone_hash = otp.phone_hash if otp else verification.phone_hash(contact.phone) if vouched else None
    try:
        uploads = verified_uploads(request.media, city, "media")
    except UploadsUsed as used:
        return _answer_of_an_earlier_run(source, key, fingerprint, used)
    # Only now, with nothing left that could refuse the input, is a number taken: a refused
    # submission costs the day's sequence nothing.
    tracking_no = _next_tracking_no(ctx)
    attached = attachments(uploads, f"media/{tracking_no}/")
    query_code = new_query_code()
    around, gathered = _gather(request, ctx, tracking_no, attached, query_code, phone_hash)
    decision = decide(_asked(request, source), gathered, ctx)
    claims = source.claims(tracking_no, query_code, key, fingerprint) + [upload.claim for upload in uploads]
    try:
        attach_uploads(uploads, attached, "media")
        storage.create_order(decision, otp=otp, claims=claims)
    except Exception as exc:
        _discard(attached)  # those made, and those not: the prefix is this attempt's own
        if key is not None and isinstance(exc, storage.ClaimTaken) and exc.claim.name == key_claim(key):
            return answered_before(storage.get_claim(exc.claim.name), fingerprint)  # a retry raced this one
        if isinstance(exc, storage.ClaimTaken) and (used := used_upload(exc, uploads, "media")):
            raise used from None
        if isinstance(exc, storage.OtpRejected):  # used by a concurrent submission since it was tried
            raise verification.refused("contact.otp") from None
        if isinstance(exc, StaleWrite):  # another transaction on its code or claims, or its number taken
            raise SubmissionCollided("提交未能保存，请重试", {}) from None
        raise
    nearby.raise_hotspot(city, tracking_no, around)
    count("RequestSubmitted")
    logger.info(
        "request submitted",
        tracking_no=tracking_no,
        category=request.category,
        auto_dispatched=decision.order.unit is not None,
        suspected_duplicates=len(around.duplicates),
    )
    return views.submitted(decision.order, query_code, city)


def _asked(request: SubmitRequest, source: Source) -> Submission:
    return Submission(
        type=request.type,
        category=request.category,
        area=request.area,
        description=request.description,
        location=Location(**request.location.model_dump()),
        anonymous=request.anonymous,
        answers=request.answers,
        has_contact=request.contact is not None,
        channel=source.channel,
        actor=source.actor,
        note=source.note,
        external_id=source.external_id,
        step=source.step,
    )


def _gather(
    request: SubmitRequest, ctx: Context, tracking_no: str, attached: list[Upload], query_code: str,
    phone_hash: str | None,
) -> tuple[nearby.Surroundings, Gathered]:
    """The neighbours, the suggestion and the seals: what the decision reads besides the request."""
    point = wgs84_of(request.location)
    around = nearby.look_around(
        ctx.city, nearby.incoming(request.category, point, request.description, phone_hash, ctx.now)
    )
    contact = request.contact
    cipher = get_cipher()
    return around, Gathered(
        tracking_no=tracking_no,
        point=point,
        media=tuple(Media(u.key, u.content_type, u.size, u.kind) for u in attached),
        contact=cipher.seal(contact.model_dump(exclude={"otp"}), tracking_no) if contact else None,
        query_code_hash=query_code_hash(tracking_no, query_code),
        received_payload=notify.seal_payload(tracking_no, {"query_code": query_code}) if contact else {},
        phone_hash=phone_hash,
        suggestion=suggest_category(ctx.city, request.description),
        geo_cell=around.geo_cell,
        duplicates=tuple(around.duplicates),
    )


def _answer_of_an_earlier_run(source: Source, key: str | None, fingerprint: str | None, used: UploadsUsed) -> dict:
    """A submission whose uploads are attached already: answered as its earlier run was, if that run
    stored it (its answer lost: the Lambda timed out, say), else refused with ``used``."""
    if key is not None and (earlier := storage.get_claim(key_claim(key))) is not None:
        return answered_before(earlier, fingerprint)
    if source.external_id is not None:
        name = storage.external_claim(source.channel, source.external_id)
        if storage.get_claim(name) is not None:
            raise storage.ClaimTaken(storage.Claim(name))  # the partner's retry: answered with that order
    raise used


class SubmissionCollided(Conflict):
    """The order's transaction was cancelled by a condition or a concurrent transaction: nothing was
    written, and the same submission tried again is stored (with a new number, if its own was taken)."""

    retry_after = 1


def _discard(attached: list[Upload]) -> None:
    """No order, so no copies: the originals stay under uploads/ for a retry."""
    if not attached:
        return
    try:
        get_media_store().delete([u.key for u in attached])
    except Exception:  # noqa: BLE001 - the write's own error is the one to report
        logger.exception("could not delete the media copies of a failed submission")


def query_code_hash(tracking_no: str, query_code: str) -> str:
    return get_cipher().keyed_hash("query-code", tracking_no, query_code)


def _next_tracking_no(ctx: Context) -> str:
    prefix = ctx.city.tracking_prefix
    day = ctx.now.astimezone(ctx.city.zone).date()
    return tracking_number(prefix, day, storage.next_sequence(f"{prefix}#{day:%Y%m%d}"))
