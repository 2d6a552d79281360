"""ORG-2: library days skip closed weekdays and closed dates."""
import datetime as dt

from syllabus.org.calendar import add_library_days, count_library_days, is_library_day
from syllabus.org.models import ClosedDate

FRIDAY = dt.date(2026, 3, 6)


def test_library_days_skip_closed_weekdays(library_a):
    assert add_library_days(library_a, FRIDAY, 1) == dt.date(2026, 3, 9)  # Monday
    assert add_library_days(library_a, FRIDAY, 5) == dt.date(2026, 3, 13)
    assert not is_library_day(library_a, dt.date(2026, 3, 7))


def test_library_days_skip_closed_dates(library_a):
    ClosedDate.objects.create(library=library_a, start=dt.date(2026, 3, 9), end=dt.date(2026, 3, 10), description="Holiday")
    assert add_library_days(library_a, FRIDAY, 1) == dt.date(2026, 3, 11)
    assert count_library_days(library_a, FRIDAY, dt.date(2026, 3, 13)) == 3


def test_a_saturday_opening_library_counts_saturdays(library_a):
    library_a.open_weekdays = "mon,tue,wed,thu,fri,sat"
    library_a.save()
    assert add_library_days(library_a, FRIDAY, 1) == dt.date(2026, 3, 7)
