"""The directory of a unit's people: every page of every role group, enabled accounts of the units asked."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from chalicelib.adapters.people import CognitoDirectory, Person
from chalicelib.domain.errors import Unavailable


def user(sub: str, name: str, unit: str | None, enabled: bool = True) -> dict:
    attributes = [{"Name": "sub", "Value": sub}, {"Name": "name", "Value": name}, {"Name": "phone_number", "Value": "+8613800000000"}]
    if unit:
        attributes.append({"Name": "custom:unit", "Value": unit})
    return {"Username": sub, "Enabled": enabled, "Attributes": attributes}


class Groups:
    """A stand-in for Cognito's ListUsersInGroup: one user a page, so paging is exercised."""

    class exceptions:
        class ResourceNotFoundException(Exception):
            pass

    def __init__(self, members: dict[str, list[dict]], refuse: str | None = None):
        self.members, self.refuse, self.calls = members, refuse, []

    def list_users_in_group(self, UserPoolId, GroupName, Limit, NextToken=None):
        self.calls.append((GroupName, NextToken))
        if self.refuse:
            raise ClientError({"Error": {"Code": self.refuse, "Message": "slow down"}}, "ListUsersInGroup")
        if GroupName not in self.members:
            raise self.exceptions.ResourceNotFoundException()
        users = self.members[GroupName]
        at = int(NextToken or 0)
        page = {"Users": users[at:at + 1]}
        if at + 1 < len(users):
            page["NextToken"] = str(at + 1)
        return page


def test_every_page_of_every_group_and_only_the_units_asked():
    client = Groups({
        "handler": [user("a", "甲", "lsq-cg"), user("b", "乙", "lsq-xy"), user("c", "丙", "lsq-cg", enabled=False),
                    user("d", "丁", None)],
        "operator": [user("a", "甲", "lsq-cg"), user("e", "戊", "lsq-cg")],
    })
    found = CognitoDirectory("pool", client=client).people(["lsq-cg"])
    assert set(found) == {Person("a", "甲", "lsq-cg", ("handler", "operator")), Person("e", "戊", "lsq-cg", ("operator",))}
    assert ("handler", "3") in client.calls  # the last page was read
    # No phone or e-mail leaves the adapter: a Person has none.
    assert set(Person.__dataclass_fields__) == {"id", "name", "unit", "roles"}


def test_no_pool_or_no_units_asks_nobody():
    client = Groups({})
    assert CognitoDirectory("", client=client).people(["lsq-cg"]) == []
    assert CognitoDirectory("pool", client=client).people([]) == []
    assert client.calls == []


def test_cognito_throttling_is_unavailable_not_a_500():
    with pytest.raises(Unavailable):
        CognitoDirectory("pool", client=Groups({}, refuse="TooManyRequestsException")).people(["lsq-cg"])
