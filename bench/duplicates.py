"""Duplicate detection (并单): precision and recall on labeled pairs, and what the lookup reads.

Quality: data/duplicate_pairs.tsv holds 240 pairs of reports written for this project,
each labeled 1 (the same problem at the same spot: a dispatcher would merge them) or 0,
with the distance between the two points and the hours between them; many negatives are
hard on purpose (same category, close by, a different problem). Each pair is put through
the same decision intake makes (``domain.duplicates.is_duplicate`` with the city's policy
and the shipped model's character rarity). The threshold was chosen on the even lines
("dev"); the odd lines ("test") were not looked at for it, and are the figure to quote.

Cost: the DynamoDB requests one submission makes, counted with botocore hooks, with no
other request stored and with 2,000 stored around the city (300 of them in the new
request's own cells): the lookup is one Query per cell the circle touches (plus one for a
verified phone), and its cost does not follow the number of requests in the city.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from chalicelib.city import load_city
from chalicelib.domain import classifier
from chalicelib.domain.duplicates import Earlier, Incoming, is_duplicate
from chalicelib.domain.geocells import EARTH_RADIUS_M, encode
import math

PAIRS = Path(__file__).resolve().parent.parent / "data" / "duplicate_pairs.tsv"
AT = dt.datetime(2026, 11, 20, 2, 0, tzinfo=dt.timezone.utc)
CENTRE = (125.155, 42.905)  # 龙山区


@dataclass(frozen=True)
class Pair:
    label: bool
    category: str
    distance_m: int
    hours_apart: int
    first: str
    second: str


def read_pairs(path: Path = PAIRS) -> list[Pair]:
    with path.open(encoding="utf-8", newline="") as f:
        return [
            Pair(r["label"] == "1", r["category"], int(r["distance_m"]), int(r["hours_apart"]), r["text_a"], r["text_b"])
            for r in csv.DictReader(f, delimiter="\t")
        ]


def judged(pair: Pair, policy, rarity) -> bool:
    """Intake's decision for the second report, with the first one stored (open) before it."""
    north = (CENTRE[0], CENTRE[1] + math.degrees(pair.distance_m / EARTH_RADIUS_M))
    earlier = Earlier(
        "LY000000000001", pair.category, north, encode(*north, 6), pair.first, None,
        AT - dt.timedelta(hours=pair.hours_apart), True,
    )
    incoming = Incoming(pair.category, CENTRE, encode(*CENTRE, 6), pair.second, None, AT)
    return is_duplicate(incoming, earlier, policy, rarity)


def scores(pairs: list[Pair], policy, rarity) -> dict:
    tp = fp = fn = 0
    for pair in pairs:
        said = judged(pair, policy, rarity)
        tp += said and pair.label
        fp += said and not pair.label
        fn += pair.label and not said
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    return {"pairs": len(pairs), "precision": round(precision, 3), "recall": round(recall, 3), "tp": tp, "fp": fp, "fn": fn}


def quality(threshold: float | None = None) -> dict:
    policy = load_city("liaoyuan.yaml").intake.duplicates
    if threshold is not None:
        policy = policy.model_copy(update={"min_similarity": threshold})
    rarity = classifier.model().rarity
    pairs = read_pairs()
    return {
        "min_similarity": policy.min_similarity,
        "dev": scores(pairs[0::2], policy, rarity),
        "test": scores(pairs[1::2], policy, rarity),
    }


if __name__ == "__main__":
    import sys

    for t in [float(a) for a in sys.argv[1:]] or [None]:
        print(quality(t))
