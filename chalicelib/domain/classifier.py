"""Category suggestion (智能预判): a multinomial naive Bayes over character n-grams.

Chinese needs no word segmenter here: character 1–3-grams of the description
are the features (each counted once per text), each weighted by how much it
tells the categories apart (see ``_weight``). The model is a small JSON file
shipped in the package (chalicelib/models/category_model.json) holding, per
kept n-gram, how many training texts of each category contain it; it is
trained by ``python -m infra.train`` (``make train``) from data/corpus.tsv.

Pure Python, no numpy; loaded once per process; deterministic.
"""
from __future__ import annotations

import json
import math
import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

MODEL_PATH = Path(__file__).resolve().parent.parent / "models" / "category_model.json"
NGRAM_SIZES = (1, 2, 3)
ALPHA = 0.5  # additive smoothing

# Punctuation, whitespace and the like split a text into runs; n-grams never cross them.
_SEPARATORS = re.compile(r"[\s\W_]+", re.UNICODE)


def features(text: str) -> set[str]:
    """The distinct character 1–3-grams of a text, taken within runs of letters and digits."""
    grams: set[str] = set()
    for run in _SEPARATORS.split(text.lower()):
        for n in NGRAM_SIZES:
            grams.update(run[i : i + n] for i in range(len(run) - n + 1))
    return grams


def _weight(per: dict[int, int], docs: list[int]) -> float:
    """How much an n-gram tells categories apart: 1 minus the normalised entropy of P(category | n-gram).

    An n-gram seen in one category only weighs 1; one spread evenly (的, 反映, 咨询, 老年人…)
    weighs about 0. This weighted naive Bayes keeps the style of a text from outvoting its topic.
    """
    k = len(docs)
    share = [(per.get(i, 0) + 0.1) / max(docs[i], 1) for i in range(k)]
    total = sum(share)
    entropy = -sum((x / total) * math.log(x / total) for x in share)
    return 1.0 - entropy / math.log(k) if k > 1 else 1.0


class Counts:
    """Per kept n-gram, how many training texts of each category contain it ({category index: count}).

    Stored as a flat [category index, count, …] list per n-gram, each decoded on first use: a cold
    start parses the JSON only. Not a dict: a dict whose missing keys are filled behind its back
    answers ``in``, ``[]`` and iteration from what happens to be decoded, so it offers just these.
    """

    __slots__ = ("_flat", "_decoded")

    def __init__(self, flat: dict[str, list[int]]):
        self._flat = flat
        self._decoded: dict[str, dict[int, int]] = {}

    def of(self, gram: str) -> dict[int, int] | None:
        """The n-gram's counts per category, or None for an n-gram the model did not keep."""
        per = self._decoded.get(gram)
        if per is None:
            flat = self._flat.get(gram)
            if flat is None:
                return None
            per = self._decoded[gram] = _decoded(flat)
        return per

    def __len__(self) -> int:
        return len(self._flat)

    def every(self) -> Iterator[dict[int, int]]:
        """Every n-gram's counts (for the totals): decoded on the fly, not kept."""
        return (_decoded(flat) for flat in self._flat.values())


def _decoded(flat: list[int]) -> dict[int, int]:
    return {flat[j]: flat[j + 1] for j in range(0, len(flat), 2)}


class Classifier:
    """Scores from per-category document counts: ``counts.of(gram)[i]`` texts of category i contain gram."""

    def __init__(self, categories: list[str], docs: list[int], counts: Counts, grams: int):
        self.categories = list(categories)
        total_docs = sum(docs)
        k = len(categories)
        self._prior = [math.log((d + 1) / (total_docs + k)) for d in docs]
        # Multinomial: each category's feature total, smoothed over the kept vocabulary.
        totals = [0] * k
        for per in counts.every():
            for i, c in per.items():
                totals[i] += c
        vocab = max(len(counts), 1)
        self._docs = list(docs)
        self._denominators = [totals[i] + ALPHA * vocab for i in range(k)]
        self._counts = counts
        self._log: dict[str, list[float]] = {}  # filled as n-grams are met: a cold start parses JSON only
        self.grams = grams

    def _row(self, gram: str) -> list[float] | None:
        """The n-gram's weighted log-likelihood per category, or None for an n-gram the model did not keep."""
        row = self._log.get(gram)
        if row is None:
            per = self._counts.of(gram)
            if per is None:
                return None
            weight = _weight(per, self._docs)
            row = [weight * math.log((per.get(i, 0) + ALPHA) / d) for i, d in enumerate(self._denominators)]
            self._log[gram] = row
        return row

    def rarity(self, gram: str) -> float:
        """Inverse document frequency over the training texts: 1 for a gram in every text, more the rarer.

        An n-gram the model did not keep (seen in too few texts) counts as the rarest.
        """
        per = self._counts.of(gram)
        total = sum(self._docs)
        return math.log((total + 1) / (sum(per.values()) + 1 if per else 1)) + 1

    @classmethod
    def from_model(cls, model: dict) -> "Classifier":
        """From the stored form: per n-gram a flat [category index, count, …] list, decoded when met."""
        return cls(model["categories"], model["docs"], Counts(model["counts"]), len(model["counts"]))

    def probabilities(self, description: str) -> list[tuple[str, float]]:
        """Every category with its probability (summing to 1), most likely first; ties by code."""
        scores = list(self._prior)
        # Sorted: the same sum in the same order in every process (sets follow the string hash seed).
        for gram in sorted(features(description or "")):
            row = self._row(gram)
            if row is not None:  # n-grams the model never kept say nothing
                for i, value in enumerate(row):
                    scores[i] += value
        top = max(scores)
        weights = [math.exp(s - top) for s in scores]
        total = sum(weights)
        ranked = [(c, w / total) for c, w in zip(self.categories, weights)]
        ranked.sort(key=lambda pair: (-pair[1], pair[0]))
        return ranked

    def suggest(self, description: str, top: int = 3) -> list[tuple[str, float]]:
        return self.probabilities(description)[: max(top, 0)]


@lru_cache(maxsize=1)
def model() -> Classifier:
    """The shipped model, read once per process."""
    return Classifier.from_model(json.loads(MODEL_PATH.read_text(encoding="utf-8")))


def suggest(description: str, top: int = 3) -> list[tuple[str, float]]:
    """The ``top`` most likely categories for a description, with their probabilities."""
    return model().suggest(description, top)
