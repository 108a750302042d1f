"""Intake's look around: suspected duplicates (并单) and hotspot alerts (未诉先办).

Before a request is stored, the requests of its category made lately in the
geohash cells around its point are read (one Query per cell: 1 to 4 for the
default 200 m), and those of the resident's verified phone (one more Query).
``domain.duplicates`` decides which are suspected duplicates: the new order
carries their tracking numbers for the dispatcher. It is still routed as usual:
a suspicion is not a proof, and a resident's second, different problem must not
wait. The dispatcher merges a duplicate before the unit signs for it (并单).

After it is stored, if its own cell now holds the hotspot threshold of its
category within the hotspot window, the cell's alert is raised (once; later
requests are added to the live alert). An alert that cannot be written is
logged, never a reason to fail the resident's request, which is already stored.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from chalicelib import storage
from chalicelib.answers import Hotspot, HotspotPage, Point, Ref
from chalicelib.city import City
from chalicelib.domain import classifier, geocells
from chalicelib.domain.duplicates import CELL_PRECISION, Earlier, Incoming, hotspot_members, suspected_duplicates
from chalicelib.domain.errors import Forbidden
from chalicelib.domain.geo import deepest_area, wgs84_of
from chalicelib.domain.orders import OPEN_STATES, Actor, Role
from chalicelib.domain.reports import Neighbour
from chalicelib.observability import count, logger
from chalicelib.services import runtime, views


@dataclass(frozen=True)
class Surroundings:
    incoming: Incoming
    found: list[Earlier]  # what the cells and the phone hold
    duplicates: list[str]  # suspected duplicates, most likely first

    @property
    def geo_cell(self) -> str:
        return storage.geo_cell(self.incoming.category, self.incoming.cell)


def look_around(city: City, incoming: Incoming) -> Surroundings:
    duplicates, hotspots = city.intake.duplicates, city.intake.hotspots
    since = incoming.at - max(duplicates.window, hotspots.window)
    cells = geocells.cells_within(*incoming.point, duplicates.distance_m, CELL_PRECISION)
    found = [_earlier(item) for item in storage.recent_in_cells(incoming.category, cells, since)]
    if incoming.phone_hash is not None:
        found += [_earlier(item) for item in storage.recent_of_phone(incoming.phone_hash, incoming.at - duplicates.window)]
    return Surroundings(incoming, found, suspected_duplicates(incoming, found, duplicates, classifier.model().rarity))


def incoming(category: str, point: tuple[float, float], description: str, phone_hash: str | None, at: dt.datetime) -> Incoming:
    """The new request at ``point`` (lng, lat; WGS-84)."""
    return Incoming(category, point, geocells.encode(*point, CELL_PRECISION), description, phone_hash, at)


def _earlier(item: Neighbour) -> Earlier:
    location = item.location  # not projected into by-phone: a phone's match needs no distance
    point = wgs84_of(location) if location else None
    return Earlier(
        tracking_no=item.tracking_no,
        category=item.category,
        point=point,
        cell=item.geo_cell.split("#", 1)[1] if item.geo_cell else None,
        description=item.description,
        phone_hash=item.phone_hash,
        created_at=item.created_at,
        open=item.state in OPEN_STATES,
    )


def raise_hotspot(city: City, tracking_no: str, around: Surroundings) -> None:
    """Raise or extend the alert of the new request's cell, if the cell is a hotspot now."""
    policy = city.intake.hotspots
    members = hotspot_members(tracking_no, around.incoming, around.found, policy)
    if not members:
        return
    try:
        raised = storage.raise_hotspot(
            around.incoming.category, around.incoming.cell, members, around.incoming.at,
            around.incoming.at - policy.window,
        )
    except Exception:  # noqa: BLE001 - the request is stored; an alert is help for the dispatcher
        logger.exception("hotspot alert not written", tracking_no=tracking_no)
        return
    if raised:
        count("HotspotRaised")
        logger.info("hotspot raised", geo_cell=around.geo_cell, requests=len(members))


# ---- the dispatcher's list of alerts ------------------------------------------------

def alerts(actor: Actor, query) -> HotspotPage:
    """Hotspot alerts, the latest raised first: for the command centre (dispatchers and leaders)."""
    if actor.role not in (Role.DISPATCHER, Role.LEADER):
        raise Forbidden("热点预警仅对指挥中心开放")
    ctx = runtime.domain_context()
    page = storage.hotspots(query.cursor, query.limit)
    return HotspotPage(items=[_alert(item, ctx.city, ctx.now) for item in page.items], cursor=page.cursor)


def _alert(item: storage.Hotspot, city: City, now: dt.datetime) -> Hotspot:
    lng, lat = geocells.centre(item.cell)
    category = city.category_by_code.get(item.category)
    return Hotspot(
        id=item.key,
        category=Ref(code=item.category, name=category.name if category else item.category),
        area=views.area_ref(city, deepest_area(city.areas, lng, lat)),
        center=views.point_ref(lng, lat),
        count=len(item.tracking_nos),
        tracking_nos=list(item.tracking_nos),
        raised_at=views.iso(item.raised_at, city),
        last_at=views.iso(item.last_at, city),
        # Over once a whole window has passed without a request in it.
        active=now - item.last_at < city.intake.hotspots.window,
    )
