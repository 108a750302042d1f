"""The category classifier: the shipped model, its answers and their shape."""
from __future__ import annotations

import math

import pytest

from chalicelib.domain import classifier
from chalicelib.domain.classifier import MODEL_PATH, Classifier, Counts, features, suggest

CATEGORIES = {
    "sanitation", "municipal", "traffic", "public_security", "pollution", "greening",
    "property", "utilities", "market", "labor", "other",
}


@pytest.mark.parametrize(
    ("description", "category"),
    [
        ("我们单元门口的垃圾桶满了四五天，也没有车来拉", "sanitation"),
        ("前面那条街的路灯全都不亮了，井盖也缺了一块", "municipal"),
        ("学校门口每天放学都有私家车乱停，把路堵死了", "traffic"),
        ("昨晚有小偷撬了我家的门，丢了现金和首饰", "public_security"),
        ("隔壁工厂天天夜里排放黑烟，味道刺鼻呛人", "pollution"),
        ("楼前那棵老榆树枝子太长了，都伸进屋里了，请来修剪", "greening"),
        ("物业费年年涨，电梯坏了物业却一直拖着不修", "property"),
        ("家里暖气一点都不热，屋里才十三度", "utilities"),
        ("在超市买的牛奶过期了，商家不给退", "market"),
        ("干了半年活，老板一分工资都没给", "labor"),
        ("我想问问办理户口迁移需要带什么材料", "other"),
    ],
)
def test_plain_descriptions_get_their_category_first(description, category):
    assert suggest(description, top=1)[0][0] == category


def test_the_answer_is_ranked_top_three_with_probabilities():
    ranked = suggest("小区楼下的垃圾箱好几天没人清理了")
    assert len(ranked) == 3
    assert [p for _, p in ranked] == sorted((p for _, p in ranked), reverse=True)
    assert all(0 < p <= 1 for _, p in ranked)
    assert len({c for c, _ in ranked}) == 3


@pytest.mark.parametrize("description", ["暖气不热", "路灯坏了，晚上看不见路", "", "？？？", "a"])
def test_the_probabilities_of_all_categories_sum_to_one(description):
    everything = classifier.model().probabilities(description)
    assert {c for c, _ in everything} == CATEGORIES
    assert math.isclose(sum(p for _, p in everything), 1.0, rel_tol=1e-9)


@pytest.mark.parametrize("description", ["", "   ", "。。。", "xyz"])
def test_a_text_with_nothing_known_falls_back_on_the_priors(description):
    ranked = suggest(description)
    assert len(ranked) == 3
    assert max(p for _, p in ranked) < 0.2  # no category stands out: eleven roughly equal priors


def test_answers_are_deterministic():
    text = "小区门口的马路上有个大坑，下雨全是水"
    assert suggest(text) == suggest(text) == Classifier.from_model(_shipped()).suggest(text)


@pytest.mark.parametrize("top", [0, 1, 5, 11, 20])
def test_top_limits_the_answer(top):
    assert len(suggest("停水了", top=top)) == min(top, len(CATEGORIES))


def test_ngrams_are_one_to_three_characters_within_runs():
    assert features("垃圾，满了") == {"垃", "圾", "垃圾", "满", "了", "满了"}
    assert features("暖气片") >= {"暖气片", "暖气", "气片"}


def test_the_shipped_model_loads_and_is_small():
    assert MODEL_PATH.stat().st_size < 500 * 1024
    model = _shipped()
    assert set(model["categories"]) == CATEGORIES
    assert classifier.model() is classifier.model()  # loaded once per process


def test_the_stored_counts_answer_the_same_whether_decoded_yet_or_not():
    """Each n-gram's counts are decoded when first asked for; what is asked never depends on that."""
    flat = {"路灯": [1, 3, 4, 2], "垃圾": [0, 7]}
    counts = Counts(flat)
    assert not isinstance(counts, dict)  # no ``in``, ``[]`` or iteration over what happens to be decoded
    assert len(counts) == 2 and list(counts.every()) == [{1: 3, 4: 2}, {0: 7}]
    assert counts.of("路灯") == {1: 3, 4: 2}
    assert counts.of("路灯") is counts.of("路灯")  # decoded once
    assert len(counts) == 2 and list(counts.every()) == [{1: 3, 4: 2}, {0: 7}]  # the same after
    assert counts.of("井盖") is None and len(counts) == 2  # an n-gram not kept adds nothing


def _shipped() -> dict:
    import json

    return json.loads(MODEL_PATH.read_text(encoding="utf-8"))
