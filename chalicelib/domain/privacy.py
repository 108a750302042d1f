"""Masking of contact data for everyone who may not see it in clear.

Public answers show free text (a description, an address, a reply, a note) through
``mask_free_text``: mobile and ID numbers a resident or a clerk typed into it are masked.
"""
from __future__ import annotations

import re

from chalicelib.domain.phones import national

# A mainland mobile typed into free text: 11 digits from 1[3-9] (138 1234 1234 and
# 138-1234-1234 too), optionally after +86/86, and not part of a longer run of digits (an ID
# number or an account number: ID numbers have their own pattern, below).
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9])[- ]?([0-9]{4})[- ]?([0-9]{4})(?![0-9])")


# A mainland resident ID number (居民身份证号) in free text: the region (6 digits), the birth date
# (8), a sequence (3) and a check character (a digit or X), optionally grouped 6-8-4 by spaces or
# hyphens, and not part of a longer run of digits.
_ID_IN_TEXT = re.compile(
    r"(?<![0-9])([1-9][0-9]{5})[- ]?"
    r"((?:18|19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01]))[- ]?"
    r"([0-9]{3})([0-9Xx])(?![0-9])"
)


def mask_name(name: str) -> str:
    """张三 → 张*, 欧阳娜娜 → 欧***; the family name stays so staff can address the resident."""
    name = name.strip()
    if not name:
        return ""
    return name[0] + "*" * max(len(name) - 1, 1)


def mask_phone(phone: str) -> str:
    """13812341234 and +8613812341234 → 138****1234; short numbers keep only their last two digits."""
    digits = national(phone)
    if len(digits) >= 11:
        return digits[:3] + "****" + digits[-4:]
    if len(digits) <= 2:
        return "*" * len(digits)
    return "*" * (len(digits) - 2) + digits[-2:]


def mask_mobiles(text: str) -> str:
    """Every mobile number in ``text`` masked: 请拨13812341234 → 请拨138****1234."""
    return _MOBILE_IN_TEXT.sub(lambda m: f"{m.group(1)}****{m.group(3)}", text)


def mask_id_numbers(text: str) -> str:
    """Every ID number in ``text`` masked but its region and last four: 220402198001011234 → 220402********1234."""
    return _ID_IN_TEXT.sub(lambda m: f"{m.group(1)}********{m.group(3)}{m.group(4).upper()}", text)


def mask_free_text(text: str | None) -> str | None:
    """Mobile and ID numbers in ``text`` masked: what a public answer shows of any free text (none: None)."""
    return mask_mobiles(mask_id_numbers(text)) if text else None
