"""Duplicate requests (并单) and hotspots (未诉先办): which earlier requests a new one repeats.

Pure Python. Storage hands in the requests of the new one's category that the cells
around it and the resident's verified phone hold (``Earlier``); this module decides.

A suspected duplicate is an open request of the same category, made within the
window, that either
- lies within the distance and says much the same thing (text similarity at
  least the threshold, and no conflicting place in the texts), or
- came from the same verified phone (one resident reporting one problem again).
Suspects are listed for the dispatcher, most similar first; merging is the
dispatcher's decision, never automatic.

A hotspot is N or more requests of one category in one cell within the hotspot
window, the new one included: many residents hit by one problem (a burst main, a
dark street) call for handling before more of them have to ask (未诉先办).

Text similarity compares what the problem is, not where: the distance already
says where, and two reports from one housing estate share its name whatever
they report. So place phrases (…小区, …街道, 3号楼, 门口 …) and filler characters
are taken out, and the rest is compared as characters weighted by their rarity
in the training corpus (IDF, from the category model): 路灯 and 积水 weigh, 有 and
很 hardly. Texts that name different buildings or estates are not duplicates.
The threshold was chosen on one half of data/duplicate_pairs.tsv and is
measured on the other half by the benchmark.
"""
from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from chalicelib.city import DuplicatePolicy, HotspotPolicy
from chalicelib.domain.geocells import distance_m

# Requests are stored and compared under geohash cells of this precision (about 900 m × 610 m
# in Liaoyuan): a hotspot is one such cell. Changing it re-keys the stored orders' cells.
CELL_PRECISION = 6

# Characters that carry no subject matter: function words, pronouns, common verbs of complaint.
_FILLER = frozenset("的了是在有我们你他她它这那就都很也还吗呢吧啊呀哦嘛和与及或把被给让请麻烦帮忙一下个")
# Where, not what: named places, buildings, numbers and "near …" words.
_PLACE = re.compile(
    r"[\u4e00-\u9fff]{0,3}(?:区|县|小区|社区|街道|镇|乡|村|路|街|广场|公园|花园|家园|小学|中学|学校|医院|市场|超市"
    r"|门口|门前|旁边|附近|楼下|楼前|对面|隔壁)|\d+\s*(?:号楼|栋|幢|单元|号|楼|层)?"
)
_BUILDING = re.compile(r"(\d+)\s*(?:号楼|栋|幢|单元)")
_ESTATE = re.compile(r"([\u4e00-\u9fff]{2})(?:小区|社区|花园|家园)")

Rarity = Callable[[str], float]  # a character's weight: higher the rarer it is in residents' reports


@dataclass(frozen=True)
class Incoming:
    """The new request, as the lookup needs it."""

    category: str
    point: tuple[float, float]  # (lng, lat), WGS-84
    cell: str
    description: str
    phone_hash: str | None
    at: dt.datetime


@dataclass(frozen=True)
class Earlier:
    """A stored request of the same category found near the new one or under its phone."""

    tracking_no: str
    category: str
    point: tuple[float, float] | None  # (lng, lat), WGS-84; None when found only by its phone
    cell: str | None
    description: str
    phone_hash: str | None
    created_at: dt.datetime
    open: bool


def problem_characters(text: str) -> Counter[str]:
    """The characters that say what the problem is: places, numbers, fillers and punctuation left out."""
    text = _PLACE.sub(" ", unicodedata.normalize("NFKC", text).lower())
    return Counter(c for c in text if (c.isalpha() or unicodedata.category(c) == "Lo") and c not in _FILLER)


def weighted(text: str, rarity: Rarity) -> dict[str, float]:
    """A text's problem characters, each counted and weighted by its rarity."""
    return {c: n * rarity(c) for c, n in problem_characters(text).items()}


def _cosine(x: dict[str, float], y: dict[str, float]) -> float:
    if not x or not y:
        return 0.0
    dot = sum(v * y[c] for c, v in x.items() if c in y)
    return dot / math.sqrt(sum(v * v for v in x.values()) * sum(v * v for v in y.values()))


def similarity(a: str, b: str, rarity: Rarity) -> float:
    """Cosine of the two texts' problem characters weighted by rarity: 0 (nothing shared) to 1."""
    return _cosine(weighted(a, rarity), weighted(b, rarity))


def different_places(a: str, b: str) -> bool:
    """Both texts name a building (3号楼) or an estate (金鼎小区), and none is named by both."""
    for pattern in (_BUILDING, _ESTATE):
        x, y = set(pattern.findall(a)), set(pattern.findall(b))
        if x and y and not x & y:
            return True
    return False


def _likeness(
    incoming: Incoming, earlier: Earlier, policy: DuplicatePolicy, rarity: Rarity, mine: dict[str, float]
) -> float | None:
    """How alike the texts are if ``earlier`` is a suspected duplicate; None if it is not.
    ``mine``: the new request's ``weighted`` text, weighed once for all the earlier ones."""
    if not earlier.open or earlier.category != incoming.category:
        return None
    if not (incoming.at - policy.window <= earlier.created_at <= incoming.at):
        return None
    same_phone = incoming.phone_hash is not None and earlier.phone_hash == incoming.phone_hash
    if not same_phone and (
        earlier.point is None
        or distance_m(incoming.point, earlier.point) > policy.distance_m
        or different_places(incoming.description, earlier.description)
    ):
        return None
    likeness = _cosine(mine, weighted(earlier.description, rarity))
    return likeness if same_phone or likeness >= policy.min_similarity else None


def is_duplicate(incoming: Incoming, earlier: Earlier, policy: DuplicatePolicy, rarity: Rarity) -> bool:
    return _likeness(incoming, earlier, policy, rarity, weighted(incoming.description, rarity)) is not None


def suspected_duplicates(
    incoming: Incoming, found: Iterable[Earlier], policy: DuplicatePolicy, rarity: Rarity
) -> list[str]:
    """Tracking numbers of the open requests the new one seems to repeat: most similar first, then nearest.

    An order found twice (by its cell and by the phone) ranks by the better of the two.
    """
    mine = weighted(incoming.description, rarity)
    ranks: dict[str, tuple[float, float]] = {}
    for earlier in found:
        likeness = _likeness(incoming, earlier, policy, rarity, mine)
        if likeness is not None:
            distance = distance_m(incoming.point, earlier.point) if earlier.point else math.inf
            ranks[earlier.tracking_no] = min((-likeness, distance), ranks.get(earlier.tracking_no, (math.inf, 0)))
    return sorted(ranks, key=lambda no: (ranks[no], no))


def hotspot_members(incoming_no: str, incoming: Incoming, found: Sequence[Earlier], policy: HotspotPolicy) -> list[str]:
    """The requests that make the new one's cell a hotspot, oldest first with the new one last; [] if none."""
    since = incoming.at - policy.window
    members = sorted(
        {
            (e.created_at, e.tracking_no)
            for e in found
            if e.cell == incoming.cell and e.category == incoming.category and since <= e.created_at <= incoming.at
        }
    )
    if len(members) + 1 < policy.threshold:
        return []
    return [no for _, no in members] + [incoming_no]
