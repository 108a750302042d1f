"""Personal data where it must not be: the patterns, and the watch on the logs of a whole run.

The patterns are broader than the app's own masking (chalicelib/domain/privacy.py) and written
apart from it, so that a gap there is caught, not copied. A run of letters or digits around a
match makes it something else (a UUID, a token).

``watch_logs`` (called by tests/conftest.py at start-up) keeps every log record the run causes
as the app writes it (Powertools' JSON line, extra keys included), and notes what the app holds
as personal as it goes: each query code it issues, each contact name and phone it seals.
``in_logs`` then finds the lines holding one of them, or anything shaped like a mainland mobile
or ID number. (The local stack test_e2e.py starts logs in a process of its own, not watched.)
"""
from __future__ import annotations

import logging
import re

from chalicelib.adapters.crypto import FieldCipher
from chalicelib.domain import codes
from chalicelib.observability import logger

# A mainland mobile: its 11 digits, grouped or not, after +86 or not; and +86 anywhere.
MOBILE = re.compile(r"(?<![0-9A-Za-z])(?:\+?86[- ]?)?1[3-9][0-9][- ]?[0-9]{4}[- ]?[0-9]{4}(?![0-9A-Za-z])|\+86")
# A resident ID number: 17 digits and a check character, grouped 6-8-4 or not.
ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])[0-9]{6}[- ]?[0-9]{8}[- ]?[0-9]{3}[0-9Xx](?![0-9A-Za-z])")


def found_in(text: str) -> list[str]:
    """Every mobile or ID number in ``text``."""
    return MOBILE.findall(text) + ID_NUMBER.findall(text)


# ---- the logs ---------------------------------------------------------------------

class _Kept(logging.Handler):
    def __init__(self):
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(logger.registered_formatter.format(record))


_LOGGED = _Kept()
_QUERY_CODES: set[str] = set()
_SEALED: set[str] = set()


def watch_logs() -> None:
    # The app's logger propagates to the root, as every library's does.
    logging.getLogger().addHandler(_LOGGED)
    codes.new_query_code = _issuing(codes.new_query_code)
    FieldCipher.seal = _sealing(FieldCipher.seal)


def _issuing(new_query_code):
    def issued() -> str:
        code = new_query_code()
        _QUERY_CODES.add(code)
        return code

    return issued


def _sealing(seal):
    def sealed(self, value, context):
        if isinstance(value, dict):
            _SEALED.update(v for k, v in value.items() if k in ("name", "phone") and isinstance(v, str))
        return seal(self, value, context)

    return sealed


def in_logs() -> dict[str, list[str]]:
    """Each kept log line holding something personal (its start), and what."""
    # Else the watch is blind: to the logs (a request was made, so it logged), or to the codes.
    assert _LOGGED.lines or not _QUERY_CODES, "no log line was kept"
    assert _QUERY_CODES or not any('"message":"request submitted"' in line for line in _LOGGED.lines), "no code"
    found, contacts = {}, _contacts()
    for line in _LOGGED.lines:
        hits = found_in(line) + _query_codes_in(line) + [c for c in contacts if c in line]
        if hits:
            found[line[:300]] = hits
    return found


def _contacts() -> set[str]:
    # Names in Chinese of two characters or more: the fuzzing tests seal arbitrary ASCII names,
    # which would match JSON keys ("a", "id"), not people. Phones in E.164, foreign ones included.
    names = {v for v in _SEALED if len(v.strip()) >= 2 and not v.isascii()}
    return names | {v for v in _SEALED if v.startswith("+") and len(v) >= 8}


def _query_codes_in(line: str) -> list[str]:
    # Every 8 characters of every run of capitals and digits: one pass, however many codes were issued.
    runs = re.findall(r"[0-9A-Z]{8,}", line)
    return [run[i:i + 8] for run in runs for i in range(len(run) - 7) if run[i:i + 8] in _QUERY_CODES]
