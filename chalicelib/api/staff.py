"""Staff endpoints (bearer token): the queue, an order's detail, actions on it, hotspot alerts, a
unit's people and their workload;
the dashboard's figures, the CSV export, the city's map; and (no token) how the staff pages sign in."""
from __future__ import annotations

from chalice.app import Request, Response

from chalicelib.api import lazy
from chalicelib.api.http import endpoint, json_body, query, respond
from chalicelib.commands.bodies import StaffSubmitRequest
from chalicelib.commands.queries import ExportQuery, PageQuery, StaffListQuery, StatsQuery, WorkloadQuery
from chalicelib.services import runtime, staff

# Each loads on its first use: the queue is what a cold container is most often asked for, and the
# action models (made from lifecycle.RULES), the export, the figures and the map cost it nothing.
actions = lazy("chalicelib.commands.actions")
console = lazy("chalicelib.services.console")
export = lazy("chalicelib.services.export")
nearby = lazy("chalicelib.services.nearby")
operators = lazy("chalicelib.services.operators")
public = lazy("chalicelib.api.public")  # the Idempotency-Key header, read as for residents
people = lazy("chalicelib.services.people")
stats = lazy("chalicelib.services.stats")


def actor(request: Request):
    return runtime.staff_actor(request.headers.get("authorization"))


@endpoint
def list_requests(request: Request) -> Response:
    who = actor(request)
    return respond(staff.list_orders(who, query(request, StaffListQuery)))


@endpoint
def take_request(request: Request, lambda_context=None) -> Response:
    """代客录入: a request an operator takes down from a call, a visit or a letter."""
    who = actor(request)
    body = json_body(request, StaffSubmitRequest)
    return respond(operators.submit(who, body, public.idempotency_key(request), lambda_context), 201)


@endpoint
def caller_requests(request: Request, phone: str) -> Response:
    who = actor(request)
    return respond(operators.caller_requests(who, phone, query(request, PageQuery)))


@endpoint
def request_detail(request: Request, tracking_no: str) -> Response:
    return respond(staff.detail(actor(request), tracking_no))


@endpoint
def act(request: Request, tracking_no: str) -> Response:
    who = actor(request)
    return respond(staff.act(who, tracking_no, json_body(request, actions.STAFF_ACTION)))


@endpoint
def hotspots(request: Request) -> Response:
    return respond(nearby.alerts(actor(request), query(request, PageQuery)))


@endpoint
def unit_people(request: Request, unit: str) -> Response:
    return respond(people.unit_people(actor(request), unit))


@endpoint
def workload(request: Request) -> Response:
    who = actor(request)
    return respond(people.workload(who, query(request, WorkloadQuery)))


@endpoint
def console_config(request: Request) -> Response:
    """How the staff pages sign in, and their map's tile layer: public, asked before any token exists."""
    response = respond(console.config())
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@endpoint
def city_map(request: Request) -> Response:
    actor(request)
    return respond(console.city_map(runtime.city()))


@endpoint
def stats_summary(request: Request) -> Response:
    who = actor(request)
    return respond(stats.summary(who, query(request, StatsQuery)))


@endpoint
def export_orders(request: Request) -> Response:
    who = actor(request)
    text, cursor = export.orders_csv(who, query(request, ExportQuery))
    headers = {
        "Content-Type": "text/csv; charset=utf-8",
        "Content-Disposition": "attachment; filename=\"orders.csv\"; filename*=UTF-8''%E5%B7%A5%E5%8D%95.csv",
        "Cache-Control": "no-store",
    }
    if cursor:
        headers["X-Next-Cursor"] = cursor
    return Response(body=text, status_code=200, headers=headers)
