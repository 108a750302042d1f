"""Tracking numbers and query codes."""
from __future__ import annotations

import datetime as dt
import re
import secrets

# No 0/O, 1/I/L: residents read the code aloud on the phone and type it on a keypad.
QUERY_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
QUERY_CODE_LENGTH = 8


def tracking_number(prefix: str, day: dt.date, sequence: int) -> str:
    """LY202611210001: the city's prefix, the local date and the day's sequence (4 digits, more if needed)."""
    return f"{prefix}{day:%Y%m%d}{sequence:04d}"


# The prefix, eight digits of date and a sequence of four digits or more.
_TRACKING_NUMBER = re.compile(r"[A-Z]{1,4}[0-9]{12,20}")


def parse_tracking_number(text: str) -> str | None:
    """The tracking number in canonical form, or None if ``text`` cannot be one.

    Nothing else is looked up: DynamoDB refuses an empty key or one over 2048 bytes.
    """
    candidate = text.strip().upper()
    return candidate if _TRACKING_NUMBER.fullmatch(candidate) else None


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def normalise_query_code(code: str) -> str:
    return code.strip().upper()
