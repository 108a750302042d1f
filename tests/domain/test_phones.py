"""Phone numbers: mainland mobiles and E.164 are accepted and stored as E.164; nothing else."""
from __future__ import annotations

import pytest

from chalicelib.domain.phones import may_text_code, national, to_e164
from chalicelib.domain.privacy import mask_phone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("13812341234", "+8613812341234"),
        ("138 1234 1234", "+8613812341234"),
        ("138-1234-1234", "+8613812341234"),
        (" 19912341234 ", "+8619912341234"),
        ("+8613812341234", "+8613812341234"),
        ("+86 138 1234 1234", "+8613812341234"),
        ("008613812341234", "+8613812341234"),
        ("+852 9123 4567", "+85291234567"),  # Hong Kong, in E.164
        ("+4915112345678", "+4915112345678"),
        ("１３８１２３４１２３４", "+8613812341234"),  # full-width, as an input method may type it
        ("（+86）138 1234 1234", "+8613812341234"),
    ],
)
def test_mobiles_and_e164_numbers_are_stored_as_e164(raw, e164):
    assert to_e164(raw) == e164


@pytest.mark.parametrize(
    "raw",
    [
        "0437-3211234",  # a Liaoyuan landline: it cannot take an SMS
        "04373211234",
        "+864373211234",  # the same landline in E.164
        "12812341234",  # no mainland mobile starts 12
        "1381234123",  # ten digits
        "138123412345",
        "12345",
        "+0123456789",
        "+1234567890123456",  # longer than E.164 allows
        "١٣٨١٢٣٤١٢٣٤",  # Arabic-Indic digits: no gateway dials them
        "",
        "电话13812341234",
    ],
)
def test_anything_else_is_refused(raw):
    assert to_e164(raw) is None


@pytest.mark.parametrize(
    ("phone", "shown"),
    [("+8613812341234", "13812341234"), ("13812341234", "13812341234"), ("+4915112345678", "+4915112345678")],
)
def test_national_form_drops_china_s_country_code_only(phone, shown):
    assert national(phone) == shown


@pytest.mark.parametrize(
    ("phone", "masked"),
    [("+8613812341234", "138****1234"), ("13812341234", "138****1234"), ("+4915112345678", "+49****5678")],
)
def test_masking_shows_a_mainland_mobile_as_residents_know_it(phone, masked):
    assert mask_phone(phone) == masked


@pytest.mark.parametrize(
    ("phone", "countries", "allowed"),
    [
        ("+8613812341234", ("86",), True),
        ("+8601012345678", ("86",), False),  # a Beijing landline in E.164 dress
        ("+447700900123", ("86",), False),
        ("+12025550143", ("86",), False),
        ("+88234567890", ("86",), False),  # an international network's premium range
        ("+85291234567", ("86", "852"), True),
        ("+8613812341234", ("852",), False),  # a city that lists no 86 sends no code to the mainland
        ("+12025550143", ("1",), True),
    ],
)
def test_codes_go_only_to_the_countries_the_city_lists(phone, countries, allowed):
    assert may_text_code(phone, countries) is allowed
