"""Category suggestion for the residents' page (智能预判): ranked categories and the unit."""
from __future__ import annotations

from chalicelib.answers import SuggestedCategory, Suggestion
from chalicelib.commands.bodies import SuggestRequest
from chalicelib.city import City
from chalicelib.domain import classifier
from chalicelib.domain.errors import InvalidInput
from chalicelib.domain.geo import deepest_area, wgs84_of
from chalicelib.domain.routing import route
from chalicelib.services import cases, runtime, views

TOP = 3
SIMILAR_CASES = 3


def ranked(city: City, description: str) -> list[tuple[str, float]]:
    """The categories this city has, most likely first, with the model's probabilities."""
    return [(code, p) for code, p in classifier.model().probabilities(description) if code in city.category_by_code]


def suggest(request: SuggestRequest) -> Suggestion:
    city = runtime.city()
    if request.area is not None and request.area not in city.area_parent:
        raise InvalidInput("输入有误，请检查标出的字段", {"area": "未知的区域"})
    top = ranked(city, request.description)[:TOP]
    area = request.area
    if area is None and request.location is not None:  # as at submission: the area the point lies in
        area = deepest_area(city.areas, *wgs84_of(request.location))
    unit = route(city, top[0][0], area) if top else None
    return Suggestion(
        categories=[
            SuggestedCategory(code=code, name=city.category_by_code[code].name, confidence=round(p, 4)) for code, p in top
        ],
        unit=views.unit_ref(city, unit),
        # The newest published cases of the top category (典型案例库): one Query.
        cases=cases.similar(top[0][0], SIMILAR_CASES) if top else [],
    )
