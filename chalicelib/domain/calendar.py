"""Working time on the official calendar: holidays, 调休 workdays and office hours.

A limit in working days is an amount of office time: one working day is one
office day's length, consumed only inside office hours on working days. So an
order dispatched at 17:50 on a Friday with a one-day limit starts counting on
Monday at the office opening and falls due on Monday at closing time. Limits
in hours run round the clock.
"""
from __future__ import annotations

import datetime as dt
import logging

import chinese_calendar

from chalicelib.city import City, TimeLimit

log = logging.getLogger(__name__)


class WorkingCalendar:
    def __init__(self, city: City):
        self._zone = city.zone
        self._open = city.office_hours.start
        self._close = city.office_hours.end
        self._extra_holidays = frozenset(city.extra_holidays)
        self._extra_workdays = frozenset(city.extra_workdays)
        self._warned_years: set[int] = set()

    def is_workday(self, day: dt.date) -> bool:
        if day in self._extra_workdays:
            return True
        if day in self._extra_holidays:
            return False
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError:
            # The official notice for a new year comes out in late autumn; until the
            # package knows it, Monday–Friday keeps deadlines moving (the city file's
            # extra_holidays/extra_workdays can fill the gap).
            if day.year not in self._warned_years:
                self._warned_years.add(day.year)
                log.warning("no official calendar for %s: counting Monday to Friday", day.year)
            return day.weekday() < 5

    def due(self, start: dt.datetime, limit: TimeLimit) -> dt.datetime:
        """When an order started at ``start`` with ``limit`` falls due (in UTC)."""
        if limit.hours is not None:
            return (start + dt.timedelta(hours=limit.hours)).astimezone(dt.timezone.utc)
        return self.add_working_days(start, limit.working_days or 0)

    def add_working_days(self, start: dt.datetime, days: float) -> dt.datetime:
        return self.add_working_time(start, self.office_day() * days)

    def add_working_time(self, start: dt.datetime, amount: dt.timedelta) -> dt.datetime:
        """The instant ``amount`` of office time after ``start`` (in UTC)."""
        remaining = amount
        cursor = self._next_working_instant(start.astimezone(self._zone))
        while True:
            closing = self._at(cursor.date(), self._close)
            if remaining <= closing - cursor:
                return (cursor + remaining).astimezone(dt.timezone.utc)
            remaining -= closing - cursor
            cursor = self._next_working_instant(closing + dt.timedelta(seconds=1))

    def working_time_between(self, start: dt.datetime, end: dt.datetime) -> dt.timedelta:
        """Office time from ``start`` to ``end``; negative when ``end`` comes first."""
        if end < start:
            return -self.working_time_between(end, start)
        total = dt.timedelta()
        cursor = self._next_working_instant(start.astimezone(self._zone))
        end = end.astimezone(self._zone)
        while cursor < end:
            closing = self._at(cursor.date(), self._close)
            total += min(closing, end) - cursor
            cursor = self._next_working_instant(closing + dt.timedelta(seconds=1))
        return total

    def office_day(self) -> dt.timedelta:
        """How long one working day is."""
        day = dt.date(2000, 1, 3)
        return dt.datetime.combine(day, self._close) - dt.datetime.combine(day, self._open)

    def _at(self, day: dt.date, time: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, time, tzinfo=self._zone)

    def _next_working_instant(self, moment: dt.datetime) -> dt.datetime:
        """``moment`` if it lies in office hours on a working day, else the next opening."""
        day = moment.date()
        if self.is_workday(day):
            if moment < self._at(day, self._open):
                return self._at(day, self._open)
            if moment < self._at(day, self._close):
                return moment
        day += dt.timedelta(days=1)
        while not self.is_workday(day):
            day += dt.timedelta(days=1)
        return self._at(day, self._open)
