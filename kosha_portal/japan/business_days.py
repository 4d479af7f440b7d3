"""The desk's business-day calendar (DOMAIN §7): not Saturday/Sunday, not a national holiday
(jpholiday, substitute holidays included), not 12/29–1/3, not a closure day staff entered.

Used for reply-by dates, reminders and report due dates; never to move a published deadline."""

import datetime
from functools import lru_cache

import jpholiday


def is_year_end_closure(day: datetime.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


def _closure_days(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    from .models import ClosureDay

    return set(ClosureDay.objects.filter(date__range=(start, end)).values_list("date", flat=True))


class BusinessCalendar:
    """Answers business-day questions over a range with one query for the closure days."""

    def __init__(self, start: datetime.date, end: datetime.date):
        self.start, self.end = start, end
        self.closures = _closure_days(start, end)

    def is_business_day(self, day: datetime.date) -> bool:
        return not (
            day.weekday() >= 5
            or _is_holiday(day)
            or is_year_end_closure(day)
            or day in self.closures
        )


@lru_cache(maxsize=4096)
def _is_holiday(day: datetime.date) -> bool:
    return jpholiday.is_holiday(day)


def _calendar_around(day: datetime.date, days: int) -> BusinessCalendar:
    span = datetime.timedelta(days=abs(days) * 2 + 20)
    return BusinessCalendar(day - span, day + span)


def is_business_day(day: datetime.date) -> bool:
    return BusinessCalendar(day, day).is_business_day(day)


def add_business_days(day: datetime.date, count: int) -> datetime.date:
    """The ``count``-th business day after ``day`` (before it when negative); 0 returns ``day``."""
    calendar = _calendar_around(day, count)
    step = datetime.timedelta(days=1 if count >= 0 else -1)
    remaining, current = abs(count), day
    while remaining:
        current += step
        if calendar.is_business_day(current):
            remaining -= 1
    return current


def next_business_day(day: datetime.date) -> datetime.date:
    """The first business day strictly after ``day``."""
    return add_business_days(day, 1)


def previous_business_day(day: datetime.date) -> datetime.date:
    return add_business_days(day, -1)


def business_days_between(start: datetime.date, end: datetime.date) -> int:
    """Business days in (start, end]; negative when end is before start."""
    if end < start:
        return -business_days_between(end, start)
    calendar = BusinessCalendar(start, end)
    return sum(
        calendar.is_business_day(start + datetime.timedelta(days=offset))
        for offset in range(1, (end - start).days + 1)
    )
