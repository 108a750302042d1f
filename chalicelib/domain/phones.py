"""Phone numbers as SMS needs them: mainland mobiles and E.164, stored as E.164.

A resident may write 138 1234 1234, 13812341234, +86 138-1234-1234,
0086 13812341234 or full-width １３８１２３４１２３４: all are one phone, stored
as +8613812341234, so the daily SMS cap and phone verification see one number.
Landlines are refused: they cannot receive a text. A foreign number is accepted
in E.164 form only; whether a verification code may be texted to it is the city's
choice of countries (``may_text_code``): international premium-rate numbers are
how a public SMS endpoint is pumped for money.
"""
from __future__ import annotations

import re
import unicodedata

_SEPARATORS = re.compile(r"[\s\-()]")
# ASCII digits only: \d would also take other scripts' digits, which no SMS gateway dials.
_MAINLAND_MOBILE = re.compile(r"1[3-9][0-9]{9}")
_E164 = re.compile(r"\+[1-9][0-9]{6,14}")
CHINA = "+86"


def to_e164(raw: str) -> str | None:
    """The number in E.164, or None when it is neither a mainland mobile nor E.164."""
    # NFKC: full-width digits, plus signs and brackets, as Chinese input methods type them, become ASCII.
    number = _SEPARATORS.sub("", unicodedata.normalize("NFKC", raw or ""))
    if number.startswith("00"):
        number = "+" + number[2:]
    if _MAINLAND_MOBILE.fullmatch(number):
        return CHINA + number
    if not _E164.fullmatch(number):
        return None
    if number.startswith(CHINA) and not _MAINLAND_MOBILE.fullmatch(number[len(CHINA):]):
        return None  # a Chinese landline in E.164 dress: it cannot take an SMS
    return number


def national(phone: str) -> str:
    """+8613812341234 → 13812341234; other numbers stay as they are."""
    phone = phone.strip()
    rest = phone[len(CHINA):]
    return rest if phone.startswith(CHINA) and _MAINLAND_MOBILE.fullmatch(rest) else phone


def may_text_code(phone: str, country_codes: tuple[str, ...]) -> bool:
    """Whether a verification code may be texted to ``phone`` (E.164), given the city's country codes.

    +86 is a mainland mobile only (``to_e164`` refuses other +86 numbers, checked again here
    for a number that came another way). Country codes are prefix-free (E.164), so a number
    belongs to the one code it starts with.
    """
    if phone.startswith(CHINA):
        return "86" in country_codes and bool(_MAINLAND_MOBILE.fullmatch(phone[len(CHINA):]))
    return any(phone.startswith(f"+{code}") for code in country_codes if code != "86")
