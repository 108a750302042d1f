"""Every operation under /api/v1, in one list: what the OpenAPI document is made of.

Each entry names the route (method, path, and the Chalice view that serves it), the
pydantic models its handler validates the body and the query with (chalicelib/commands/, api/schemas.py),
the models of its answers (chalicelib/answers.py), who may call it, and the errors it
may answer besides those its inputs imply. The document (api/openapi.py) is built
from this list only, and a test holds the list to ``app.routes``: a route added to
app.py without its entry here fails it, as does an entry left behind.

Open311 (/open311/v2) is not here: it is form-encoded and answers JSON or XML as the
GeoReport v2 specification says, and is described by that specification (README).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from pydantic import BaseModel, TypeAdapter

from chalicelib import answers as out
from chalicelib.api.schemas import OwnRequestsQuery, TrackQuery
from chalicelib.commands import bodies as into
from chalicelib.commands.actions import STAFF_ACTION
from chalicelib.commands.queries import (
    CasesQuery,
    ExportQuery,
    ImportResultsQuery,
    PageQuery,
    StaffListQuery,
    StatsQuery,
    WorkloadQuery,
)
from chalicelib.domain.imports import COLUMNS, MAX_BYTES, MAX_ROWS
from chalicelib.domain.bounds import MIN_STARS, SATISFIED_FROM
from chalicelib.domain.orders import Role

STAFF = (Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.ADMIN)
COMMAND_CENTRE = (Role.DISPATCHER, Role.LEADER)
# The operator (话务员) answers callers about any order: reads the queue and the detail city-wide,
# takes no action on an order but the callback (回访: POST …/actions answers 403 for every other).
READERS = (*STAFF, Role.OPERATOR)
INTAKE = (Role.OPERATOR, Role.DISPATCHER)  # 代客录入 (services/operators.py)

# What the path parameters are (they are whole path segments, checked by the services).
PATH_PARAMETERS = {
    "tracking_no": "受理编号 (tracking number), e.g. LY202611210001; case and spaces are forgiven",
    "channel": "A partner channel's code (the city file's channels), e.g. hotline",
    "key_id": "An API key's id (12 hex digits), as listed",
    "unit": "A unit's code (the city file's units), e.g. lsq-cg",
    "import_id": "A batch import's id (32 hex digits), as POST /api/v1/staff/imports answered",
    "phone": "A caller's phone: a mainland mobile or E.164, e.g. 13904371234 or +8613904371234",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    view: str  # the Chalice view function: also the document's operationId
    tag: str
    summary: str
    answers: Mapping[int, type[BaseModel]]  # the success statuses and what each answers
    body: tuple[type[BaseModel] | TypeAdapter, ...] = ()  # a JSON body, any one of these
    query: type[BaseModel] | None = None
    roles: tuple[Role, ...] = ()  # staff roles that may call it: a staff bearer token is needed
    resident: bool = False  # a resident's bearer token (POST /otp/verify) is needed
    staff_optional: bool = False  # a staff bearer token may be sent (and is checked if it is)
    partner_key: bool = False  # X-Api-Key may be sent (a partner channel's submission)
    idempotency_key: bool = False  # Idempotency-Key may be sent
    errors: tuple[int, ...] = ()  # error statuses besides those the inputs and the auth imply
    description: str = ""
    notes: Mapping[int, str] = field(default_factory=dict)  # what a status means here, if not the usual
    media_type: str = "application/json"  # of the success answers (errors are always JSON)
    csv_body: str = ""  # a text/csv body instead of JSON: what its columns are

    @property
    def path_parameters(self) -> list[str]:
        return [part[1:-1] for part in self.path.split("/") if part.startswith("{")]

    @property
    def error_statuses(self) -> list[int]:
        implied = set(self.errors)
        if self.body or self.csv_body:
            implied |= {400, 415, 422}
        if self.query is not None:
            implied.add(422)
        if self.path_parameters:
            implied.add(404)
        if self.roles:
            implied |= {401, 403}
        if self.resident:
            implied.add(401)
        # Any operation may meet AWS throttling or an outage: 503 with Retry-After.
        return sorted(implied | {500, 503})


V1 = "/api/v1"
_CODE_TRIES = (
    "Too many query-code tries in the hour on this number, or from this source IP (rate_limited, "
    "Retry-After); unknown numbers count and answer alike"
)

OPERATIONS: tuple[Operation, ...] = (
    # ---- residents ----
    Operation(
        "GET", f"{V1}/catalog", "catalog", "residents",
        "The request types, categories (with their extra questions), the area tree and media limits",
        {200: out.Catalog},
    ),
    Operation(
        "POST", f"{V1}/uploads", "create_upload", "residents",
        "A presigned POST for one photo, video or voice note",
        {201: out.UploadTicket}, body=(into.UploadRequest,), staff_optional=True, errors=(401,),
        description=(
            "Without a token, a resident's upload, for a submission's media. With a staff bearer token, "
            "that staff member's, for their own resolve's result_media only. Each upload is attached "
            "once; its bytes must be of its declared type."
        ),
        notes={401: "A bearer token was sent and is not a valid staff token"},
    ),
    Operation(
        "POST", f"{V1}/suggest", "suggest_category", "residents",
        "智能预判: the likeliest categories for a description, the unit, similar published cases",
        {200: out.Suggestion}, body=(into.SuggestRequest,),
    ),
    Operation(
        "POST", f"{V1}/requests", "submit_request", "residents",
        "Submit a request",
        {201: out.Submitted, 200: out.Submitted}, body=(into.SubmitRequest, into.PartnerSubmitRequest),
        partner_key=True, idempotency_key=True, errors=(401, 403, 409, 429),
        description=(
            "A named request proves its phone with an SMS code (contact.otp, from POST /api/v1/otp). "
            "Idempotency-Key makes a retry answer the first answer. A partner channel sends its "
            "X-Api-Key (no SMS code) and may name its own external_id: a repeat of an external_id "
            "answers 200 with the order it made. external_id is refused without X-Api-Key."
        ),
        notes={
            200: "A partner's external_id had made this order already",
            401: "X-Api-Key is not a key (api_key_invalid)",
            403: "X-Api-Key was revoked (api_key_revoked)",
            409: "The first submission with this Idempotency-Key is still running (in_progress): retry",
            429: "Over the city's caps on submissions: per source IP (anonymous), per key (partners), "
            "for the whole city (rate_limited, Retry-After: the seconds until the window ends)",
        },
    ),
    Operation(
        "GET", f"{V1}/requests/{{tracking_no}}", "track_request", "residents",
        "A request's progress, with its query code",
        {200: out.PublicDetail}, query=TrackQuery, errors=(429,),
        notes={
            404: "No such request, or a wrong query code: the two answer alike",
            429: _CODE_TRIES,
        },
    ),
    Operation(
        "POST", f"{V1}/requests/{{tracking_no}}/rating", "rate_request", "residents",
        f"Rate a resolved request ({MIN_STARS}-{SATISFIED_FROM - 1} stars send it back to be redone)",
        {200: out.RatingResult}, body=(into.RatingRequest,), errors=(409, 429),
        notes={409: "The request is not resolved, or was rated meanwhile", 429: _CODE_TRIES},
    ),
    Operation(
        "GET", f"{V1}/cases", "list_cases", "residents",
        "The public case library (典型案例库), newest first, optionally by keyword",
        {200: out.CasePage}, query=CasesQuery,
    ),
    Operation(
        "POST", f"{V1}/otp", "send_otp", "residents",
        "Send a 6-digit code by SMS to prove a phone (实名)",
        {200: out.OtpSent}, body=(into.OtpRequest,), errors=(429,),
        notes={
            422: "Not a phone the city texts codes to (sms.otp_country_codes: mainland mobiles by default)",
            429: "At most one code a minute and five an hour per phone; the city's caps per source IP and "
            "for the whole city (Retry-After)",
            503: "The SMS provider failed",
        },
    ),
    Operation(
        "POST", f"{V1}/otp/verify", "verify_otp", "residents",
        "Use a code: a resident token for the resident's own requests",
        {200: out.ResidentToken}, body=(into.OtpVerifyRequest,),
    ),
    Operation(
        "GET", f"{V1}/me/requests", "my_requests", "residents",
        "The requests made with the verified phone, newest first",
        {200: out.OwnRequestPage}, query=OwnRequestsQuery, resident=True,
    ),
    # ---- staff ----
    Operation(
        "GET", f"{V1}/staff/requests", "staff_list_requests", "staff",
        "The queue, newest first (a handler sees its unit and the units below it; ?involvement=co those they "
        "co-handle, all both)",
        {200: out.QueuePage}, query=StaffListQuery, roles=READERS,
    ),
    Operation(
        "POST", f"{V1}/staff/requests", "staff_take_request", "staff",
        "代客录入: a request taken down by an operator (a call, a visit, a letter), dispatched or answered at once",
        {201: out.Submitted}, body=(into.StaffSubmitRequest,), roles=INTAKE, idempotency_key=True, errors=(409,),
        description=(
            "The resident's fields without contact, plus channel (the city's intake.staff_channels), caller "
            "{name?, phone?} (a phone makes it named and verified: no SMS code; the caller is texted as a "
            "resident), received_at (not in the future, at most a year back), and at most one of dispatch {unit} "
            "or answer {reply} (当场答复: stored resolved). The trail's submit event names the staff member and the channel. "
            "Idempotency-Key makes a retry answer the first answer."
        ),
        notes={
            403: "Not an operator or a dispatcher",
            409: "The first submission with this Idempotency-Key is still running (in_progress): retry",
            422: "Invalid fields; received_at in the future or over a year back; both dispatch and answer; an unknown "
            "channel or unit; a caller's name without a phone",
        },
    ),
    Operation(
        "GET", f"{V1}/staff/callers/{{phone}}/requests", "staff_caller_requests", "staff",
        "A caller's requests (重复来电): every request made with that phone, any channel, newest first",
        {200: out.QueuePage}, query=PageQuery, roles=(*INTAKE, Role.LEADER),
        description="By the phone's keyed hash on the by-phone index (a Query): verified phones only.",
        notes={403: "Not an operator, a dispatcher or a leader", 422: "Not a phone number"},
    ),
    Operation(
        "GET", f"{V1}/staff/requests/{{tracking_no}}", "staff_request_detail", "staff",
        "An order in full: contact (clear or masked), trail, allowed actions, version",
        {200: out.StaffDetail}, roles=READERS,
    ),
    Operation(
        "POST", f"{V1}/staff/requests/{{tracking_no}}/actions", "staff_act", "staff",
        "Act on an order: one action, decided on the order's version",
        {200: out.ActionResult}, body=(STAFF_ACTION,), roles=READERS, errors=(409,),
        notes={
            403: "The role may not take that action (an operator takes only callback), or the order is not the unit's; "
            "a co-unit's handler takes progress and co_reply only",
            409: "The order changed since that version, or its state does not allow the action; resolve while a "
            "co-unit has not replied, where the city requires co-replies",
            422: "Invalid parameters; for assign, an assignee who is not one of the unit's people; for resolve "
            "with a co-reply pending, no co_pending_note",
        },
    ),
    Operation(
        "GET", f"{V1}/staff/hotspots", "staff_hotspots", "staff",
        "Hotspot alerts (未诉先办), the latest raised first",
        {200: out.HotspotPage}, query=PageQuery, roles=COMMAND_CENTRE,
    ),
    Operation(
        "GET", f"{V1}/staff/units/{{unit}}/people", "staff_unit_people", "staff",
        "A unit's staff accounts (承办人), from the identity provider: id, name, roles",
        {200: out.People}, roles=(Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.ADMIN),
        notes={403: "A handler of a unit neither this one nor above it, or an operator", 404: "No such unit"},
    ),
    Operation(
        "GET", f"{V1}/staff/workload", "staff_workload", "staff",
        "Open orders per person of a unit and the units below it, by level, and those nobody holds",
        {200: out.Workload}, query=WorkloadQuery, roles=(Role.DISPATCHER, Role.HANDLER, Role.LEADER),
        notes={403: "A handler of a unit neither this one nor above it, an operator or an admin"},
    ),
    Operation(
        "POST", f"{V1}/staff/imports", "staff_start_import", "staff",
        "Batch import hotline records or letters (CSV): each row is submitted as a request, from a queue",
        {202: out.ImportAccepted}, roles=(Role.DISPATCHER, Role.ADMIN), errors=(503,),
        csv_body=(
            f"UTF-8 (with or without BOM) or GB18030. Columns: {', '.join(COLUMNS)}; external_id is required, "
            "channel is one of the city's staff channels (intake.staff_channels, by code or label). "
            f"At most {MAX_ROWS} rows and {MAX_BYTES // (1024 * 1024)} MB."
        ),
        description=(
            "The header and the row count are checked here (422 and nothing stored if wrong); the rows are "
            "submitted from a queue, as a partner channel's are: no SMS code, the caller's phone counted as "
            "verified, external_id claimed per channel (a re-import creates nothing: existing)."
        ),
        notes={
            400: "The body is empty (empty_body)",
            415: "The body is not sent as text/csv (unsupported_media_type)",
            422: "The file: its encoding, its header, more rows or bytes than allowed (fields name file, header "
            "or the missing column); nothing is stored",
            503: "The file could not be queued wholly: send it again (rows made already are not made twice)",
        },
    ),
    Operation(
        "GET", f"{V1}/staff/imports/{{import_id}}", "staff_import_progress", "staff",
        "A batch import's progress and, when done, its rows' results (paged, in row order)",
        {200: out.ImportProgress}, query=ImportResultsQuery, roles=(Role.DISPATCHER, Role.ADMIN),
    ),
    # ---- the staff pages ----
    Operation(
        "GET", f"{V1}/staff/config", "staff_console_config", "staff",
        "How the staff pages sign in (OpenID Connect), and the map's tile layer: no token needed",
        {200: out.ConsoleConfig},
    ),
    Operation(
        "GET", f"{V1}/staff/city", "staff_city_map", "staff",
        "The city's boundary, its areas' shapes and the unit tree, for the console's and the dashboard's map",
        {200: out.CityMap}, roles=READERS,
    ),
    Operation(
        "GET", f"{V1}/staff/stats", "staff_stats", "staff",
        "The dashboard's figures for a period of days of receipt, from counters kept with every change",
        {200: out.Stats}, query=StatsQuery, roles=(Role.DISPATCHER, Role.LEADER, Role.ADMIN),
    ),
    Operation(
        "GET", f"{V1}/staff/export", "staff_export", "staff",
        "The queue's orders as CSV for Excel; X-Next-Cursor resumes after the last row",
        {200: out.Csv}, query=ExportQuery, roles=STAFF, media_type="text/csv",
    ),
    # ---- administrators ----
    Operation(
        "GET", f"{V1}/admin/channels", "admin_list_channels", "admin",
        "The partner channels, with their live keys' count",
        {200: out.ChannelList}, roles=(Role.ADMIN,),
    ),
    Operation(
        "GET", f"{V1}/admin/channels/{{channel}}/api-keys", "admin_list_api_keys", "admin",
        "A channel's API keys, revoked ones included (never the keys themselves)",
        {200: out.ApiKeyList}, roles=(Role.ADMIN,),
    ),
    Operation(
        "POST", f"{V1}/admin/channels/{{channel}}/api-keys", "admin_issue_api_key", "admin",
        "Issue an API key for a channel: the answer is the only place the key appears",
        {201: out.IssuedApiKey}, body=(into.ApiKeyRequest,), roles=(Role.ADMIN,),
    ),
    Operation(
        "DELETE", f"{V1}/admin/channels/{{channel}}/api-keys/{{key_id}}", "admin_revoke_api_key", "admin",
        "Revoke an API key; revoking it again changes nothing",
        {200: out.ApiKey}, roles=(Role.ADMIN,),
    ),
    # ---- this document ----
    Operation(
        "GET", f"{V1}/openapi.json", "openapi_document", "meta",
        "This document (OpenAPI 3.1)",
        {200: out.Document},
    ),
)
