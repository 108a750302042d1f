"""The staff's actions: one model per action (lifecycle.RULES) a member of staff may take, told apart by "action"."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any, Literal, Union

from pydantic import ConfigDict, Field, StringConstraints, TypeAdapter, create_model

from chalicelib.commands.base import Body, Code, UploadId
from chalicelib.domain.actions import Input, Kind, Rule
from chalicelib.domain.lifecycle import RULES
from chalicelib.domain.orders import Role

# The roles that act through POST /api/v1/staff/requests/{no}/actions: not the resident's rating.
STAFF_ROLES = frozenset(Role) - {Role.RESIDENT, Role.SYSTEM}


class _Action(Body):
    # Strict: true or 2.0 is a client's mistake, not a version (true would pass for version 1).
    version: int = Field(strict=True, ge=1, description="The order's version the action was decided on")


def _field(spec: Input) -> tuple[Any, Any]:
    """The pydantic type and default of one of an action's inputs."""
    if spec.kind in (Kind.TEXT, Kind.LONG_TEXT, Kind.UNIT):
        kind: Any = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=spec.max_length)]
    elif spec.kind is Kind.UNITS:
        return list[Code], Field(max_length=spec.max_length)
    elif spec.kind is Kind.UPLOADS:
        return list[UploadId], Field(default_factory=list, max_length=spec.max_length)
    elif spec.kind is Kind.INTEGER:
        if not spec.required:
            return int | None, Field(default=None, strict=True, ge=spec.minimum, le=spec.maximum)
        return int, Field(ge=spec.minimum, le=spec.maximum)
    else:
        kind = bool
    if spec.required:
        return kind, ...
    return (bool, False) if kind is bool else (kind | None, None)


def _model(action: str, rule: Rule) -> type[_Action]:
    fields = {spec.name: _field(spec) for spec in rule.inputs}
    name = rule.model or action.title().replace("_", "")
    return create_model(name, __base__=_Action, __doc__=rule.doc, action=(Literal[str(action)], ...), **fields)


def staff_actions(rules: Mapping[str, Rule]) -> Any:
    """The body of a staff action: one model for each rule a member of staff may take, in the rules' order."""
    models = tuple(_model(name, rule) for name, rule in rules.items() if rule.roles & STAFF_ROLES)
    return Annotated[Union[models], Field(discriminator="action")]


StaffAction = staff_actions(RULES)
STAFF_ACTION = TypeAdapter(StaffAction, config=ConfigDict(defer_build=True))
