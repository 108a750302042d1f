"""End to end, over HTTP: no text is lost behind a record the relay cannot use.

The sequence seen on the local stack: a named submission refused for a wrong SMS code (the
README's walk-through does exactly this), then the same submission with the right code, then
another. moto lets the cancelled transaction's outbox records through to the table's stream
(and swaps the table, stream and all, for its copy from before the transaction), so the
relay meets messages of an order that was never stored. Every text of the orders that were
stored must still go out.

The stack runs on a copy of the demo city with no quiet hours, so the texts go out at any
time of day the test runs.
"""
from __future__ import annotations

import re
import time

import pytest

from chalicelib.city import CITIES_DIR
from tests.local_stack import HTTP, LocalStack, local_stack

PHONE, OTHER_PHONE, THIRD_PHONE = "13904371234", "13904375678", "13904379012"


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> LocalStack:
    state = tmp_path_factory.mktemp("texts-stack")
    city = CITIES_DIR.joinpath("liaoyuan.yaml").read_text(encoding="utf-8")
    quiet = re.compile(r"quiet_hours: \{[^}]*\}")
    assert quiet.search(city), "the demo city's quiet hours moved: update this test"
    city_file = state / "always-awake.yaml"
    city_file.write_text(quiet.sub('quiet_hours: {start: "00:00", end: "00:00"}', city), encoding="utf-8")
    with local_stack(state, CITY_FILE=str(city_file)) as running:
        yield running


def _submission(phone: str, code: str) -> dict:
    return {
        "type": "complaint",
        "category": "sanitation",
        "description": "向阳街道龙山社区门口垃圾堆了三天没人清运",
        "location": {"lat": 42.905, "lng": 125.145, "coord_system": "wgs84", "address": "龙山区向阳街道"},
        "area": "220402001001",
        "anonymous": False,
        "contact": {"name": "李桂兰", "phone": phone, "otp": code},
    }


def _texts_naming(stack: LocalStack, tracking_no: str) -> list[str]:
    return [line for line in stack.log.read_text().splitlines() if line.startswith("SMS ") and tracking_no in line]


def _wait_for_texts(stack: LocalStack, tracking_no: str, count: int) -> list[str]:
    """The texts naming ``tracking_no`` once there are ``count`` of them (the stack relays every second)."""
    deadline = time.monotonic() + 20
    while len(texts := _texts_naming(stack, tracking_no)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return texts


def test_a_refused_submission_holds_back_no_later_text(stack):
    # A stack already at work: its stream has been read (moto's swap strands what reads it).
    first = HTTP.post(f"{stack.api}/requests", json=_submission(OTHER_PHONE, stack.otp(OTHER_PHONE))).json()
    assert len(_wait_for_texts(stack, first["tracking_no"], 3)) == 3, stack.log.read_text()[-4000:]

    code = stack.otp(PHONE)
    wrong = "000000" if code != "000000" else "111111"
    refused = HTTP.post(f"{stack.api}/requests", json=_submission(PHONE, wrong))
    assert refused.status_code == 422, refused.text
    second = HTTP.post(f"{stack.api}/requests", json=_submission(PHONE, code)).json()
    third = HTTP.post(f"{stack.api}/requests", json=_submission(THIRD_PHONE, stack.otp(THIRD_PHONE))).json()

    # Received (with the query code), dispatched, and the unit's new-order text: three each.
    for submitted in (second, third):
        texts = _wait_for_texts(stack, submitted["tracking_no"], 3)
        assert len(texts) == 3, stack.log.read_text()[-4000:]
        assert sum(submitted["query_code"] in text for text in texts) == 1
    # The refused submission took no tracking number: the numbers run on.
    numbers = [int(submitted["tracking_no"][-4:]) for submitted in (first, second, third)]
    assert numbers == [numbers[0], numbers[0] + 1, numbers[0] + 2]
