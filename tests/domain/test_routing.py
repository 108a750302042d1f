"""Routing of the demo city: category + area → unit, first match wins."""
from __future__ import annotations

import pytest

from chalicelib.city import RoutingRule, load_city
from chalicelib.domain.routing import route

CITY = load_city("liaoyuan.yaml")


@pytest.mark.parametrize(
    ("category", "area", "unit"),
    [
        ("sanitation", "220402", "lsq-cg"),
        ("sanitation", "220402001001", "lsq-cg"),  # a community matches its district's rule
        ("sanitation", "220403", "xaq-cg"),
        ("sanitation", "220403001", "xaq-cg"),
        ("sanitation", "220421", "cgj"),
        ("sanitation", "220422101002", "cgj"),
        ("sanitation", None, "cgj"),
        ("municipal", "220402001", "cgj"),
        ("municipal", None, "cgj"),
        ("traffic", "220403", "jj"),
        ("public_security", None, "gaj"),
        ("pollution", "220421100", "sthj"),
        ("greening", None, "yl"),
        ("property", "220402001", "lsq-xy"),
        ("property", "220402001002", "lsq-xy"),
        ("property", "220402002", "lsq"),
        ("property", "220402002001", "lsq"),
        ("property", "220402", "lsq"),
        ("property", "220403", "zjj"),
        ("property", None, "zjj"),
        ("utilities", "220402001001", "heat"),
        ("market", None, "scjg"),
        ("labor", "220422", "rsj"),
        ("other", None, None),
        ("other", "220402001001", None),
    ],
)
def test_demo_city_routing(category, area, unit):
    assert route(CITY, category, area) == unit


def test_first_matching_rule_wins():
    anywhere = RoutingRule(category="sanitation", unit="cgj")
    in_longshan = RoutingRule(category="sanitation", area="220402", unit="lsq-cg")
    general_first = CITY.model_copy(update={"routing": (anywhere, in_longshan)})
    assert route(general_first, "sanitation", "220402001") == "cgj"


def test_area_rule_does_not_match_a_sibling_or_a_parent_area():
    rule = RoutingRule(category="property", area="220402001", unit="lsq-xy")
    only_street = CITY.model_copy(update={"routing": (rule,)})
    assert route(only_street, "property", "220402001001") == "lsq-xy"
    assert route(only_street, "property", "220402002") is None
    assert route(only_street, "property", "220402") is None
    assert route(only_street, "property", None) is None
