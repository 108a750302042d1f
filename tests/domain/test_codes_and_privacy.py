"""Tracking numbers, query codes and the masking of contact data."""
from __future__ import annotations

import datetime as dt
import re

import pytest

from chalicelib.domain.codes import QUERY_CODE_ALPHABET, new_query_code, normalise_query_code, tracking_number
from chalicelib.domain.privacy import mask_free_text, mask_id_numbers, mask_mobiles, mask_name, mask_phone


@pytest.mark.parametrize(
    ("sequence", "expected"),
    [
        (1, "LY202611210001"),
        (42, "LY202611210042"),
        (9999, "LY202611219999"),
        (10000, "LY2026112110000"),  # past 9999: five digits, still unique
        (12345, "LY2026112112345"),
    ],
)
def test_tracking_number(sequence, expected):
    assert tracking_number("LY", dt.date(2026, 11, 21), sequence) == expected


def test_query_code_alphabet_leaves_out_look_alikes():
    assert not set("0O1IL") & set(QUERY_CODE_ALPHABET)
    assert re.fullmatch(r"[A-Z2-9]+", QUERY_CODE_ALPHABET)


def test_query_codes_are_long_random_and_readable():
    codes = [new_query_code() for _ in range(2000)]
    assert all(len(code) >= 6 and set(code) <= set(QUERY_CODE_ALPHABET) for code in codes)
    assert len(set(codes)) == len(codes)
    # 2000 codes use every letter of the alphabet; a skewed generator would not.
    assert set("".join(codes)) == set(QUERY_CODE_ALPHABET)


def test_query_code_is_normalised_for_lookup():
    assert normalise_query_code("  ab3k9xyz \n") == "AB3K9XYZ"


@pytest.mark.parametrize(
    ("name", "masked"),
    [("张三", "张*"), ("欧阳娜娜", "欧***"), ("李", "李*"), ("  王小明 ", "王**"), ("", ""), ("   ", "")],
)
def test_mask_name_keeps_only_the_first_character(name, masked):
    assert mask_name(name) == masked


@pytest.mark.parametrize(
    ("phone", "masked"),
    [
        ("13812341234", "138****1234"),
        (" 13812341234 ", "138****1234"),
        ("12345", "***45"),
        ("110", "*10"),
        ("12", "**"),
        ("", ""),
    ],
)
def test_mask_phone(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("请联系13812341234", "请联系138****1234"),
        ("电话：+86 13812341234，或 8613912345678", "电话：138****1234，或 139****5678"),
        ("138-1234-1234 或 138 1234 1234", "138****1234 或 138****1234"),
        ("两个号码13812341234和15987654321", "两个号码138****1234和159****4321"),
        ("身份证220402199001011234", "身份证220402199001011234"),  # longer runs are not phones
        ("座机0437-1234567，编号12345678901", "座机0437-1234567，编号12345678901"),  # 12… is no mobile
        ("没有号码", "没有号码"),
    ],
)
def test_mobile_numbers_in_free_text_are_masked(text, masked):
    assert mask_mobiles(text) == masked


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("身份证号220402198001011234", "身份证号220402********1234"),
        ("身份证 22040219800101123x。", "身份证 220402********123X。"),
        ("220402 19800101 1234 和 220402-19991231-123X", "220402********1234 和 220402********123X"),
        ("卡号6222021980010112345", "卡号6222021980010112345"),  # 19 digits: a bank card, no ID
        ("编号220402198013011234", "编号220402198013011234"),  # no 13th month: no ID
        ("工单LY202611200001", "工单LY202611200001"),
    ],
)
def test_id_numbers_in_free_text_are_masked(text, masked):
    assert mask_id_numbers(text) == masked


def test_public_free_text_masks_both_and_is_none_when_empty():
    text = "身份证220402198001011234，电话13812341234"
    assert mask_free_text(text) == "身份证220402********1234，电话138****1234"
    assert mask_free_text("") is None and mask_free_text(None) is None
