"""Masking of contact data for everyone who may not see it in clear."""
from __future__ import annotations

from chalicelib.domain.phones import national


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
