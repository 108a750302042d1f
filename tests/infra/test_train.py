"""Training the category model: the corpus, the split, the held-out accuracy, the shipped file."""
from __future__ import annotations

import json
from collections import Counter

from chalicelib.city import load_city
from chalicelib.domain.classifier import MODEL_PATH
from infra.train import evaluate, held_out, read_corpus, split, train, write

CITY = load_city("liaoyuan.yaml")


def test_the_corpus_covers_every_category_of_the_demo_city_roughly_evenly():
    rows = read_corpus()
    per_category = Counter(category for category, _ in rows)

    assert len(rows) >= 400
    assert set(per_category) == set(CITY.category_by_code)
    assert min(per_category.values()) >= 35
    assert len({text for _, text in rows}) == len(rows)  # no text twice


def test_the_split_is_a_deterministic_eighty_twenty_by_text():
    rows = read_corpus()
    train_rows, test_rows = split(rows)

    assert split(rows) == (train_rows, test_rows)
    assert {t for _, t in test_rows} == {t for _, t in rows if held_out(t)}
    assert 0.15 <= len(test_rows) / len(rows) <= 0.25


def test_the_held_out_top1_accuracy_reaches_the_target():
    result = evaluate()
    assert result["train"] + result["held_out"] == result["corpus"]
    assert result["top1_accuracy"] >= 0.9


def test_the_shipped_model_is_the_one_trained_on_the_whole_corpus(tmp_path):
    # Retraining (make train) must reproduce the file byte for byte: the corpus and the model agree.
    size = write(train(read_corpus()), tmp_path / "model.json")

    assert (tmp_path / "model.json").read_bytes() == MODEL_PATH.read_bytes()
    assert size < 500 * 1024
    assert json.loads(MODEL_PATH.read_text(encoding="utf-8"))["kind"] == "multinomial-nb/char-1-3"
