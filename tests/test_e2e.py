"""End to end, over HTTP, against the local stack that `make run` starts (tests/local_stack.py).

A photo goes up through the presigned POST to the moto server, exactly as a phone would send it.
"""
from __future__ import annotations

import os
import xml.etree.ElementTree as ET

import pytest

from tests.local_stack import HTTP, LocalStack, local_stack

# The smallest valid JPEG is not needed: the server checks type and size, not pixels.
PHOTO = b"\xff\xd8\xff\xe0" + b"\x00" * 2048 + b"\xff\xd9"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> LocalStack:
    with local_stack(tmp_path_factory.mktemp("local-stack")) as running:
        yield running


def _submit(stack: LocalStack, media: list[str], phone: str) -> dict:
    body = {
        "type": "complaint",
        "category": "sanitation",
        "description": "向阳街道龙山社区门口垃圾堆了三天，没人清运，气味很大。",
        "location": {"lat": 42.905, "lng": 125.145, "coord_system": "wgs84", "address": "龙山区向阳街道龙山社区"},
        "area": "220402001001",
        "media": media,
        "anonymous": False,
        "contact": {"name": "李桂兰", "phone": phone, "otp": stack.otp(phone)},
    }
    answer = HTTP.post(f"{stack.api}/requests", json=body, headers={"Idempotency-Key": os.urandom(8).hex()})
    assert answer.status_code == 201, answer.text
    return answer.json()


def _act(base: str, token: str, tracking_no: str, action: dict) -> dict:
    headers = {"Authorization": f"Bearer {token}"}
    detail = HTTP.get(f"{base}/staff/requests/{tracking_no}", headers=headers).json()
    answer = HTTP.post(
        f"{base}/staff/requests/{tracking_no}/actions", json=action | {"version": detail["version"]}, headers=headers
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def _handle_to_resolution(base: str, token: str, tracking_no: str) -> None:
    assert _act(base, token, tracking_no, {"action": "sign"})["state"] == "in_progress"
    resolved = _act(base, token, tracking_no, {"action": "resolve", "reply": "已安排环卫车辆清运，并增加清运频次。"})
    assert resolved["state"] == "resolved"


def test_a_photo_report_goes_from_submission_to_closure(stack):
    base, tokens = stack.api, stack.tokens
    upload = HTTP.post(
        f"{base}/uploads", json={"filename": "垃圾.jpg", "content_type": "image/jpeg", "size": len(PHOTO)}
    ).json()
    posted = HTTP.post(upload["url"], data=upload["fields"], files={"file": ("垃圾.jpg", PHOTO, "image/jpeg")})
    assert posted.status_code in (200, 204), posted.text

    submitted = _submit(stack, [upload["upload_id"]], "13904371234")
    assert submitted["state"] == "dispatched" and submitted["unit"]["code"] == "lsq-cg"
    no, code = submitted["tracking_no"], submitted["query_code"]

    _handle_to_resolution(base, tokens["handler:lsq-cg"], no)
    tracked = HTTP.get(f"{base}/requests/{no}", params={"code": code}).json()
    assert tracked["status"] == "已办结" and tracked["can_rate"]
    assert HTTP.get(tracked["media"][0]["url"]).content == PHOTO

    rated = HTTP.post(f"{base}/requests/{no}/rating", json={"code": code, "stars": 5, "comment": "很及时"})
    assert rated.status_code == 200 and rated.json()["state"] == "closed"


def test_a_bad_rating_sends_the_order_back_to_be_redone(stack):
    base, tokens = stack.api, stack.tokens
    submitted = _submit(stack, [], "13904375678")  # another phone: one code a minute each
    no, code = submitted["tracking_no"], submitted["query_code"]
    _handle_to_resolution(base, tokens["handler:lsq-cg"], no)

    rated = HTTP.post(f"{base}/requests/{no}/rating", json={"code": code, "stars": 1, "comment": "根本没清理"})
    assert rated.status_code == 200
    assert rated.json()["state"] == "in_progress"
    tracked = HTTP.get(f"{base}/requests/{no}", params={"code": code}).json()
    assert tracked["unit"]["code"] == "lsq-cg" and tracked["timeline"][-1]["note"] == "根本没清理"


def test_the_hotline_follows_a_request_over_open311_with_the_demo_key(stack):
    base, tokens = stack.api, stack.tokens
    assert {"dispatcher", "leader", "admin", "handler:lsq-cg", "api_key:hotline"} <= set(tokens)
    open311 = base.replace("/api/v1", "/open311/v2")
    form = {
        "api_key": tokens["api_key:hotline"],
        "service_code": "sanitation",
        "lat": "42.905",
        "long": "125.145",
        "description": "来电反映：南康街道福镇社区垃圾箱满溢，无人清运。",
        "last_name": "赵",
        "phone": "13904370001",
        "external_id": "12345-20261120-0001",
    }
    posted = HTTP.post(f"{open311}/requests.xml", data=form)
    assert posted.status_code == 201, posted.text
    assert posted.headers["Content-Type"] == "text/xml; charset=utf-8"
    receipt = ET.fromstring(posted.content).find("request")
    no = receipt.find("service_request_id").text
    again = HTTP.post(f"{open311}/requests.json", data=form)  # the hotline system retries
    assert again.status_code == 200 and again.json()[0]["service_request_id"] == no

    _handle_to_resolution(base, tokens["handler:lsq-cg"], no)
    [request] = HTTP.get(f"{open311}/requests/{no}.json").json()
    assert request["status"] == "closed" and request["status_notes"] == "已安排环卫车辆清运，并增加清运频次。"
    updates = HTTP.get(f"{open311}/servicerequestupdates.json").json()
    assert [u["status"] for u in updates if u["service_request_id"] == no][-1] == "closed"
    discovery = HTTP.get(f"{open311}/discovery.json").json()
    assert discovery["endpoints"][0]["url"] == open311
