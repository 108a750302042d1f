"""Staff endpoints (bearer token): the queue, an order's detail, actions on it, hotspot alerts."""
from __future__ import annotations

from chalice.app import Request, Response

from chalicelib.api.http import endpoint, json_body, query, respond
from chalicelib.api.schemas import STAFF_ACTION, PageQuery, StaffListQuery
from chalicelib.services import nearby, runtime, staff


def _actor(request: Request):
    return runtime.staff_actor(request.headers.get("authorization"))


@endpoint
def list_requests(request: Request) -> Response:
    actor = _actor(request)
    return respond(staff.list_orders(actor, query(request, StaffListQuery)))


@endpoint
def request_detail(request: Request, tracking_no: str) -> Response:
    return respond(staff.detail(_actor(request), tracking_no))


@endpoint
def act(request: Request, tracking_no: str) -> Response:
    actor = _actor(request)
    return respond(staff.act(actor, tracking_no, json_body(request, STAFF_ACTION)))


@endpoint
def hotspots(request: Request) -> Response:
    return respond(nearby.alerts(_actor(request), query(request, PageQuery)))
