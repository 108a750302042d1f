"""Routing rules: category + area → unit, first match wins."""
from __future__ import annotations

from chalicelib.city import City


def route(city: City, category: str, area: str | None) -> str | None:
    """The unit the first matching rule names, or None for the dispatcher's queue.

    A rule with an area matches that area and every area below it; a rule
    without one matches anywhere, including requests that give no area.
    """
    area_path = city.area_path(area) if area else []
    for rule in city.routing:
        if rule.category != category:
            continue
        if rule.area is None or rule.area in area_path:
            return rule.unit
    return None
