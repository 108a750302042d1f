"""Category suggestion (智能预判): POST /api/v1/suggest, and what intake does with it."""
from __future__ import annotations

import pytest

from chalicelib.city import IntakePolicy
from chalicelib.domain import classifier
from chalicelib.services import runtime
from tests.api.resident_helpers import submit

SUGGEST = "/api/v1/suggest"
GARBAGE = "小区楼下的垃圾箱满了好几天，没人清运，臭得很"
HUKOU = "我想问问办理户口迁移需要带什么材料"  # other


def suggested(api, **body):
    answer = api.post(SUGGEST, body)
    assert answer.status == 200, answer
    return answer.json


def test_the_answer_ranks_three_categories_with_names_and_confidence(api):
    answer = suggested(api, description=GARBAGE)

    codes = [c["code"] for c in answer["categories"]]
    confidences = [c["confidence"] for c in answer["categories"]]
    assert len(codes) == 3 and codes[0] == "sanitation"
    assert answer["categories"][0]["name"] == "环境卫生"
    assert confidences == sorted(confidences, reverse=True)
    assert all(0 <= c <= 1 for c in confidences)
    assert answer["cases"] == []


IN_XIAN = {"lat": 42.9, "lng": 125.14}  # 西安区 仙城街道 (WGS-84)
IN_LONGSHAN = {"lat": 42.92, "lng": 125.15}  # 龙山区 向阳街道


@pytest.mark.parametrize(
    ("description", "where", "unit"),
    [
        (GARBAGE, {"area": "220402"}, {"code": "lsq-cg", "name": "龙山区城市管理局"}),  # sanitation in 龙山区
        (GARBAGE, {"area": "220403001"}, {"code": "xaq-cg", "name": "西安区城市管理局"}),
        # No area chosen: the one the point lies in, as at submission.
        (GARBAGE, {"location": IN_LONGSHAN}, {"code": "lsq-cg", "name": "龙山区城市管理局"}),
        (GARBAGE, {"location": IN_XIAN}, {"code": "xaq-cg", "name": "西安区城市管理局"}),
        (GARBAGE, {"area": "220402", "location": IN_XIAN}, {"code": "lsq-cg", "name": "龙山区城市管理局"}),
        (GARBAGE, {"location": {"lat": 39.9, "lng": 116.4}}, {"code": "cgj", "name": "辽源市城市管理局"}),  # Beijing
        (GARBAGE, {}, {"code": "cgj", "name": "辽源市城市管理局"}),
        ("家里暖气一点都不热，屋里才十三度", {}, {"code": "heat", "name": "辽源市供热公司"}),
        (HUKOU, {"location": IN_XIAN}, None),  # other: no routing rule
    ],
)
def test_the_unit_is_the_one_routing_picks_for_the_top_category(api, description, where, unit):
    assert suggested(api, description=description, **where)["unit"] == unit


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"description": "垃圾太多"},  # 4 characters
        {"description": "脏" * 2001},
        {"description": 12345},
        {"description": GARBAGE, "location": {"lat": 100, "lng": 125.1}},
        {"description": GARBAGE, "unknown": 1},
        {"description": GARBAGE, "area": "999999"},
    ],
)
def test_bad_input_is_refused_with_422(api, body):
    answer = api.post(SUGGEST, body)
    assert answer.status == 422, answer
    assert answer.json["error"]["code"] == "validation_failed"


# ---- intake: the suggestion is stored, and routes an "other" request when sure enough ----

LAMP = "路灯坏了一个星期了"  # municipal, but not beyond doubt


def with_threshold(monkeypatch, threshold: float) -> None:
    city = runtime.city()
    patched = city.model_copy(update={"intake": IntakePolicy(auto_dispatch_confidence=threshold)})
    monkeypatch.setattr(runtime, "city", lambda: patched)


def staff_view(api, staff, tracking_no: str) -> dict:
    answer = api.get(f"/api/v1/staff/requests/{tracking_no}", staff("dispatcher"))
    assert answer.status == 200, answer
    return answer.json


@pytest.mark.parametrize(
    ("margin", "state", "unit"),
    [(-0.01, "dispatched", "cgj"), (0.0, "dispatched", "cgj"), (0.01, "submitted", None)],
    ids=["above", "at", "below"],
)
def test_an_other_request_is_routed_by_the_suggestion_only_at_or_above_the_threshold(
    api, staff, monkeypatch, margin, state, unit
):
    (top, confidence), = classifier.suggest(LAMP, top=1)
    assert top == "municipal" and confidence < 0.99
    with_threshold(monkeypatch, round(confidence, 4) + margin)

    receipt = submit(api, category="other", description=LAMP, area=None)

    assert receipt["state"] == state
    assert (receipt["unit"] or {}).get("code") == unit
    detail = staff_view(api, staff, receipt["tracking_no"])
    assert detail["category"]["code"] == "other"  # the resident's choice is kept
    assert detail["suggestion"] == {"code": "municipal", "name": "市政设施", "confidence": round(confidence, 4)}


def test_a_category_the_resident_chose_is_routed_as_chosen_with_the_suggestion_shown(api, staff):
    receipt = submit(api, category="sanitation", description=LAMP, area="220402")

    assert receipt["unit"]["code"] == "lsq-cg"
    assert staff_view(api, staff, receipt["tracking_no"])["suggestion"]["code"] == "municipal"


def test_an_other_request_the_model_also_calls_other_waits_for_the_dispatcher(api, staff):
    receipt = submit(api, category="other", description=HUKOU, area=None)

    assert receipt["state"] == "submitted"
    assert receipt["unit"] is None
    assert staff_view(api, staff, receipt["tracking_no"])["suggestion"]["code"] == "other"
