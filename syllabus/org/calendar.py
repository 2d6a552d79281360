"""Library days (ORG-2): days the library is open, skipping closed weekdays and closed dates."""
from __future__ import annotations

import datetime as dt

from .models import Library

_MAX_SCAN_DAYS = 3 * 366


class _Calendar:
    def __init__(self, library: Library):
        self.weekdays = library.open_weekday_numbers
        self.closed = [(c.start, c.end) for c in library.closed_dates.all()]

    def is_open(self, day: dt.date) -> bool:
        if day.weekday() not in self.weekdays:
            return False
        return not any(start <= day <= end for start, end in self.closed)

    def next_open_day(self, day: dt.date) -> dt.date:
        """The first library day after ``day``."""
        if not self.weekdays:
            raise ValueError("the library has no opening weekday")
        for _ in range(_MAX_SCAN_DAYS):
            day += dt.timedelta(days=1)
            if self.is_open(day):
                return day
        raise ValueError(f"the library has no open day in {_MAX_SCAN_DAYS} days")


def library_calendar(library: Library) -> _Calendar:
    """The library's open weekdays and closed dates, read once: for loops over many days."""
    return _Calendar(library)


def is_library_day(library: Library, day: dt.date) -> bool:
    return _Calendar(library).is_open(day)


def add_library_days(library: Library, start: dt.date, days: int) -> dt.date:
    """The date ``days`` library days after ``start`` (``start`` itself not counted).

    ``add_library_days(lib, friday, 1)`` is Monday when the weekend is closed."""
    if days < 0:
        raise ValueError("days must be >= 0")
    cal = _Calendar(library)
    if not cal.weekdays:
        raise ValueError(f"library {library.code} has no opening weekday")
    day, counted = start, 0
    for _ in range(_MAX_SCAN_DAYS + days):
        if counted >= days:
            return day
        day += dt.timedelta(days=1)
        if cal.is_open(day):
            counted += 1
    if counted >= days:
        return day
    raise ValueError(f"library {library.code} has fewer than {days} open days in {_MAX_SCAN_DAYS} days")


def count_library_days(library: Library, start: dt.date, end: dt.date) -> int:
    """Number of library days in the half-open interval (start, end]."""
    cal = _Calendar(library)
    day, n = start, 0
    while day < end:
        day += dt.timedelta(days=1)
        if cal.is_open(day):
            n += 1
    return n


def add_library_days_to_datetime(library: Library, start: dt.datetime, days: int) -> dt.datetime:
    """``start`` moved forward by ``days`` library days, keeping its time of day."""
    end_date = add_library_days(library, start.date(), days)
    return start + dt.timedelta(days=(end_date - start.date()).days)
