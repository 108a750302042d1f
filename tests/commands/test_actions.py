"""The request models against the domain they feed."""
from __future__ import annotations

from typing import get_args

from chalicelib.commands.actions import StaffAction
from chalicelib.domain.lifecycle import RULES, Role

STAFF = {Role.DISPATCHER, Role.HANDLER, Role.LEADER, Role.ADMIN}


def test_every_action_staff_may_take_has_one_request_model_and_no_other_has():
    models = get_args(get_args(StaffAction)[0])
    modelled = [get_args(model.model_fields["action"].annotation)[0] for model in models]
    staff_actions = {name for name, rule in RULES.items() if rule.roles & STAFF}

    assert len(modelled) == len(set(modelled))
    assert set(modelled) == staff_actions
