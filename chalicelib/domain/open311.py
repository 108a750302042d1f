"""Open311 GeoReport v2, what an order means in it: pure mapping, no I/O (how it is written on
the wire, form, XML and errors, is api/open311_format.py).

- Our categories are its services: ``service_code`` is the category code. Every
  service takes the optional attribute ``request_type`` (咨询, 投诉…; the city's
  ``open311.default_type`` when absent); a category with extra questions lists them
  as further attributes, and only such a service says ``metadata: true``.
- Our orders are its service requests: ``service_request_id`` is the tracking
  number; ``status`` is ``open`` while the order is being worked on and ``closed``
  once it is resolved, closed, rejected or merged; ``agency_responsible`` is the
  unit's name, ``expected_datetime`` the due time, ``status_notes`` the latest
  public note of the trail (a reply, a rejection's reason…; never a resident's own
  words, such as a rating's comment), ``media_url`` a link to
  the first photo, ``lat``/``long`` in WGS-84 whatever system the order was sent in.
  Contact data never appears, and mobile and ID numbers in free text (the address too) are masked.
- What a reader sees of an order (``disclosure``) is the city's ``open311.publish``:
  an order it does not list is not shown at all; one not about public space shows
  the centre of its grid cell (``coarse_point``) and its area's name instead of the
  point and the address, and photos only where the city says. A partner sees its
  own channel's orders in full.
- The feed of changes (FixMyStreet's ``servicerequestupdates`` extension) has one
  update per public event: ``update_id`` is ``<tracking number>-<seq>``,
  ``external_status_code`` our state, ``description`` its note (none for a rating,
  whose comment is the resident's own words).
- Times are ISO 8601 with an offset. A query's ``start_date``/``end_date`` must carry
  one (or be a bare date, taken as the city's midnight); without them the window is
  the latest 90 days, with one of them it is the 90 days after the start or before
  the end, and no window may span more than 90 days. A bound within 91 days of
  the calendar's ends (years 1 and 9999, in UTC) is refused. At most 1000 requests or
  updates are answered.
- An empty parameter is the same as a missing one.
"""
from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from chalicelib.city import REQUEST_TYPE_QUESTION, Category, City, Question
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.geocells import EARTH_RADIUS_M
from chalicelib.domain.orders import OPEN_STATES, RESIDENTS_WORDS, State
from chalicelib.domain.privacy import mask_free_text
from chalicelib.domain.reports import PublicChange, StoredOrder

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
MAX_WINDOW = dt.timedelta(days=90)
MAX_ITEMS = 1000
OPEN, CLOSED = "open", "closed"

def status(state: State) -> str:
    return OPEN if state in OPEN_STATES else CLOSED


def states_of(statuses: Sequence[str]) -> frozenset[str]:
    return frozenset(s.value for s in State if status(s) in statuses)


# ---- services ------------------------------------------------------------------

def service(category: Category) -> dict:
    return {
        "service_code": category.code,
        "service_name": category.name,
        "description": None,
        "metadata": bool(category.questions),
        "type": "realtime",
        "keywords": None,
        "group": None,
    }


def _attribute(question: Question, order: int) -> dict:
    return {
        "variable": True,
        "code": question.code,
        "datatype": question.datatype,
        "required": question.required,
        "datatype_description": None,
        "order": order,
        "description": question.description,
        "values": [{"key": v.key, "name": v.name} for v in question.values],
    }


def service_definition(category: Category, city: City) -> dict:
    default = city.type_by_code[city.open311.default_type].name
    request_type = {
        **_attribute(_request_type_question(city), 1),
        "datatype_description": f"不填按「{default}」受理",
    }
    questions = [_attribute(q, order) for order, q in enumerate(category.questions, start=2)]
    return {"service_code": category.code, "attributes": [request_type, *questions]}


def _request_type_question(city: City) -> Question:
    return Question.model_validate(
        {
            "code": REQUEST_TYPE_QUESTION,
            "description": "诉求类型",
            "datatype": "singlevaluelist",
            "values": [{"key": t.code, "name": t.name} for t in city.types],
        }
    )


# ---- submissions -------------------------------------------------------------------

_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")


def one(form: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = form.get(name) or ()
    return values[-1].strip() if values else None


def _answers(form: Mapping[str, Sequence[str]]) -> dict[str, str | list[str]]:
    answers: dict[str, str | list[str]] = {}
    for name, values in form.items():
        found = _ATTRIBUTE.match(name)
        if found is None:
            continue
        code, many = found.group(1), found.group(2)
        previous = answers.get(code, [])
        joined = (previous if isinstance(previous, list) else [previous]) + list(values)
        answers[code] = joined if many or len(joined) > 1 else joined[0]
    return answers


def _coordinate(form: Mapping[str, Sequence[str]], name: str) -> float:
    text = one(form, name)
    if text is None:
        raise InvalidInput("请提供位置：lat 和 long（WGS-84 经纬度）", {name: "必填（WGS-84 经纬度；仅有地址无法受理）"})
    try:
        return float(text)
    except ValueError:
        raise InvalidInput("位置有误", {name: "须为数值"}) from None


def submission(form: Mapping[str, Sequence[str]], city: City) -> dict:
    """A POST Service Request's form as our submission (checked afterwards like any other).

    The location must be a point (lat and long): routing and the jurisdiction check need
    one, so an address alone is refused. A phone makes a named request, whose contact is
    ``last_name`` + ``first_name`` (or 来电人); without one it is anonymous. ``email``,
    ``device_id``, ``account_id`` and ``media_url`` are not kept.
    """
    code = one(form, "service_code")
    if code is None:
        raise InvalidInput("请提供 service_code", {"service_code": "必填"})
    if code not in city.category_by_code:
        raise NotFound(f"service_code {code} 不存在")
    lat, lng = _coordinate(form, "lat"), _coordinate(form, "long")
    answers = _answers(form)
    request_type = answers.pop(REQUEST_TYPE_QUESTION, None) or city.open311.default_type
    phone = one(form, "phone")
    name = "".join(part for part in (one(form, "last_name"), one(form, "first_name")) if part) or "来电人"
    return {
        "type": request_type,
        "category": code,
        "description": one(form, "description"),
        "location": {"lat": lat, "lng": lng, "coord_system": "wgs84", "address": one(form, "address_string")},
        "anonymous": phone is None,
        "contact": {"name": name, "phone": phone} if phone else None,
        "answers": answers,
        "external_id": one(form, "external_id"),
    }


def created(tracking_no: str, token: str | None, notice: str) -> list[dict]:
    """POST Service Request's answer: the id at once (realtime), and a token for tokens/{token}."""
    return [{"service_request_id": tracking_no, "token": token, "service_notice": notice, "account_id": None}]


def token_answer(tracking_no: str, token: str) -> list[dict]:
    return [{"service_request_id": tracking_no, "token": token}]


# ---- queries -------------------------------------------------------------------------

def values(params: Mapping[str, Sequence[str]], name: str) -> list[str]:
    """A list parameter: comma-delimited, and/or given more than once; empty parts dropped."""
    return [part.strip() for value in params.get(name) or () for part in value.split(",") if part.strip()]


# A window's arithmetic — 90 days either side of a bound, the feed's UTC days, the instant
# after an inclusive end — must stay inside the calendar (years 1 to 9999, in UTC): a bound
# closer than that to either end is refused, not left to overflow into a 500.
_MARGIN = MAX_WINDOW + dt.timedelta(days=1)
_EARLIEST = dt.datetime.min.replace(tzinfo=dt.timezone.utc) + _MARGIN
_LATEST = dt.datetime.max.replace(tzinfo=dt.timezone.utc) - _MARGIN


def parse_time(text: str, name: str, zone: ZoneInfo) -> dt.datetime:
    """W3C date-time with its offset (2010-01-01T00:00:00Z), or a bare date (the city's midnight)."""
    try:
        if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            moment = dt.datetime.combine(dt.date.fromisoformat(text), dt.time.min, tzinfo=zone)
        else:
            moment = dt.datetime.fromisoformat(text)
    except ValueError:
        raise InvalidInput(f"{name} 格式不正确", {name: "须为 ISO 8601 时间，如 2010-01-01T00:00:00Z"}) from None
    if moment.tzinfo is None:
        raise InvalidInput(f"{name} 缺少时区", {name: "须带时区，如 2010-01-01T00:00:00Z 或 +08:00"})
    try:
        utc = moment.astimezone(dt.timezone.utc)
    except OverflowError:  # 0001-01-01T00:00:00+14:00 is in year 0 in UTC, 9999-12-31T23:00-12:00 in 10000
        utc = None
    if utc is None or not _EARLIEST <= utc <= _LATEST:
        raise InvalidInput(f"{name} 超出可查询的日期范围", {name: "超出可查询的日期范围"})
    return moment


def window(params: Mapping[str, Sequence[str]], now: dt.datetime, zone: ZoneInfo) -> tuple[dt.datetime, dt.datetime]:
    """The query's start_date and end_date (both inclusive), by the rules in this module's docstring."""
    start_text, end_text = one(params, "start_date"), one(params, "end_date")
    start = parse_time(start_text, "start_date", zone) if start_text else None
    end = parse_time(end_text, "end_date", zone) if end_text else None
    if start is None and end is None:
        end = now
    if start is None:
        start = end - MAX_WINDOW
    if end is None:
        end = start + MAX_WINDOW
    if start > end:
        raise InvalidInput("start_date 晚于 end_date", {"start_date": "晚于 end_date"})
    if end - start > MAX_WINDOW:
        raise InvalidInput("查询时间跨度不能超过 90 天", {"end_date": "与 start_date 相隔不能超过 90 天"})
    return start, end


# ---- what is published -------------------------------------------------------------------

@dataclass(frozen=True)
class Disclosure:
    """How much of one order a reader of Open311 sees."""

    exact: bool  # its point and address as sent; else its grid cell's centre and its area's name
    photos: bool  # links to its photos: the first one sent, a resolution's result photos in the feed


_IN_FULL = Disclosure(exact=True, photos=True)


def disclosure(stored: StoredOrder, city: City, reader: str | None) -> Disclosure | None:
    """What ``reader`` — a partner's channel (from its api_key), or None for anyone — sees of a stored order.

    A partner sees its own channel's orders in full. Everyone else sees what the city's
    ``open311.publish`` lists, and of an order it does not list nothing at all (None): the
    answers treat it as one that does not exist.
    """
    order = stored.order
    if reader is not None and stored.report.channel == reader:
        return _IN_FULL
    policy = city.publication
    if order.type not in policy.types or order.category not in policy.categories:
        return None
    if order.state == State.REJECTED and not policy.rejected:
        return None
    return Disclosure(exact=order.category in policy.exact, photos=order.category in policy.photos)


_METRES_PER_DEGREE = math.pi * EARTH_RADIUS_M / 180


def coarse_point(lng: float, lat: float, grid_m: int) -> tuple[float, float]:
    """The centre of the grid cell that holds a WGS-84 point, both (lng, lat) as in geo.py.

    Rows are ``grid_m`` high (a fixed step of latitude); each row is cut into cells about
    ``grid_m`` wide, its step of longitude widened by 1/cos of the row's middle latitude. A
    centre lies at most grid_m/√2 from the point (71 m for 100 m). Every point of a cell has
    the same centre, always: however many times a request is read, averaging the answers gives
    the centre back, never the point.
    """
    lat_step = grid_m / _METRES_PER_DEGREE
    middle = (math.floor(lat / lat_step) + 0.5) * lat_step
    lng_step = lat_step / max(math.cos(math.radians(middle)), 1e-6)
    centre = (math.floor(lng / lng_step) + 0.5) * lng_step
    return round(max(-180.0, min(180.0, centre)), 6), round(max(-90.0, min(90.0, middle)), 6)


def _iso(moment: dt.datetime | None, city: City) -> str | None:
    return moment.astimezone(city.zone).isoformat(timespec="seconds") if moment else None


def request(
    stored: StoredOrder, city: City, shown: Disclosure, *, lat: float, lng: float, media_url: str | None
) -> dict:
    """One stored order as a service request; ``lat``/``lng`` in WGS-84, as stored.

    Unless ``shown`` is exact, the point is its grid cell's centre and the address the area's
    name: an address as sent (人民大街8号3单元) would give the point away again.
    """
    order, report = stored.order, stored.report
    state = order.state
    unit = city.unit_by_code[order.unit].name if order.unit else None
    note = stored.public_note or (order.reply if order.resolved_at else None)
    if not shown.exact:
        lng, lat = coarse_point(lng, lat, city.publication.grid_m)
    address = (mask_free_text(report.location.address) if shown.exact else None) or _area_name(order.area, city)
    return {
        "service_request_id": order.tracking_no,
        "status": status(state),
        "status_notes": mask_free_text(note),
        "service_name": city.category_by_code[order.category].name,
        "service_code": order.category,
        "description": mask_free_text(report.description),
        "agency_responsible": unit,
        "service_notice": None,
        "requested_datetime": _iso(order.created_at, city),
        "updated_datetime": _iso(stored.updated_at or order.created_at, city),
        "expected_datetime": _iso(order.due_at, city) if state in OPEN_STATES else None,
        "address": address,
        "address_id": None,
        "zipcode": None,
        "lat": round(lat, 6),
        "long": round(lng, 6),
        "media_url": media_url,
    }


def _area_name(code: str | None, city: City) -> str | None:
    if not code:
        return None
    return "".join(city.area_name[c] for c in reversed(city.area_path(code)))


def update(event: PublicChange, city: City, *, media_url: str | None) -> dict:
    """One public event (as the feed index holds it) as an update of FixMyStreet's servicerequestupdates."""
    return {
        "update_id": f"{event.tracking_no}-{int(event.seq)}",
        "service_request_id": event.tracking_no,
        "status": status(State(event.to_state)),
        "updated_datetime": _iso(event.at, city),
        "description": None if event.action in RESIDENTS_WORDS else mask_free_text(event.note),
        "media_url": media_url,
        "external_status_code": event.to_state.value,
    }


def discovery(city: City, url: str) -> dict:
    return {
        "changeset": city.open311.changeset,
        "contact": city.open311.contact,
        "key_service": city.open311.key_service,
        "endpoints": [
            {
                "specification": SPECIFICATION,
                "url": url,
                "changeset": city.open311.changeset,
                "type": "production",
                "formats": ["text/xml", "application/json"],
            }
        ],
    }
