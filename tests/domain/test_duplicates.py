"""Which earlier requests a new one repeats (并单), and when a cell is a hotspot (未诉先办)."""
from __future__ import annotations

import datetime as dt
import math

import pytest

from chalicelib.city import DuplicatePolicy, HotspotPolicy
from chalicelib.domain import classifier
from chalicelib.domain.duplicates import (
    CELL_PRECISION,
    Earlier,
    Incoming,
    different_places,
    hotspot_members,
    is_duplicate,
    problem_characters,
    similarity,
    suspected_duplicates,
)
from chalicelib.domain.geocells import EARTH_RADIUS_M, encode

RARITY = classifier.model().rarity
POLICY = DuplicatePolicy(distance_m=200, window_days=7, min_similarity=0.08)
AT = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc)
HERE = (125.155, 42.905)
LAMP = "人民大街8号门口的路灯坏了，晚上一片漆黑"


def north_of(metres: float) -> tuple[float, float]:
    return HERE[0], HERE[1] + math.degrees(metres / EARTH_RADIUS_M)


def incoming(description: str = "门口路灯不亮好几天了", phone: str | None = None, category: str = "municipal") -> Incoming:
    return Incoming(category, HERE, encode(*HERE, CELL_PRECISION), description, phone, AT)


def earlier(
    no: str = "LY202611190001",
    description: str = LAMP,
    metres: float = 50,
    hours: float = 5,
    open: bool = True,
    phone: str | None = None,
    category: str = "municipal",
    point: bool = True,
) -> Earlier:
    where = north_of(metres)
    return Earlier(
        no, category, where if point else None, encode(*where, CELL_PRECISION), description, phone,
        AT - dt.timedelta(hours=hours), open,
    )


def test_the_same_problem_reported_nearby_is_a_suspected_duplicate():
    assert is_duplicate(incoming(), earlier(), POLICY, RARITY)


@pytest.mark.parametrize(
    ("why", "other"),
    [
        ("too far", earlier(metres=250)),
        ("too old", earlier(hours=7 * 24 + 1)),
        ("closed", earlier(open=False)),
        ("another category", earlier(category="sanitation")),
        ("another problem", earlier(description="人民大街8号门口井盖丢了，差点掉下去")),
        ("another building", earlier(description="3号楼门口路灯不亮")),
        ("later than the new one", earlier(hours=-1)),
    ],
)
def test_what_is_not_a_duplicate(why, other):
    new = incoming("5号楼门口路灯不亮好几天了" if why == "another building" else "门口路灯不亮好几天了")
    assert not is_duplicate(new, other, POLICY, RARITY), why


def test_the_same_verified_phone_is_a_duplicate_whatever_it_says_and_wherever():
    other = earlier(description="井盖丢了", metres=5000, phone="h1", point=False)
    assert is_duplicate(incoming(phone="h1"), other, POLICY, RARITY)
    assert not is_duplicate(incoming(phone="h2"), other, POLICY, RARITY)
    # The phone does not lift the other conditions: category, window, open.
    assert not is_duplicate(incoming(phone="h1", category="sanitation"), other, POLICY, RARITY)


def test_the_distance_and_window_come_from_the_policy():
    wider = POLICY.model_copy(update={"distance_m": 400, "window_days": 14})
    assert is_duplicate(incoming(), earlier(metres=350, hours=10 * 24), wider, RARITY)
    assert not is_duplicate(incoming(), earlier(metres=350, hours=10 * 24), POLICY, RARITY)


def test_suspects_come_most_similar_first_and_only_once():
    found = [
        earlier("LY202611190003", "路灯有点暗", metres=20),
        earlier("LY202611190002", "门口路灯不亮好几天了", metres=150),
        earlier("LY202611190002", "门口路灯不亮好几天了", metres=150),  # found by its cell and its phone
        earlier("LY202611190004", "井盖丢了", metres=10),
    ]
    assert suspected_duplicates(incoming(), found, POLICY, RARITY) == ["LY202611190002", "LY202611190003"]


def test_places_and_fillers_do_not_count_as_the_problem():
    assert problem_characters("金鼎小区3号楼门口的路灯不亮了") == problem_characters("路灯不亮")
    assert similarity("金鼎小区3号楼的路灯不亮", "金鼎小区3号楼的井盖丢了", RARITY) < 0.08


def test_similarity_is_symmetric_and_bounded():
    a, b = "路灯不亮，晚上很黑", "这条路晚上黑漆漆的路灯坏了"
    assert similarity(a, b, RARITY) == pytest.approx(similarity(b, a, RARITY))
    assert 0 < similarity(a, b, RARITY) <= 1
    assert similarity(a, a, RARITY) == pytest.approx(1)
    assert similarity("门口", "小区", RARITY) == 0  # nothing left but places


def test_rare_characters_weigh_more_than_common_ones():
    assert RARITY("井") > RARITY("不")


@pytest.mark.parametrize(
    ("a", "b", "different"),
    [
        ("3号楼路灯坏了", "12号楼路灯坏了", True),
        ("金鼎小区路灯坏了", "和平小区路灯坏了", True),
        ("金鼎小区3号楼路灯坏了", "金鼎小区3号楼门口很黑", False),
        ("3号楼路灯坏了", "路灯坏了", False),  # only one names a building
    ],
)
def test_different_named_places(a, b, different):
    assert different_places(a, b) is different


# ---- hotspots ---------------------------------------------------------------------

HOT = HotspotPolicy(threshold=3, window_hours=72)


def test_a_cell_reaching_the_threshold_is_a_hotspot_listing_its_requests_oldest_first():
    found = [earlier("LY202611190002", hours=2), earlier("LY202611190001", hours=30)]
    assert hotspot_members("LY202611200001", incoming(), found, HOT) == [
        "LY202611190001", "LY202611190002", "LY202611200001"
    ]


def test_below_the_threshold_or_outside_the_window_or_cell_there_is_no_hotspot():
    assert hotspot_members("LY202611200001", incoming(), [earlier()], HOT) == []
    stale = [earlier("LY202611160001", hours=73), earlier("LY202611190002")]
    assert hotspot_members("LY202611200001", incoming(), stale, HOT) == []
    elsewhere = [earlier("LY202611190001", metres=900), earlier("LY202611190002")]  # the next cell north
    assert hotspot_members("LY202611200001", incoming(), elsewhere, HOT) == []


def test_closed_and_merged_requests_still_count_towards_a_hotspot():
    """A hotspot is about how many residents were hit, not about what became of their requests."""
    found = [earlier("LY202611190001", open=False), earlier("LY202611190002", open=False)]
    assert len(hotspot_members("LY202611200001", incoming(), found, HOT)) == 3
