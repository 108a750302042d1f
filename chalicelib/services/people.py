"""A unit's people (承办人) from the identity provider, and the open work each of them holds.

Who may look: the command centre (dispatcher, leader; admin for the people, who manages the
accounts) and a handler of the unit or of a unit above it. Units are no secret (GET
/staff/city lists them), so a handler of another unit is told 403, not 404.
"""
from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache

from chalicelib import storage
from chalicelib.adapters.people import CognitoDirectory, Directory, Person
from chalicelib.answers import People, Workload
from chalicelib.commands.queries import WorkloadQuery
from chalicelib.domain.errors import Forbidden, InvalidInput, NotFound
from chalicelib.domain.orders import OPEN_STATES, ROLE_LABELS, Actor, Level, Role
from chalicelib.services import runtime, views
from chalicelib.settings import get_settings

_PEOPLE_VIEWERS = frozenset({Role.DISPATCHER, Role.LEADER, Role.ADMIN})
_WORKLOAD_VIEWERS = frozenset({Role.DISPATCHER, Role.LEADER})


@lru_cache(maxsize=1)
def _directory(pool_id: str, unit_claim: str) -> Directory:
    return CognitoDirectory(pool_id, unit_claim)


def of_units(units: Collection[str]) -> list[Person]:
    """The enabled staff accounts of these units."""
    settings = get_settings()
    return _directory(settings.staff_user_pool_id, settings.auth_unit_claim).people(units)


def _may_look(actor: Actor, unit: str, roles: frozenset[Role]) -> None:
    if actor.role in roles:
        return
    if actor.role is Role.HANDLER and actor.unit and runtime.city().is_within(unit, actor.unit):
        return
    raise Forbidden(f"{ROLE_LABELS[actor.role]}不能查看该单位的人员")


def unit_people(actor: Actor, unit: str) -> People:
    city = runtime.city()
    if unit not in city.unit_by_code:
        raise NotFound("单位不存在")
    _may_look(actor, unit, _PEOPLE_VIEWERS)
    return People(
        unit=views.unit_ref(city, unit),
        people=[{"id": p.id, "name": p.name, "roles": list(p.roles)} for p in of_units([unit])],
    )


def _load() -> dict:
    return {"open": 0, "by_level": {level.value: 0 for level in Level}}


def workload(actor: Actor, query: WorkloadQuery) -> Workload:
    city = runtime.city()
    if query.unit not in city.unit_by_code:
        raise InvalidInput("单位不存在", {"unit": "不存在"})
    _may_look(actor, query.unit, _WORKLOAD_VIEWERS)
    units = city.unit_subtree(query.unit)
    loads = {
        p.id: {"id": p.id, "name": p.name, "unit": views.unit_ref(city, p.unit), **_load()} for p in of_units(units)
    }
    unassigned = _load()
    for order in storage.open_orders_of_units(units, [s.value for s in OPEN_STATES]):
        if order.assignee_id is None:
            load = unassigned
        else:
            # Someone no longer among the units' people still holds the order: shown under the stored name.
            load = loads.setdefault(
                order.assignee_id,
                {"id": order.assignee_id, "name": order.assignee_name or order.assignee_id, "unit": None, **_load()},
            )
        level = order.level if order.level in load["by_level"] else Level.NORMAL.value
        load["open"] += 1
        load["by_level"][level] += 1
    people = sorted(loads.values(), key=lambda load: -load["open"])
    return Workload(unit=views.unit_ref(city, query.unit), people=people, unassigned=unassigned)
