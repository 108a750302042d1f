"""Masking of contact data for everyone who may not see it in clear."""
from __future__ import annotations

import re

from chalicelib.domain.phones import national

# A mainland mobile typed into free text: 11 digits from 1[3-9] (138 1234 1234 and
# 138-1234-1234 too), optionally after +86/86, and not part of a longer run of digits (an ID card or account number is left alone).
_MOBILE_IN_TEXT = re.compile(r"(?<![0-9])(?:\+?86[- ]?)?(1[3-9][0-9])[- ]?([0-9]{4})[- ]?([0-9]{4})(?![0-9])")


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
