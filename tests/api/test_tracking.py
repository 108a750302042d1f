"""Residents' API, second half: following a request with its query code, rating it, and privacy in the logs."""
from __future__ import annotations

import sys
import urllib.parse

import pytest

from chalicelib.observability import logger
from chalicelib.settings import get_settings
from tests.api.resident_helpers import (
    NAME,
    PHONE,
    REQUESTS,
    SANITATION_DUE,
    act,
    assert_error,
    rate,
    raw_order,
    staff_view,
    submit,
    track,
    upload,
)


@pytest.fixture
def order(api, clock):
    """A named sanitation complaint with a photo, auto-dispatched to lsq-cg on the frozen Friday."""
    return submit(api, media=[upload(api)])


def resolve(api, staff, tracking_no: str, sign: bool = True) -> None:
    if sign:
        act(api, staff, tracking_no, "sign")
    act(api, staff, tracking_no, "resolve", reply="已安排环卫车辆清运完毕")


@pytest.fixture
def resolved(api, staff, order):
    resolve(api, staff, order["tracking_no"])
    return order


# ---- tracking ----------------------------------------------------------------

def test_the_right_code_shows_the_public_state_and_timeline(api, order):
    answer = track(api, order["tracking_no"], order["query_code"])

    assert answer.status == 200, answer
    detail = answer.json
    assert detail["tracking_no"] == order["tracking_no"]
    assert (detail["status"], detail["state"], detail["state_label"]) == ("处理中", "dispatched", "待签收")
    assert detail["unit"] == {"code": "lsq-cg", "name": "龙山区城市管理局"}
    assert detail["due_at"] == SANITATION_DUE
    assert detail["category"] == {"code": "sanitation", "name": "环境卫生"}
    assert detail["can_rate"] is False
    assert [entry["action"] for entry in detail["timeline"]] == ["submit", "auto_dispatch"]
    assert all("actor" not in entry for entry in detail["timeline"])
    assert PHONE not in answer.text and NAME not in answer.text
    assert "query_code" not in detail and "contact" not in detail


@pytest.mark.parametrize("case", ["lower-case code", "lower-case number", "padded code"])
def test_the_code_and_the_number_are_read_leniently(api, order, case):
    number, code = order["tracking_no"], order["query_code"]
    number, code = {
        "lower-case code": (number, code.lower()),
        "lower-case number": (number.lower(), code),
        "padded code": (number, f"%20{code}%20"),
    }[case]

    answer = track(api, number, code)

    assert answer.status == 200, answer
    assert answer.json["tracking_no"] == order["tracking_no"]


@pytest.mark.parametrize("public", [True, False])
def test_a_progress_note_shows_in_the_timeline_only_when_public(api, staff, order, public):
    act(api, staff, order["tracking_no"], "sign")
    act(api, staff, order["tracking_no"], "progress", note="已联系环卫所，明日上午清运", public=public)

    timeline = track(api, order["tracking_no"], order["query_code"]).json["timeline"]

    assert [e["action"] for e in timeline] == ["submit", "auto_dispatch", "sign"] + (["progress"] * public)
    assert ("已联系环卫所，明日上午清运" in [e["note"] for e in timeline]) is public


def test_a_wrong_code_an_unknown_number_and_a_malformed_number_look_the_same(api, order):
    number, code = order["tracking_no"], order["query_code"]
    unknown = number[:-4] + "9999"
    wrong_code = "Z" * len(code) if code != "Z" * len(code) else "Y" * len(code)

    answers = [
        track(api, number, wrong_code),
        track(api, unknown, code),
        track(api, "not-a-number", code),
        track(api, number + "0", code),
        track(api, number, "\udc00"),  # not even valid UTF-8
        track(api, number, "码" * 300),
    ]

    for answer in answers:
        assert_error(answer, 404, "not_found")
    assert len({a.text for a in answers}) == 1


@pytest.mark.parametrize("query", ["", "?code=", "?code=%20%20", "?other=1"])
def test_tracking_without_a_code_asks_for_it(api, order, query):
    answer = api.get(f"{REQUESTS}/{order['tracking_no']}{query}")

    assert_error(answer, 422, "validation_failed", "code")


def test_media_is_shown_through_expiring_presigned_links(api, order):
    media = track(api, order["tracking_no"], order["query_code"]).json["media"]

    assert len(media) == 1
    assert media[0]["kind"] == "photo"
    url = media[0]["url"]
    assert f"media/{order['tracking_no']}/" in url
    signed = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert signed["X-Amz-Signature"] and signed["X-Amz-Expires"] == [str(get_settings().media_link_ttl_seconds)]
    assert media[0]["expires_in"] == get_settings().media_link_ttl_seconds


# ---- rating ------------------------------------------------------------------

def test_rating_before_the_request_is_resolved_is_a_conflict(api, order):
    answer = rate(api, order["tracking_no"], order["query_code"], 5)

    assert_error(answer, 409, "conflict")
    assert raw_order(order["tracking_no"])["state"] == {"S": "dispatched"}


def test_a_satisfied_rating_closes_the_request_once(api, resolved):
    number, code = resolved["tracking_no"], resolved["query_code"]
    assert track(api, number, code).json["can_rate"] is True

    first = rate(api, number, code, 5, comment="很及时，谢谢")
    again = rate(api, number, code, 4)

    assert first.status == 200, first
    assert (first.json["state"], first.json["status"]) == ("closed", "已办结")
    assert_error(again, 409, "conflict")
    detail = track(api, number, code).json
    assert (detail["state"], detail["rating"], detail["can_rate"]) == ("closed", 5, False)
    assert detail["timeline"][-1]["note"] == "很及时，谢谢"


def test_rating_with_a_wrong_code_is_not_found(api, resolved):
    answer = rate(api, resolved["tracking_no"], "WRONG999", 5)

    assert_error(answer, 404, "not_found")
    assert raw_order(resolved["tracking_no"])["state"] == {"S": "resolved"}


@pytest.mark.parametrize("stars", [0, 6, -1, 2.5, "五", True])
def test_stars_outside_one_to_five_are_refused(api, resolved, stars):
    answer = rate(api, resolved["tracking_no"], resolved["query_code"], stars)

    assert_error(answer, 422, "validation_failed", "stars")


@pytest.mark.parametrize(
    "payload, field",
    [({"stars": 5}, "code"), ({"code": "ABCDEFGH"}, "stars"), ({"code": "ABCDEFGH", "stars": 5, "x": 1}, "x")],
    ids=["no-code", "no-stars", "extra-field"],
)
def test_a_rating_with_missing_or_extra_fields_is_refused(api, resolved, payload, field):
    answer = api.post(f"{REQUESTS}/{resolved['tracking_no']}/rating", payload)

    assert_error(answer, 422, "validation_failed", field)


def test_an_unsatisfied_rating_reopens_the_request_for_one_more_round(api, staff, clock, resolved):
    number, code = resolved["tracking_no"], resolved["query_code"]
    clock.move_to("2026-11-23T09:00:00+08:00")  # the Monday after

    reopened = rate(api, number, code, 1, comment="根本没有清运")

    assert reopened.status == 200, reopened
    assert reopened.json["state"] == "in_progress"
    # A fresh deadline: 5 working days of office time from Monday 09:00.
    assert reopened.json["due_at"] == "2026-11-30T09:00:00+08:00"
    assert staff_view(api, staff, number)["round"] == 2
    assert_error(rate(api, number, code, 1), 409, "conflict")  # once per round

    resolve(api, staff, number, sign=False)  # the reopened order is still signed for
    second = rate(api, number, code, 4)

    assert second.status == 200, second
    assert second.json["state"] == "closed"
    assert track(api, number, code).json["rating"] == 4


# ---- privacy -----------------------------------------------------------------

def test_logs_never_hold_the_phone_the_name_or_the_query_code(api, staff, clock, capsys, monkeypatch):
    # Powertools' handler kept the stdout of import time; point it at the one capsys captures.
    monkeypatch.setattr(logger.registered_handler, "stream", sys.stdout)

    order = submit(api, media=[upload(api)])
    number, code = order["tracking_no"], order["query_code"]
    track(api, number, code)
    track(api, number, code.lower())
    resolve(api, staff, number)
    rate(api, number, code, 5)
    rate(api, number, code, 5)  # refused: logged as a 409

    logs = capsys.readouterr().out
    assert f'"tracking_no":"{number}"' in logs  # the capture works: the submission was logged
    assert '"status":409' in logs
    for secret in (PHONE, NAME, code, code.lower()):
        assert secret not in logs
