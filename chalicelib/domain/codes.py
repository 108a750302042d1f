"""Tracking numbers and query codes."""
from __future__ import annotations

import datetime as dt
import secrets

# No 0/O, 1/I/L: residents read the code aloud on the phone and type it on a keypad.
QUERY_CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
QUERY_CODE_LENGTH = 8


def tracking_number(prefix: str, day: dt.date, sequence: int) -> str:
    """LY202611210001: the city's prefix, the local date and the day's sequence (4 digits, more if needed)."""
    return f"{prefix}{day:%Y%m%d}{sequence:04d}"


def new_query_code() -> str:
    return "".join(secrets.choice(QUERY_CODE_ALPHABET) for _ in range(QUERY_CODE_LENGTH))


def normalise_query_code(code: str) -> str:
    return code.strip().upper()
