"""A category's extra questions: which answers fit, what is kept, how staff read them."""
from __future__ import annotations

import pytest

from chalicelib.city import Category
from chalicelib.domain.questions import labelled, normalised, problems

CATEGORY = Category.model_validate(
    {
        "code": "c",
        "name": "类",
        "questions": [
            {"code": "spot", "description": "地点", "datatype": "singlevaluelist", "required": True,
             "values": [{"key": "road", "name": "路段"}, {"key": "crossing", "name": "路口"}]},
            {"code": "kinds", "description": "种类", "datatype": "multivaluelist",
             "values": [{"key": "noise", "name": "噪声"}, {"key": "smoke", "name": "烟尘"}]},
            {"code": "shop", "description": "商户", "datatype": "string"},
            {"code": "notes", "description": "说明", "datatype": "text"},
            {"code": "floors", "description": "楼层", "datatype": "number"},
            {"code": "since", "description": "开始时间", "datatype": "datetime"},
        ],
    }
)


def test_good_answers_have_no_problems_and_are_kept_tidied():
    answers = {
        "spot": " road ",
        "kinds": "noise",
        "shop": " 好又多超市 ",
        "notes": "第一行\n第二行",
        "floors": "3.5",
        "since": "2025-03-01T08:00:00+08:00",
    }
    assert problems(CATEGORY, answers) == {}
    assert normalised(CATEGORY, answers) == {
        "spot": "road",
        "kinds": ["noise"],
        "shop": "好又多超市",
        "notes": "第一行\n第二行",
        "floors": "3.5",
        "since": "2025-03-01T08:00:00+08:00",
    }


@pytest.mark.parametrize(
    ("answers", "expected"),
    [
        ({}, {"answers.spot": "必填"}),
        ({"spot": "  "}, {"answers.spot": "必填"}),
        ({"spot": []}, {"answers.spot": "必填"}),
        ({"spot": "moon"}, {"answers.spot": "不在可选范围内"}),
        ({"spot": ["road", "crossing"]}, {"answers.spot": "只能填写一项"}),
        ({"spot": "road", "kinds": ["noise", "rain"]}, {"answers.kinds": "不在可选范围内"}),
        ({"spot": "road", "kinds": ["noise", "noise"]}, {"answers.kinds": "选项重复"}),
        ({"spot": "road", "shop": "一行\n两行"}, {"answers.shop": "不能换行"}),
        ({"spot": "road", "floors": "三"}, {"answers.floors": "须为数值"}),
        ({"spot": "road", "floors": "inf"}, {"answers.floors": "须为有限数值"}),
        ({"spot": "road", "since": "昨天"}, {"answers.since": "须为 ISO 8601 日期时间"}),
        ({"spot": "road", "colour": "red"}, {"answers.colour": "该分类没有这个问题"}),
    ],
)
def test_each_wrong_or_missing_answer_is_named(answers, expected):
    assert problems(CATEGORY, answers) == expected


def test_empty_answers_are_not_kept():
    assert normalised(CATEGORY, {"spot": "road", "shop": " ", "kinds": []}) == {"spot": "road"}


def test_staff_read_the_questions_and_the_chosen_names():
    kept = {"spot": "crossing", "kinds": ["noise", "smoke"], "shop": "好又多"}
    assert labelled(CATEGORY, kept) == [
        {"code": "spot", "question": "地点", "answer": "路口"},
        {"code": "kinds", "question": "种类", "answer": "噪声、烟尘"},
        {"code": "shop", "question": "商户", "answer": "好又多"},
    ]
