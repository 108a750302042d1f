"""Personal data where it must not be: the patterns, and the watch on the logs of a whole run.

The patterns are broader than the app's own masking (chalicelib/domain/privacy.py) and written
apart from it, so that a gap there is caught, not copied: they read the text as a person would
(``plain``: full-width digits as digits, zero-width characters unseen, escapes decoded) and take
a separator between any two digits. A run of letters or digits around a match makes it
something else (a UUID, a token).

``watch_logs`` (called by tests/conftest.py at start-up) keeps every log record the run causes
as the app writes it (Powertools' JSON line, extra keys included), and notes what the app holds
as personal as it goes: each query code it issues, each contact name and phone it seals.
``in_logs`` then finds the lines holding one of them, or anything shaped like a mainland mobile
or ID number. (The local stack test_e2e.py starts logs in a process of its own, not watched.)
"""
from __future__ import annotations

import html
import logging
import re
import unicodedata

from chalicelib.adapters.crypto import FieldCipher
from chalicelib.domain import codes
from chalicelib.observability import logger

# The shapes a mobile or an ID number was seen typed into free text (issue 12), each with a
# number of its own, and what a public answer must show instead: full-width, mixed widths,
# international prefixes, dots, each zero-width character inside, the first-generation ID.
TYPED = [
    ("13904376601", "139****6601"),
    ("139 0437 6602", "139****6602"),
    ("139-0437-6603", "139****6603"),
    ("+86 13904376604", "139****6604"),
    ("8613904376605", "139****6605"),
    ("0086 13904376606", "139****6606"),
    ("139.0437.6607", "139****6607"),
    ("１３９０４３７６６０８", "139****6608"),
    ("139０４３7６６0９", "139****6609"),
    ("1390\u200b4376610", "139****6610"),
    ("13904\u200c376611", "139****6611"),
    ("139043\u200d76612", "139****6612"),
    ("1\u20603904376613", "139****6613"),
    ("13904376\ufeff614", "139****6614"),
    ("220402198001011234", "220402********1234"),
    ("220402 19800101 1235", "220402********1235"),
    ("２２０４０２１９９０１２３１５６７Ｘ", "220402********567X"),
    ("220402800101123", "220402******123"),
]

# Separators a number may be written with, between any two of its digits: broader than the
# groups people write (and the app masks), so that a number written otherwise is still caught.
_SEP = r"[-.\s\u00b7\u2010-\u2015\u2212\u30fb]{0,2}"
# A mainland mobile: its 11 digits, after +86, 0086 or 86 or not; and +86 anywhere.
MOBILE = re.compile(rf"(?<![0-9A-Za-z])(?:(?:\+|00)?86{_SEP})?1{_SEP}[3-9](?:{_SEP}[0-9]){{9}}(?![0-9A-Za-z])|\+86")
# A resident ID number: 17 digits and a check character (second generation), or 15 digits
# (first) with a month in the 9th and 10th: fifteen digits alone would take two coordinates
# and a year ("42.902 125.145 2026").
_D = rf"{_SEP}[0-9]"
ID_NUMBER = re.compile(
    rf"(?<![0-9A-Za-z])[0-9](?:{_D}){{16}}{_SEP}[0-9Xx](?![0-9A-Za-z])"
    rf"|(?<![0-9A-Za-z])[0-9](?:{_D}){{7}}{_SEP}(?:0{_SEP}[1-9]|1{_SEP}[0-2])(?:{_D}){{5}}(?![0-9A-Za-z])"
)
# What hides a character from the reader (format characters: zero-width spaces and joiners,
# the BOM; combining marks: a keycap) or cannot be shown (a lone surrogate from an escape).
_INVISIBLE = {"Cf", "Mn", "Me", "Cs"}


# \u2060, \ufeff, \uff11 as a serializer escaping them writes them; \n, \t as white space.
_JSON_ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|[nrt])")


def found_in(text: str) -> list[str]:
    """Every mobile or ID number in ``text``, as a reader would see it (see ``plain``)."""
    text = plain(text)
    return MOBILE.findall(text) + ID_NUMBER.findall(text)


def plain(text: str) -> str:
    """``text`` as a reader sees it: JSON and XML escapes decoded, NFKC (full-width digits and
    separators become ASCII), invisible characters dropped, other scripts' digits as ASCII."""
    text = html.unescape(_JSON_ESCAPE.sub(lambda m: chr(int(m[1], 16)) if m[1] else " ", text))
    if text.isascii():
        return text  # most log lines: nothing to normalise
    return "".join(
        str(unicodedata.decimal(c, "")) if unicodedata.decimal(c, None) is not None else c
        for c in unicodedata.normalize("NFKC", text)
        if unicodedata.category(c) not in _INVISIBLE
    )


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
