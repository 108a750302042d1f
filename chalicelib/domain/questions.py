"""A category's extra questions (the city file's ``questions``; Open311's service attributes).

Answers come as ``{question code: text}``, or a list of choice keys for a
multivaluelist (one key alone is taken as a list of one). ``problems`` names every
wrong or missing answer under ``answers.<code>``; ``normalised`` is what the order
keeps: texts stripped, numbers and times as given, choices as their keys.
"""
from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping

from chalicelib.city import Category, Question

Answer = str | list[str]


def _as_list(answer: Answer) -> list[str]:
    return [answer] if isinstance(answer, str) else list(answer)


def _problem(question: Question, answer: Answer) -> str | None:
    if question.datatype == "multivaluelist":
        keys = [key.strip() for key in _as_list(answer)]
        known = {v.key for v in question.values}
        if any(key not in known for key in keys):
            return "不在可选范围内"
        return "选项重复" if len(set(keys)) != len(keys) else None
    if not isinstance(answer, str):
        return "只能填写一项"
    text = answer.strip()
    if question.datatype == "singlevaluelist":
        return None if text in {v.key for v in question.values} else "不在可选范围内"
    if question.datatype == "string" and ("\n" in text or "\r" in text):
        return "不能换行"
    if question.datatype == "number":
        try:
            number = float(text)
        except ValueError:
            return "须为数值"
        return None if math.isfinite(number) else "须为有限数值"
    if question.datatype == "datetime":
        try:
            dt.datetime.fromisoformat(text)
        except ValueError:
            return "须为 ISO 8601 日期时间"
    return None


def _given(answer: Answer | None) -> bool:
    return answer is not None and any(part.strip() for part in _as_list(answer))


def problems(category: Category, answers: Mapping[str, Answer]) -> dict[str, str]:
    """Each wrong, unknown or missing answer, as ``{"answers.<code>": message}``."""
    found = {}
    for code, answer in answers.items():
        question = category.question_by_code.get(code)
        if question is None:
            found[f"answers.{code}"] = "该分类没有这个问题"
        elif _given(answer):
            problem = _problem(question, answer)
            if problem:
                found[f"answers.{code}"] = problem
    for question in category.questions:
        if question.required and not _given(answers.get(question.code)):
            found[f"answers.{question.code}"] = "必填"
    return found


def normalised(category: Category, answers: Mapping[str, Answer]) -> dict[str, Answer]:
    """The answers as the order keeps them (checked by ``problems`` first); empty ones left out."""
    kept: dict[str, Answer] = {}
    for question in category.questions:
        answer = answers.get(question.code)
        if not _given(answer):
            continue
        if question.datatype == "multivaluelist":
            kept[question.code] = [key.strip() for key in _as_list(answer)]
        else:
            kept[question.code] = answer.strip()
    return kept


def labelled(category: Category, answers: Mapping[str, Answer]) -> list[dict]:
    """The answers as staff read them: the question, and the answer with choices by their names."""
    shown = []
    for question in category.questions:
        if question.code not in answers:
            continue
        names = {v.key: v.name for v in question.values}
        answer = answers[question.code]
        text = "、".join(names.get(key, key) for key in _as_list(answer)) if names else answer
        shown.append({"code": question.code, "question": question.description, "answer": text})
    return shown
