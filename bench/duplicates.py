"""Duplicate detection (并单): precision and recall on labeled pairs, and what the lookup reads.

Quality: data/duplicate_pairs.tsv holds 240 pairs of reports written for this project,
each labeled 1 (the same problem at the same spot: a dispatcher would merge them) or 0,
with the distance between the two points and the hours between them; many negatives are
hard on purpose (same category, close by, a different problem). Each pair is put through
the same decision intake makes (``domain.duplicates.is_duplicate`` with the city's policy
and the shipped model's character rarity). The threshold was chosen on the even lines
("dev"); the odd lines ("test") were not looked at for it, and are the figure to quote.

Cost: the DynamoDB requests and items the lookup reads for one new request, counted with
botocore hooks, with 100 and with 10,000 requests stored in the city, 20 of them of its
category within 150 m: one Query per cell the circle touches (the bench's point lies on a
cell border: 2 cells), plus one for a verified phone. Its cost does not follow the number
of requests in the city.
"""
from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import math
import time
from collections import Counter

from chalicelib.city import load_city
from chalicelib.domain import classifier
from chalicelib.domain.duplicates import CELL_PRECISION, Earlier, Incoming, is_duplicate
from chalicelib.domain.geocells import EARTH_RADIUS_M, cells_within, encode

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
        "LY000000000001", pair.category, north, encode(*north, CELL_PRECISION), pair.first, None,
        AT - dt.timedelta(hours=pair.hours_apart), True,
    )
    incoming = Incoming(pair.category, CENTRE, encode(*CENTRE, CELL_PRECISION), pair.second, None, AT)
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


# ---- what the lookup reads ------------------------------------------------------------

NEARBY = 20  # requests of the category in the cells around the new one, whatever the city holds
# The urban districts' box (龙山区 and 西安区): where the rest of the city's requests are put.
CITY_BOX = (125.08, 42.85, 125.20, 42.95)


def _order_item(n: int, point: tuple[float, float], created: dt.datetime) -> dict:
    from chalicelib import storage
    from chalicelib.domain.orders import State, WorkOrder
    from chalicelib.domain.reports import Location, Report, StoredOrder

    no = f"LY{created:%Y%m%d}{n:06d}"
    report = Report(
        description=f"第{n}处：路边垃圾箱满了没人清运",
        location=Location(point[1], point[0], "wgs84"),
        media=(),
        anonymous=True,
        contact=None,
        query_code_hash="0" * 64,
        geo_cell=storage.geo_cell("sanitation", encode(*point, CELL_PRECISION)),
    )
    order = WorkOrder(no, "complaint", "sanitation", None, created, state=State.DISPATCHED, version=2)
    return storage.order_image(StoredOrder(order, report))


def _populate(stored: int, now: dt.datetime) -> None:
    """NEARBY requests within 150 m of CENTRE; the rest spread over the city outside its cells."""
    import random

    from moto.core import DEFAULT_ACCOUNT_ID
    from moto.dynamodb.models import dynamodb_backends

    from chalicelib import storage

    backend = dynamodb_backends[DEFAULT_ACCOUNT_ID]["us-east-1"]
    table = storage.table_name("orders")
    around = set(cells_within(*CENTRE, 200, CELL_PRECISION))
    rnd = random.Random(7)
    for n in range(stored):
        if n < NEARBY:
            point = (CENTRE[0], CENTRE[1] + math.degrees(rnd.uniform(0, 150) / EARTH_RADIUS_M))
        else:
            while True:
                point = (rnd.uniform(CITY_BOX[0], CITY_BOX[2]), rnd.uniform(CITY_BOX[1], CITY_BOX[3]))
                if encode(*point, CELL_PRECISION) not in around:
                    break
        backend.put_item(table, _order_item(n, point, now - dt.timedelta(hours=rnd.uniform(0, 48))))


def lookup_cost(counter, sizes=(100, 10_000)) -> dict:
    """Requests and items the duplicate lookup reads for one new request, as the city's requests grow.

    ``counter``: the bench's AwsCallCounter (botocore hooks), already installed.
    """
    from moto import mock_aws

    from chalicelib import storage
    from chalicelib.services import nearby

    city = load_city("liaoyuan.yaml")
    results = {}
    for stored in sizes:
        with mock_aws():
            storage.create_tables()
            now = dt.datetime.now(dt.timezone.utc)
            _populate(stored, now)
            items = Counter()
            counter.on_response = lambda operation, parsed: items.update({operation: parsed.get("Count", 0)})
            results[stored] = {}
            for kind, phone in (("anonymous", None), ("verified phone", "bench-phone-hash")):
                new = nearby.incoming("sanitation", CENTRE, "路边垃圾箱满了", phone, now)
                items.clear()
                with counter.window() as calls:
                    started = time.perf_counter()
                    around = nearby.look_around(city, new)
                    wall = time.perf_counter() - started
                results[stored][kind] = {
                    "requests": sum(calls.values()),
                    "requests_by_operation": dict(sorted(calls.items())),
                    "items_read": items["Query"],
                    "suspected": len(around.duplicates),
                    "wall_s": round(wall, 3),
                }
            counter.on_response = None
    return results


if __name__ == "__main__":
    import sys

    for t in [float(a) for a in sys.argv[1:]] or [None]:
        print(quality(t))
