"""The demo staff accounts, in moto's Cognito: a user pool as the cloud's is declared (groups for the
roles, a ``unit`` custom attribute), one app client for the staff pages, and the demo users. Dev and
tests only: never deployed.

moto signs its ID tokens the way Cognito does (RS256, ``cognito:groups``, ``custom:unit``) and
serves the pool's key set at ``<moto server>/<pool id>/.well-known/jwks.json``; its ``iss`` is the
cloud's ``https://cognito-idp.<region>.amazonaws.com/<pool id>`` whatever the endpoint, so that is
the verifier's AUTH_ISSUER, and its key set is fetched from the moto server instead.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from chalicelib.adapters.identity import ROLES

DEMO_PASSWORD = "demo"
_DEMO_NAMES = {"dispatcher": "演示调度员", "leader": "演示领导", "admin": "演示管理员", "operator": "演示话务员"}
# Cognito's own minimum is 6 characters; moto takes less, and the demo password stays "demo".
_DEMO_PASSWORD_POLICY = {
    "MinimumLength": len(DEMO_PASSWORD),
    **{f"Require{kind}": False for kind in ("Uppercase", "Lowercase", "Numbers", "Symbols")},
}


def demo_usernames(handler_units: Iterable[str]) -> list[str]:
    """The demo accounts: one per role, a handler per unit as ``handler:<unit code>``."""
    return [*_DEMO_NAMES, *(f"handler:{unit}" for unit in handler_units)]


@dataclass(frozen=True)
class StaffPool:
    """A demo user pool in moto's Cognito, and how to sign its users in."""

    cognito: Any  # a boto3 cognito-idp client of the moto server
    pool_id: str
    client_id: str
    usernames: tuple[str, ...]

    @property
    def issuer(self) -> str:
        region = self.pool_id.partition("_")[0]
        return f"https://cognito-idp.{region}.amazonaws.com/{self.pool_id}"

    def jwks_url(self, moto_endpoint: str) -> str:
        return f"{moto_endpoint.rstrip('/')}/{self.pool_id}/.well-known/jwks.json"

    def sign_in(self, username: Any, password: Any) -> str | None:
        """The user's ID token, as Cognito issues it for a right password; None for any other."""
        if not isinstance(username, str) or not isinstance(password, str) or not username:
            return None
        try:
            answer = self.cognito.admin_initiate_auth(
                UserPoolId=self.pool_id, ClientId=self.client_id, AuthFlow="ADMIN_USER_PASSWORD_AUTH",
                AuthParameters={"USERNAME": username, "PASSWORD": password},
            )
        except (self.cognito.exceptions.NotAuthorizedException, self.cognito.exceptions.UserNotFoundException):
            return None
        return answer["AuthenticationResult"]["IdToken"]

    def demo_tokens(self) -> dict[str, str]:
        """An ID token for each demo account, by username."""
        return {username: self.sign_in(username, DEMO_PASSWORD) for username in self.usernames}


def create_staff_pool(handler_units: Iterable[str], *, endpoint_url: str | None = None) -> StaffPool:
    """The pool, its groups, the staff pages' client and the demo users (password "demo")."""
    import boto3
    from botocore.config import Config

    # botocore refuses a policy below Cognito's 6 characters before moto sees it.
    cognito = boto3.client("cognito-idp", endpoint_url=endpoint_url, config=Config(parameter_validation=False))
    pool_id = cognito.create_user_pool(
        PoolName="suqiu-local-staff",
        Policies={"PasswordPolicy": _DEMO_PASSWORD_POLICY},
        Schema=[{"Name": "unit", "AttributeDataType": "String", "Mutable": True}],
    )["UserPool"]["Id"]
    client_id = cognito.create_user_pool_client(
        UserPoolId=pool_id, ClientName="suqiu-staff-pages", ExplicitAuthFlows=["ALLOW_ADMIN_USER_PASSWORD_AUTH"],
        # What the ID token carries besides the groups: the name the console shows, the unit.
        ReadAttributes=["name", "custom:unit"],
    )["UserPoolClient"]["ClientId"]
    for role in ROLES:
        cognito.create_group(UserPoolId=pool_id, GroupName=role)
    usernames = demo_usernames(handler_units)
    for username in usernames:
        _create_demo_user(cognito, pool_id, username)
    return StaffPool(cognito, pool_id, client_id, tuple(usernames))


def _create_demo_user(cognito: Any, pool_id: str, username: str) -> None:
    role, _, unit = username.partition(":")
    attributes = [{"Name": "name", "Value": _DEMO_NAMES.get(role) or f"演示承办人（{unit}）"}]
    if unit:
        attributes.append({"Name": "custom:unit", "Value": unit})
    cognito.admin_create_user(UserPoolId=pool_id, Username=username, UserAttributes=attributes, MessageAction="SUPPRESS")
    cognito.admin_set_user_password(UserPoolId=pool_id, Username=username, Password=DEMO_PASSWORD, Permanent=True)
    cognito.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=role)
