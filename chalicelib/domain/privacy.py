"""Masking of contact data for everyone who may not see it in clear.

Public answers show free text (a description, an address, a reply, a note) through
``mask_free_text``: mobile and ID numbers a resident or a clerk typed into it are masked.

A number is looked for in the text as a reader sees it (``_AsRead``): full-width and other
digits as ASCII ones (NFKC, then any decimal digit), full-width separators as ASCII, and no
invisible characters (zero-width spaces and joiners, the BOM: format characters; a keycap:
combining marks), which would otherwise split a number no reader sees split. Only the span the
number takes in the text as typed is replaced by its masked form (``138****1234``); the rest
stays exactly as written: normalising it all would turn the resident's full-width Chinese
punctuation into ASCII (，→ ,) and break the emoji that zero-width joiners hold together, and
the public text would no longer be what they wrote.
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

from chalicelib.domain.phones import national

# Between the groups of a number, as people write them: nothing, white space, a hyphen, a dash,
# a dot or a middle dot, with white space around it or not (139 0437 6668, 139 - 0437 - 6668).
_SEP = r"(?:\s?[-.\u00b7\u2010-\u2015\u2212\u30fb]?\s?)"

# A mainland mobile typed into free text: 11 digits from 1[3-9], grouped 3-4-4 or not, optionally
# after +86, 0086 or 86 (in brackets or not), and not part of a longer run of digits (an ID number
# or an account number: ID numbers have their own patterns, below).
_MOBILE_IN_TEXT = re.compile(
    rf"(?<![0-9])(?:(?:\((?:\+|00)?86\)|(?:\+|00)?86){_SEP})?"
    rf"(1[3-9][0-9]){_SEP}([0-9]{{4}}){_SEP}([0-9]{{4}})(?![0-9])"
)

_MONTH_DAY = rf"(?:0[1-9]|1[0-2]){_SEP}(?:0[1-9]|[12][0-9]|3[01])"
# A mainland resident ID number (居民身份证号) in free text: the region (6 digits), the birth date
# (8), a sequence (3) and a check character (a digit or X), grouped 6-8-4 (the date in year,
# month and day or not) or not at all, and not part of a longer run of digits.
_ID_IN_TEXT = re.compile(
    rf"(?<![0-9])([1-9][0-9]{{5}}){_SEP}(?:18|19|20)[0-9]{{2}}{_SEP}{_MONTH_DAY}{_SEP}([0-9]{{3}})([0-9Xx])(?![0-9])"
)
# A first-generation one (15 digits, still found in old records): the region, the birth date as
# YYMMDD and a sequence, no check character.
_FIRST_ID_IN_TEXT = re.compile(
    rf"(?<![0-9])([1-9][0-9]{{5}}){_SEP}[0-9]{{2}}{_SEP}{_MONTH_DAY}{_SEP}([0-9]{{3}})(?![0-9])"
)

# What each pattern's match shows instead.
_Rule = tuple[re.Pattern, Callable[[re.Match], str]]
_MOBILES: _Rule = (_MOBILE_IN_TEXT, lambda m: f"{m[1]}****{m[3]}")
_ID_NUMBERS: tuple[_Rule, ...] = (
    (_ID_IN_TEXT, lambda m: f"{m[1]}********{m[2]}{m[3].upper()}"),
    (_FIRST_ID_IN_TEXT, lambda m: f"{m[1]}******{m[2]}"),
)

# Characters no reader sees: format characters (U+200B-U+200D, U+2060, U+FEFF, U+00AD...) and
# combining marks (a keycap's U+FE0F U+20E3 after a digit).
_MARKS = frozenset({"Mn", "Me"})
_INVISIBLE = _MARKS | {"Cf"}


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
    return _masked(text, (_MOBILES,))


def mask_id_numbers(text: str) -> str:
    """Every ID number in ``text`` masked but its region and last four (three for a first-generation
    one): 220402198001011234 → 220402********1234, 220402800101123 → 220402******123."""
    return _masked(text, _ID_NUMBERS)


def mask_free_text(text: str | None) -> str | None:
    """Mobile and ID numbers in ``text`` masked: what a public answer shows of any free text (none: None)."""
    return _masked(text, (*_ID_NUMBERS, _MOBILES)) if text else None


def _masked(text: str, rules: tuple[_Rule, ...]) -> str:
    """``text`` with each span where a rule's pattern matches it as read replaced by what the
    rule shows; a match overlapping an earlier rule's is left out (an ID number holds no mobile)."""
    read = text.translate(_AS_READ)
    spans = []
    for pattern, shown in rules:
        for match in pattern.finditer(read):
            if all(match.end() <= start or end <= match.start() for start, end, _ in spans):
                spans.append((match.start(), match.end(), shown(match)))
    if not spans:
        return text
    # Where each character read was typed.
    origin = [i for i, typed in enumerate(text) for _ in typed.translate(_AS_READ)]
    parts, done = [], 0
    for start, end, shown in sorted(spans):
        # One character read as several (⑴ → "(1)") may hold the end of one match and the start
        # of the next: the later one starts after the earlier.
        start, end = max(origin[start], done), origin[end - 1] + 1
        while end < len(text) and unicodedata.category(text[end]) in _MARKS:
            end += 1  # a mark on the number's last digit (a keycap) goes with it, not onto what follows
        parts += [text[done:start], shown]
        done = end
    return "".join(parts) + text[done:]


class _AsRead(dict):
    """str.translate's table: for a character, what a reader sees of it (none, one or several
    characters: ⑴ is "(1)"), worked out when first met; kept for the first few thousand."""

    def __missing__(self, code: int) -> str:
        chars = [c for c in unicodedata.normalize("NFKC", chr(code)) if unicodedata.category(c) not in _INVISIBLE]
        # ٣ (Arabic-Indic) is a 3 too: NFKC keeps it.
        seen = "".join(c if unicodedata.decimal(c, None) is None else str(unicodedata.decimal(c)) for c in chars)
        if len(self) < 8192:  # a text of rare characters cannot grow it without end
            self[code] = seen
        return seen


_AS_READ = _AsRead()
