"""Deadlines on the official calendar (holidays, 调休) and office hours 08:30–17:30 Asia/Shanghai."""
from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar
import pytest

from chalicelib.city import TimeLimit, load_city
from chalicelib.domain.calendar import WorkingCalendar

CITY = load_city("liaoyuan.yaml")
CST = dt.timezone(dt.timedelta(hours=8))
UTC = dt.timezone.utc


def at(year, month, day, hour, minute=0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=CST)


def due(start: dt.datetime, *, working_days=None, hours=None, city=CITY) -> dt.datetime:
    return WorkingCalendar(city).due(start, TimeLimit(working_days=working_days, hours=hours))


def official_days(first: dt.date, last: dt.date, predicate) -> list[dt.date]:
    days = (first + dt.timedelta(days=n) for n in range((last - first).days + 1))
    return [day for day in days if predicate(day)]


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (at(2026, 11, 20, 17, 50), 1, at(2026, 11, 23, 17, 30)),  # Friday after closing → Monday closing
        (at(2026, 11, 23, 10), 1, at(2026, 11, 24, 10)),  # Monday 10:00 → Tuesday 10:00
        (at(2026, 11, 23, 7), 1, at(2026, 11, 23, 17, 30)),  # before opening: counts from 08:30
        (at(2026, 11, 23, 8, 30), 1, at(2026, 11, 23, 17, 30)),
        (at(2026, 11, 23, 17, 30), 1, at(2026, 11, 24, 17, 30)),  # at closing: nothing left that day
        (at(2026, 11, 21, 12), 1, at(2026, 11, 23, 17, 30)),  # Saturday → Monday
        (at(2026, 11, 20, 10), 5, at(2026, 11, 27, 10)),  # Friday → next Friday
        (at(2026, 11, 23, 10), 3, at(2026, 11, 26, 10)),
    ],
)
def test_working_day_limits_count_office_time_only(start, days, expected):
    assert due(start, working_days=days) == expected


def test_due_is_an_aware_utc_datetime():
    result = due(at(2026, 11, 23, 10), working_days=1)
    assert result.tzinfo is not None and result.utcoffset() == dt.timedelta(0)
    assert result == dt.datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    assert due(at(2026, 11, 23, 10), hours=24).utcoffset() == dt.timedelta(0)


def test_start_in_utc_is_read_in_the_city_time_zone():
    # 2026-11-23 00:00 UTC is Monday 08:00 in Liaoyuan, before opening.
    assert due(dt.datetime(2026, 11, 23, 0, 0, tzinfo=UTC), working_days=1) == at(2026, 11, 23, 17, 30)


def test_worked_weekend_days_of_2026_are_working_days():
    worked = official_days(
        dt.date(2026, 9, 1), dt.date(2026, 10, 31), lambda d: d.weekday() >= 5 and chinese_calendar.is_workday(d)
    )
    assert worked, "the official 2026 calendar has worked weekend days around National Day"
    calendar = WorkingCalendar(CITY)
    for day in worked:
        assert calendar.is_workday(day)
        before = day - dt.timedelta(days=1)
        while not chinese_calendar.is_workday(before):
            before -= dt.timedelta(days=1)
        # One working day from 10:00 on the working day before lands on the worked weekend day.
        start = dt.datetime.combine(before, dt.time(10), tzinfo=CST)
        assert due(start, working_days=1) == dt.datetime.combine(day, dt.time(10), tzinfo=CST)


def test_national_day_holiday_is_skipped():
    calendar = WorkingCalendar(CITY)
    assert not any(calendar.is_workday(dt.date(2026, 10, d)) for d in range(1, 8))
    # Wednesday 30 September → Thursday 8 October, the first working day after the holiday.
    assert due(at(2026, 9, 30, 10), working_days=1) == at(2026, 10, 8, 10)


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (at(2026, 11, 20, 18), 24, at(2026, 11, 21, 18)),  # Friday evening → Saturday evening
        (at(2026, 11, 20, 18), 48, at(2026, 11, 22, 18)),
        (at(2026, 9, 30, 20), 24, at(2026, 10, 1, 20)),  # and through holidays
    ],
)
def test_hour_limits_run_round_the_clock(start, hours, expected):
    assert due(start, hours=hours) == expected


def test_years_without_an_official_calendar_count_monday_to_friday(caplog):
    calendar = WorkingCalendar(CITY)
    with caplog.at_level(logging.WARNING, logger="chalicelib.domain.calendar"):
        # Years the official calendar will never know, whatever version of the package is installed.
        assert [calendar.is_workday(dt.date(2099, 1, d)) for d in range(5, 12)] == [True] * 5 + [False] * 2
        friday_evening = at(2099, 1, 9, 17, 50)
        assert calendar.due(friday_evening, TimeLimit(working_days=1)) == at(2099, 1, 12, 17, 30)
        assert calendar.due(at(2099, 12, 30, 10), TimeLimit(working_days=3)) == at(2100, 1, 4, 10)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING and r.name == "chalicelib.domain.calendar"]
    assert sorted(r.getMessage() for r in warnings) == [
        "no official calendar for 2099: counting Monday to Friday",
        "no official calendar for 2100: counting Monday to Friday",
    ]


def test_city_extra_days_take_precedence_over_the_official_calendar():
    city = CITY.model_copy(
        update={
            "extra_holidays": (dt.date(2026, 11, 23), dt.date(2027, 1, 1)),  # an official workday; an unknown year
            "extra_workdays": (dt.date(2026, 11, 21), dt.date(2026, 10, 1)),  # a Saturday; an official holiday
        }
    )
    calendar = WorkingCalendar(city)
    assert calendar.is_workday(dt.date(2026, 11, 21))
    assert calendar.is_workday(dt.date(2026, 10, 1))
    assert not calendar.is_workday(dt.date(2026, 11, 23))
    assert not calendar.is_workday(dt.date(2027, 1, 1))
    assert due(at(2026, 11, 20, 17, 50), working_days=1, city=city) == at(2026, 11, 21, 17, 30)
    assert due(at(2026, 11, 21, 17, 50), working_days=1, city=city) == at(2026, 11, 24, 17, 30)
    assert due(at(2026, 12, 31, 10), working_days=1, city=city) == at(2027, 1, 4, 10)


def test_adding_working_days_to_a_deadline():
    calendar = WorkingCalendar(CITY)
    # Due Monday at closing; two more working days → Wednesday at closing.
    assert calendar.add_working_days(at(2026, 11, 23, 17, 30), 2) == at(2026, 11, 25, 17, 30)
