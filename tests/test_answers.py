"""The answers the views build as models (chalicelib/answers.py) go out as the views wrote them.

The API tests hold every answer to the OpenAPI document's schemas; these hold what a model's dump
adds of its own: how a timestamp is written, a key left out rather than null, models inside a model;
and that a dict is no answer.
"""
from __future__ import annotations

import datetime as dt
import json
from types import SimpleNamespace

import pytest
from pydantic import ValidationError

from chalicelib.answers import Followed, MediaLink, OwnRequest, SuggestedCategory
from chalicelib.api.http import respond
from chalicelib.city import load_city
from chalicelib.services import views

CITY = load_city("liaoyuan.yaml")
UTC_DAY = "2026-11-20T02:00:00+00:00"


def _own(**overrides) -> SimpleNamespace:
    stored = {
        "tracking_no": "LY20261120-0001",
        "type": "complaint",
        "category": "sanitation",
        "area": "220402",
        "description": "小区门口的垃圾已经三天没有清运了，电话13904371234",
        "state": "dispatched",
        "unit": "lsq-cg",
        "created_at": dt.datetime(2026, 11, 20, 2, 0, 0, 123456, tzinfo=dt.timezone.utc),
        "due_at": None,
    }
    return SimpleNamespace(**{**stored, **overrides})


def test_a_residents_own_request_is_the_model_dumped_with_its_times_in_the_citys_zone():
    answer = json.loads(respond(views.own_request(_own(), CITY)).body)

    assert answer == {
        "status": "处理中",
        "state": "dispatched",
        "state_label": answer["state_label"],
        "type": {"code": "complaint", "name": "投诉"},
        "category": {"code": "sanitation", "name": CITY.category_by_code["sanitation"].name},
        "area": {"code": "220402", "name": answer["area"]["name"]},
        "tracking_no": "LY20261120-0001",
        "summary": "小区门口的垃圾已经三天没有清运了，电话139****1234",
        "unit": {"code": "lsq-cg", "name": CITY.unit_by_code["lsq-cg"].name},
        "created_at": "2026-11-20T10:00:00+08:00",  # seconds, the city's offset
        "due_at": None,  # null, not left out
    }


def test_a_timestamp_keeps_the_offset_the_view_wrote():
    """pydantic writes a UTC datetime with Z; the views write +00:00 (a city in UTC), and so does the answer."""
    shown = Followed(
        tracking_no="LY20261120-0001",
        status="已受理",
        state="submitted",
        state_label="待派单",
        unit=None,
        due_at=UTC_DAY,
        reply=None,
        timeline=[],
        result_media=[],
    )

    assert json.loads(respond(shown).body)["due_at"] == UTC_DAY


def test_a_view_that_leaves_out_a_field_or_adds_one_fails_where_it_is_built():
    with pytest.raises(ValidationError):
        OwnRequest(**views.own_request(_own(), CITY).model_dump(exclude={"due_at"}))
    with pytest.raises(ValidationError):
        OwnRequest(**views.own_request(_own(), CITY).model_dump(), contact=None)


def test_models_inside_an_answer_are_written_as_their_json():
    link = MediaLink(kind="photo", url="https://media.example/p.jpg", expires_in=900)
    shown = Followed(
        tracking_no="LY20261120-0001", status="已受理", state="submitted", state_label="一", unit=None,
        due_at=None, reply=None, timeline=[], result_media=[link],
    )
    guess = SuggestedCategory(code="sanitation", name="一", confidence=0.1)

    assert respond(shown).body == (
        '{"status": "已受理", "state": "submitted", "state_label": "一", "tracking_no": "LY20261120-0001", '
        '"unit": null, "due_at": null, "reply": null, "timeline": [], '
        '"result_media": [{"kind": "photo", "url": "https://media.example/p.jpg", "expires_in": 900}]}'
    )
    assert respond(guess).body == '{"code": "sanitation", "name": "一", "confidence": 0.1}'


def test_a_dict_is_no_answer():
    """An answer's shape is its model's only: a dict written to look like one is refused where it is sent."""
    with pytest.raises(TypeError, match="not dict"):
        respond({"code": "sanitation", "name": "一", "confidence": 0.1})


def test_a_request_that_was_not_merged_is_tracked_without_a_main_key(api):
    from tests.api.resident_helpers import submit, track

    made = submit(api)

    answer = track(api, made["tracking_no"], made["query_code"])

    assert answer.status == 200
    assert "main" not in answer.json  # left out, not null: only a merged request follows another
    assert answer.json["timeline"][0]["at"] == answer.json["created_at"]
