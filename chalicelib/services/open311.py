"""Open311 GeoReport v2: the use cases behind /open311/v2 (the mapping is domain/open311.py).

- ``services``, ``definition``: the city's categories and their questions.
- ``submit``: POST Service Request, with a partner channel's API key, through the
  same intake as every other submission (services/channels.py); it answers the
  tracking number at once and a token that tokens/{token} resolves to it.
- What the reads publish is the city's ``open311.publish`` (domain/open311.py,
  ``disclosure``): they need no key, so anyone may read them. A request the city does
  not list (举报, 治安, a rejected one, by default) is as unknown — 404, absent from the
  lists and the feed; a listed one not about public space shows its grid cell's centre
  and its area's name. A partner's ``api_key`` (checked as on POST) sees its own
  channel's requests in full, and the others as anyone does.
- ``find``: GET Service Requests. ``service_request_id`` (comma-delimited) overrides
  everything else; otherwise the window's orders (by creation time) newest first,
  filtered by ``service_code`` and ``status``: one Query per wanted state on the
  ``by-state`` index, then the orders themselves (BatchGetItem, a hundred a call),
  since the index does not hold locations and media. For the public, the Query's
  filter leaves out the types, categories and states the city does not list; for a
  partner, whose channel the index does not hold, pages are read until the limit.
- ``updates``: the feed of public changes in a window, oldest first, from the
  events' ``by-feed-day`` index (one Query per day, read as far as needed), each
  event's order read once to tell whether the reader may see it. Bounds are
  inclusive: a client polling from its last ``updated_datetime`` sees that
  instant's updates again and drops those whose ``update_id`` it has.

Media links are presigned GETs that expire (MEDIA_LINK_TTL_SECONDS, 300 s): a client
fetches the photo when it reads the request, or asks again.
"""
from __future__ import annotations

import datetime as dt
import itertools
import secrets
from collections.abc import Iterable, Iterator, Mapping, Sequence

from chalicelib import storage
from chalicelib.adapters.media import get_media_store
from chalicelib.commands.bodies import PartnerSubmitRequest
from chalicelib.domain import open311
from chalicelib.domain.codes import parse_tracking_number
from chalicelib.domain.errors import InvalidInput, NotFound
from chalicelib.domain.geo import wgs84_of
from chalicelib.domain.orders import State
from chalicelib.domain.reports import PublicChange, StoredOrder
from chalicelib.observability import count
from chalicelib.services import channels, intake, runtime
from chalicelib.settings import get_settings

Params = Mapping[str, Sequence[str]]
_BATCH = 100  # keys of a BatchGetItem call


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
        f"诉求已受理，受理编号{answer.tracking_no}，查询码{answer.query_code}。"
        "凭受理编号和查询码可查询办理进度。"
    )
    if result.created:  # a repeated external_id is counted by channels as a repeat, not a submission
        count("Open311RequestSubmitted")
    return open311.created(answer.tracking_no, result.token, notice), result.created


def reader_of(api_key: str | None) -> str | None:
    """Whose read it is: the channel of a partner's live key (a bad key is refused), or None for anyone."""
    return channels.partner_source(api_key).channel if api_key else None


def _link(key: str | None) -> str | None:
    return get_media_store().link(key, get_settings().media_link_ttl_seconds) if key else None


def _request(stored: StoredOrder, shown: open311.Disclosure) -> dict:
    lng, lat = wgs84_of(stored.report.location)
    photo = next((m.key for m in stored.report.media if m.kind == "photo"), None) if shown.photos else None
    return open311.request(stored, runtime.city(), shown, lat=lat, lng=lng, media_url=_link(photo))


def _published(orders: Iterable[StoredOrder], reader: str | None) -> Iterator[dict]:
    """The service requests of those orders the reader may see; the others are left out, as unknown."""
    city = runtime.city()
    for stored in orders:
        shown = open311.disclosure(stored, city, reader)
        if shown is not None:
            yield _request(stored, shown)


def one_request(service_request_id: str, reader: str | None) -> list[dict]:
    tracking_no = parse_tracking_number(service_request_id)
    stored = storage.get_order(tracking_no) if tracking_no else None
    found = list(_published([stored] if stored else [], reader))
    if not found:  # not listed for this reader: the same answer as a number never issued
        raise NotFound(f"service_request_id {service_request_id} 不存在")
    return found


def token(value: str, reader: str | None) -> list[dict]:
    claim = storage.get_claim(storage.token_claim(value)) if 0 < len(value) <= 64 and value.isascii() else None
    stored = storage.get_order(claim.tracking_no) if claim else None
    if stored is None or open311.disclosure(stored, runtime.city(), reader) is None:
        raise NotFound("token 不存在")
    return open311.token_answer(claim.tracking_no, value)


def find(params: Params, reader: str | None) -> list[dict]:
    city = runtime.city()
    ids = open311.values(params, "service_request_id")
    if ids:
        numbers = [n for n in map(parse_tracking_number, ids[: open311.MAX_ITEMS]) if n]
        return list(_published(storage.orders_by_number(numbers), reader))
    codes = open311.values(params, "service_code")
    unknown = [code for code in codes if code not in city.category_by_code]
    if unknown:
        raise InvalidInput(f"service_code {'、'.join(unknown)} 不存在", {"service_code": "不存在"})
    statuses = open311.values(params, "status")
    if any(s not in (open311.OPEN, open311.CLOSED) for s in statuses):
        raise InvalidInput("status 只能是 open 或 closed", {"status": "只能是 open 或 closed"})
    start, end = open311.window(params, runtime.now(), city.zone)
    states = open311.states_of(statuses) if statuses else frozenset(s.value for s in State)
    categories, types = frozenset(codes), frozenset()
    if reader is None:
        # The public's Query itself leaves out what the city does not list, so its first page
        # is the whole answer. An order's channel is not in the index (the order must be read
        # to tell), so a partner's pages are filtered once read, and more read if need be.
        policy = city.publication
        states = states if policy.rejected else states - {State.REJECTED.value}
        categories, types = (categories or frozenset(city.category_by_code)) & policy.categories, policy.types
        if not (states and categories and types):
            return []
    flt = storage.ListFilter(
        states=states,
        categories=categories,
        types=types,
        created_from=start,
        created_to=end + dt.timedelta(microseconds=1),  # the filter's end is exclusive, end_date inclusive
    )
    return _pages(flt, reader)


def _pages(flt: storage.ListFilter, reader: str | None) -> list[dict]:
    """Newest first, page after page, until MAX_ITEMS the reader may see or the window's end.

    Each page is a Query per state on ``by-state`` and a BatchGetItem per hundred orders; how
    many pages there can be is bounded by the orders created in the window (at most 90 days).
    """
    found: list[dict] = []
    cursor = None
    while True:
        page = storage.list_orders(flt, flt.states, cursor, open311.MAX_ITEMS)
        found += _published(storage.orders_by_number([i.tracking_no for i in page.items]), reader)
        if len(found) >= open311.MAX_ITEMS or page.cursor is None:
            return found[: open311.MAX_ITEMS]
        cursor = page.cursor


def updates(params: Params, reader: str | None) -> list[dict]:
    city = runtime.city()
    start, end = open311.window(params, runtime.now(), city.zone)
    answer = []
    events = storage.feed(start, end, open311.MAX_ITEMS)
    for event, shown in itertools.islice(_shown_events(events, reader), open311.MAX_ITEMS):
        photos = ((event.changes or {}).get("result_media") or []) if shown.photos else []
        answer.append(open311.update(event, city, media_url=_link(photos[0] if photos else None)))
    return answer


def _shown_events(
    events: Iterator[PublicChange], reader: str | None
) -> Iterator[tuple[PublicChange, open311.Disclosure]]:
    """The events of the orders the reader may see, with what it sees of them.

    The feed's index does not hold an order's type, category or channel: the orders are read
    (BatchGetItem) a hundred events at a time, each order once.
    """
    city = runtime.city()
    shown: dict[str, open311.Disclosure | None] = {}
    while chunk := list(itertools.islice(events, _BATCH)):
        unread = list(dict.fromkeys(e.tracking_no for e in chunk if e.tracking_no not in shown))
        shown.update(dict.fromkeys(unread))  # an order not found stays unknown
        for stored in storage.orders_by_number(unread):
            shown[stored.tracking_no] = open311.disclosure(stored, city, reader)
        for event in chunk:
            if shown.get(event.tracking_no) is not None:
                yield event, shown[event.tracking_no]


def discovery(url: str) -> dict:
    return open311.discovery(runtime.city(), url)
