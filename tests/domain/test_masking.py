"""Masking of mobile and ID numbers in free text, whatever way they were typed (issue 12).

The number is found in the text as a reader sees it (full-width digits as digits, zero-width
characters unseen), and only its span is replaced in the text as typed: what the resident wrote
around it stays as written.
"""
from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from chalicelib.domain.privacy import mask_free_text
from tests.personal import TYPED


@pytest.mark.parametrize(("typed", "masked"), TYPED)
def test_every_way_a_number_was_seen_typed_is_masked(typed, masked):
    assert mask_free_text(f"有事请找我：{typed}，谢谢") == f"有事请找我：{masked}，谢谢"


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        # Full-width punctuation, letters and an emoji's zero-width joiners around it stay as typed.
        ("（电话：１３９ ０４３７ ６６０８）👨‍👩‍👧ＯＫ", "（电话：139****6608）👨‍👩‍👧ＯＫ"),
        ("＋８６　１３９－０４３７－６６０８。", "139****6608。"),
        ("139—0437—6608 或 139·0437·6608 或 139 - 0437 - 6608", "139****6608 或 139****6608 或 139****6608"),
        ("1️⃣3️⃣9️⃣0️⃣4️⃣3️⃣7️⃣6️⃣6️⃣0️⃣8️⃣", "139****6608"),  # keycaps: combining marks
        ("电话\n139 0437\t6608", "电话\n139****6608"),
        ("身份证220402 1980 01 01 123x", "身份证220402********123X"),
        ("老身份证２２０４０２－８００１０１－１２３", "老身份证220402******123"),
    ],
)
def test_a_number_is_found_as_a_reader_sees_it_and_only_its_span_replaced(text, masked):
    assert mask_free_text(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-04上午，2026.12.04，2026年12月4日",
        "人民大街12-3-401室，3栋2单元1201",
        "维修费1,390.43元，押金13904元",
        "座机0437-3254567，热线12345，工单LY202611210001",
        "坐标42.902, 125.145",
        "卡号6222 0219 8001 0112 345",  # 19 digits: a bank card, no ID
        "编号220402201313011",  # 15 digits but no 13th month: no ID
        "1390437660，139043766089",  # 10 and 12 digits: no mobile
        "订单号１２０４０２８００１０１１２３４５",  # 17 digits: no ID of either length
    ],
)
def test_what_is_no_mobile_or_id_number_stays_as_typed(text):
    assert mask_free_text(text) == text


# ---- generated variants -------------------------------------------------------------

# ASCII, full-width and mathematical digits (NFKC), and another script's (a decimal digit).
_DIGIT_FORMS = (0x30, 0xFF10, 0x1D7CE, 0x0660)
_SEPARATORS = ("", "", " ", "-", ".", "　", "－", "．", " - ", "—", "\u00a0")
_PREFIXES = ("", "+86", "86", "0086", "＋８６", "(+86)")
_AROUND = st.text(st.characters(min_codepoint=0x4E00, max_codepoint=0x9FFF) | st.sampled_from("，。：；（）！、 "))
_INVISIBLE = st.characters(categories=("Cf",))


@st.composite
def _written(draw, groups: list[str]) -> str:
    """``groups`` of a number as a resident might type them: each digit in a form of its own,
    a separator between groups, format characters anywhere inside."""
    parts = []
    for i, group in enumerate(groups):
        if i:
            parts.append(draw(st.sampled_from(_SEPARATORS)))
        parts.append("".join(chr(draw(st.sampled_from(_DIGIT_FORMS)) + int(c)) if c.isdigit() else c for c in group))
    chars = list("".join(parts))
    for _ in range(draw(st.integers(0, 4))):
        chars.insert(draw(st.integers(1, len(chars) - 1)), draw(_INVISIBLE))
    return "".join(chars)


def _digits(n: int):
    return st.text("0123456789", min_size=n, max_size=n)


@st.composite
def _mobiles(draw):
    number = "1" + draw(st.sampled_from("3456789")) + draw(_digits(9))
    prefix = draw(st.sampled_from(_PREFIXES))
    groups = [prefix + number[:3], number[3:7], number[7:]] if prefix else [number[:3], number[3:7], number[7:]]
    typed = draw(_written(groups))
    if prefix and draw(st.booleans()):  # the prefix as a group of its own
        typed = draw(_written([prefix, number[:3], number[3:7], number[7:]]))
    return typed, f"{number[:3]}****{number[7:]}"


def _region(draw) -> str:
    return draw(st.sampled_from("123456789")) + draw(_digits(5))


@st.composite
def _id_numbers(draw):
    region, born = _region(draw), draw(st.dates(dt.date(1900, 1, 1), dt.date(2026, 12, 31)))
    sequence, check = draw(_digits(3)), draw(st.sampled_from("0123456789Xx"))
    date = born.strftime("%Y%m%d")
    typed = draw(_written([region, date[:4], date[4:6], date[6:], sequence + check]))
    return typed, f"{region}********{sequence}{check.upper()}"


@st.composite
def _first_generation_id_numbers(draw):
    region, born = _region(draw), draw(st.dates(dt.date(1900, 1, 1), dt.date(2004, 12, 31)))
    sequence, date = draw(_digits(3)), born.strftime("%y%m%d")
    return draw(_written([region, date, sequence])), f"{region}******{sequence}"


@given(st.one_of(_mobiles(), _id_numbers(), _first_generation_id_numbers()), _AROUND, _AROUND)
def test_no_way_of_typing_a_number_leaves_it_in_clear(number, before, after):
    typed, masked = number

    assert mask_free_text(before + typed + after) == before + masked + after
