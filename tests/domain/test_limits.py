"""The rate limits' windows: the city's minute, hour and day, and when each ends."""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from chalicelib.domain.limits import seconds_until, wait_text, window

SHANGHAI, BERLIN = ZoneInfo("Asia/Shanghai"), ZoneInfo("Europe/Berlin")
NOW = dt.datetime(2026, 11, 20, 15, 59, 42, 500000, tzinfo=dt.timezone.utc)  # 23:59:42.5 in Liaoyuan


@pytest.mark.parametrize(
    ("span", "stamp", "ends_at"),
    [
        ("minute", "202611202359", "2026-11-21T00:00:00+08:00"),
        ("hour", "2026112023", "2026-11-21T00:00:00+08:00"),
        ("day", "20261120", "2026-11-21T00:00:00+08:00"),  # the city's midnight, not UTC's
    ],
)
def test_a_window_is_named_by_its_start_on_the_citys_clock(span, stamp, ends_at):
    current = window(span, NOW, SHANGHAI)
    assert (current.span, current.stamp) == (span, stamp)
    assert current.ends_at == dt.datetime.fromisoformat(ends_at)


def test_a_day_with_a_change_of_clock_ends_at_its_own_midnight():
    autumn = dt.datetime(2026, 10, 25, 12, 0, tzinfo=BERLIN)  # 25 hours long
    day = window("day", autumn, BERLIN)
    assert day.ends_at.timestamp() - dt.datetime(2026, 10, 25, tzinfo=BERLIN).timestamp() == 25 * 3600
    hour = window("hour", dt.datetime(2026, 10, 25, 0, 30, tzinfo=dt.timezone.utc), BERLIN)  # 02:30 CEST
    assert hour.ends_at.astimezone(dt.timezone.utc) == dt.datetime(2026, 10, 25, 1, 0, tzinfo=dt.timezone.utc)


def test_retry_after_is_whole_seconds_rounded_up_and_never_zero():
    assert seconds_until(window("minute", NOW, SHANGHAI).ends_at, NOW) == 18  # 17.5 s
    assert seconds_until(NOW, NOW) == 1


@pytest.mark.parametrize(("seconds", "text"), [(18, "18秒"), (60, "1分钟"), (61, "2分钟"), (3585, "60分钟"), (3601, "2小时")])
def test_a_wait_reads_in_the_largest_unit(seconds, text):
    assert wait_text(seconds) == text
