"""Rate limits in fixed windows of the city's clock: which window a moment falls in, and when it ends.

A cap counts uses per window — the minute, the hour, the day from local midnight — one
counter per name and window, so a window's count is one item that nothing else writes
and that expires when the window does. A caller over a cap waits until its window ends.
"""
from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from zoneinfo import ZoneInfo

SPANS = ("minute", "hour", "day")
_STAMPS = {"minute": "%Y%m%d%H%M", "hour": "%Y%m%d%H", "day": "%Y%m%d"}
_LENGTHS = {"minute": dt.timedelta(minutes=1), "hour": dt.timedelta(hours=1)}


@dataclass(frozen=True)
class Window:
    span: str  # minute, hour or day
    stamp: str  # its start on the city's clock: 202611201003, 2026112010, 20261120
    ends_at: dt.datetime


def window(span: str, now: dt.datetime, zone: ZoneInfo) -> Window:
    local = now.astimezone(zone)
    if span == "day":
        start = local.replace(hour=0, minute=0, second=0, microsecond=0)
        # The next local midnight, whatever the length of this day.
        ends_at = dt.datetime.combine(start.date() + dt.timedelta(days=1), dt.time(), tzinfo=zone)
    else:
        start = local.replace(second=0, microsecond=0, **({"minute": 0} if span == "hour" else {}))
        # In UTC: a wall-clock hour added across a change of offset would be off by it.
        ends_at = (start.astimezone(dt.timezone.utc) + _LENGTHS[span]).astimezone(zone)
    return Window(span, start.strftime(_STAMPS[span]), ends_at)


def seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    """Whole seconds from ``now`` to ``moment``, rounded up, at least 1: a Retry-After."""
    return max(1, math.ceil((moment - now).total_seconds()))


def wait_text(seconds: int) -> str:
    """A wait as a resident reads it: 40秒, 3分钟, 2小时."""
    if seconds < 60:
        return f"{seconds}秒"
    if seconds < 3600:
        return f"{math.ceil(seconds / 60)}分钟"
    return f"{math.ceil(seconds / 3600)}小时"
