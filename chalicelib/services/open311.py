"""Open311 GeoReport v2: the use cases behind /open311/v2 (the mapping is domain/open311.py).

- ``services``, ``definition``: the city's categories and their questions.
- ``submit``: POST Service Request, with a partner channel's API key, through the
  same intake as every other submission (services/channels.py); it answers the
  tracking number at once and a token that tokens/{token} resolves to it.
- ``find``: GET Service Requests. ``service_request_id`` (comma-delimited) overrides
  everything else; otherwise the window's orders (by creation time) newest first,
  filtered by ``service_code`` and ``status``: one Query per wanted state on the
  ``by-state`` index, then the orders themselves (BatchGetItem, a hundred a call),
  since the index does not hold locations and media.
- ``updates``: the feed of public changes in a window, oldest first, from the
  events' ``by-feed-day`` index (one Query per day). Bounds are inclusive: a client
  polling from its last ``updated_datetime`` sees that instant's updates again and
  drops those whose ``update_id`` it has.

Media links are presigned GETs that expire (MEDIA_LINK_TTL_SECONDS, 300 s): a client
fetches the photo when it reads the request, or asks again.
"""
from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Mapping, Sequence

from chalicelib import storage
from chalicelib.adapters.media import get_media_store
from chalicelib.api.schemas import PartnerSubmitRequest
from chalicelib.domain import open311
from chalicelib.domain.codes import parse_tracking_number
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.geo import wgs84_of
from chalicelib.domain.orders import State
from chalicelib.observability import count
from chalicelib.services import channels, intake, runtime
from chalicelib.settings import get_settings

Params = Mapping[str, Sequence[str]]


def services() -> list[dict]:
    return [open311.service(category) for category in runtime.city().categories]


def definition(service_code: str) -> dict:
    city = runtime.city()
    category = city.category_by_code.get(service_code)
    if category is None:
        raise NotFound(f"service_code {service_code} 不存在")
    return open311.service_definition(category, city)


def new_token() -> str:
    return secrets.token_urlsafe(16)


def submit(request: PartnerSubmitRequest, source: intake.Source) -> tuple[list[dict], bool]:
    """The POST's answer, and whether it made the order (False: its external_id had made it before)."""
    result = channels.submit(source, request)
    answer = result.answer
    notice = (
        f"诉求已受理，受理编号{answer['tracking_no']}，查询码{answer['query_code']}。"
        "凭受理编号和查询码可查询办理进度。"
    )
    if result.created:  # a repeated external_id is counted by channels as a repeat, not a submission
        count("Open311RequestSubmitted")
    return open311.created(answer["tracking_no"], result.token, notice), result.created


def _link(key: str | None) -> str | None:
    return get_media_store().link(key, get_settings().media_link_ttl_seconds) if key else None


def _request(item: storage.OrderModel) -> dict:
    lng, lat = wgs84_of(item.location)
    photo = next((m.key for m in item.media if m.kind == "photo"), None)
    return open311.request(item, runtime.city(), lat=lat, lng=lng, media_url=_link(photo))


def one_request(service_request_id: str) -> list[dict]:
    tracking_no = parse_tracking_number(service_request_id)
    item = storage.get_order(tracking_no) if tracking_no else None
    if item is None:
        raise NotFound(f"service_request_id {service_request_id} 不存在")
    return [_request(item)]


def token(value: str) -> list[dict]:
    claim = storage.get_claim(storage.token_claim(value)) if 0 < len(value) <= 64 and value.isascii() else None
    if claim is None:
        raise NotFound("token 不存在")
    return open311.token_answer(claim.tracking_no, value)


def find(params: Params) -> list[dict]:
    city = runtime.city()
    ids = open311.values(params, "service_request_id")
    if ids:
        numbers = [n for n in map(parse_tracking_number, ids[: open311.MAX_ITEMS]) if n]
        return [_request(item) for item in storage.orders_by_number(numbers)]
    codes = open311.values(params, "service_code")
    unknown = [code for code in codes if code not in city.category_by_code]
    if unknown:
        raise InvalidInput(f"service_code {'、'.join(unknown)} 不存在", {"service_code": "不存在"})
    statuses = open311.values(params, "status")
    if any(s not in (open311.OPEN, open311.CLOSED) for s in statuses):
        raise InvalidInput("status 只能是 open 或 closed", {"status": "只能是 open 或 closed"})
    start, end = open311.window(params, runtime.now(), city.zone)
    flt = storage.ListFilter(
        states=open311.states_of(statuses) if statuses else frozenset(),
        categories=frozenset(codes),
        created_from=start,
        created_to=end + dt.timedelta(microseconds=1),  # the filter's end is exclusive, end_date inclusive
    )
    page = storage.list_orders(flt, [s.value for s in State], None, open311.MAX_ITEMS)
    return [_request(item) for item in storage.orders_by_number([i.tracking_no for i in page.items])]


def updates(params: Params) -> list[dict]:
    city = runtime.city()
    start, end = open311.window(params, runtime.now(), city.zone)
    answer = []
    for event in storage.feed(start, end, open311.MAX_ITEMS):
        photos = (event.changes or {}).get("result_media") or []
        answer.append(open311.update(event, city, media_url=_link(photos[0] if photos else None)))
    return answer


def discovery(url: str) -> dict:
    return open311.discovery(runtime.city(), url)
