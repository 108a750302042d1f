"""The staff accounts of units, from the identity provider (Cognito; locally moto's Cognito).

A unit's people are the users of the role groups (identity.ROLES) whose ``custom:unit`` names it,
as the staff tokens carry them. Cognito's ListUsers cannot filter on a custom attribute, so each
role group is listed (ListUsersInGroup, paged) and the units picked here: a handful of calls for
a city's staff, never a per-user lookup. Only the subject, the name staff already see in the
console and the groups leave this module: no phone, no e-mail.
"""
from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any, Protocol

from chalicelib.adapters.aws import boto3_client, refusals_as_unavailable
from chalicelib.adapters.identity import ROLES


@dataclass(frozen=True)
class Person:
    id: str  # the token's ``sub``: what an actor's id and an order's assignee are
    name: str
    unit: str
    roles: tuple[str, ...] = ()


class Directory(Protocol):
    def people(self, units: Collection[str]) -> list[Person]:
        """The enabled staff accounts of these units, by name."""


class CognitoDirectory:
    def __init__(self, pool_id: str, unit_attribute: str = "custom:unit", client: Any = None):
        self._pool_id = pool_id
        self._unit_attribute = unit_attribute
        self._client = client

    def people(self, units: Collection[str]) -> list[Person]:
        wanted = set(units)
        if not wanted or not self._pool_id:
            return []
        found: dict[str, Person] = {}
        with refusals_as_unavailable():
            for role in ROLES:
                for user in self._members(role):
                    person = self._person(user, role)
                    if person is None or person.unit not in wanted:
                        continue
                    known = found.get(person.id)
                    roles = (*known.roles, role) if known else (role,)
                    found[person.id] = Person(person.id, person.name, person.unit, roles)
        return sorted(found.values(), key=lambda p: (p.unit, p.name, p.id))

    def _members(self, group: str):
        client = self._client or boto3_client("cognito-idp")
        self._client = client
        params: dict[str, Any] = {"UserPoolId": self._pool_id, "GroupName": group, "Limit": 60}
        while True:
            try:
                page = client.list_users_in_group(**params)
            except client.exceptions.ResourceNotFoundException:
                return  # a pool without that group has nobody in it
            yield from page.get("Users", ())
            if not page.get("NextToken"):
                return
            params["NextToken"] = page["NextToken"]

    def _person(self, user: dict, role: str) -> Person | None:
        # A disabled account can be given no work.
        if user.get("Enabled") is False:
            return None
        attributes = {a["Name"]: a.get("Value") for a in user.get("Attributes", ())}
        subject, unit = attributes.get("sub"), attributes.get(self._unit_attribute)
        if not subject or not unit:
            return None
        return Person(subject, attributes.get("name") or user.get("Username") or subject, unit)
