"""The desk's business-day calendar (DOMAIN §7): not Saturday/Sunday, not a national holiday
(jpholiday, substitute holidays included), not 12/29–1/3, not a closure day staff entered.

Used for reply-by dates, reminders and report due dates; never to move a published deadline."""

import datetime
import time
from functools import lru_cache

import jpholiday


def is_year_end_closure(day: datetime.date) -> bool:
    return (day.month == 12 and day.day >= 29) or (day.month == 1 and day.day <= 3)


# Every closure day staff entered, cached (they are few, and every intake asks): emptied when one
# is saved or deleted, at once and again when that transaction commits. Until it commits, the
# transaction that changed them reads them from the database (others still see the old days,
# as they would in the database); a rollback leaves the cache as it was.
CLOSURE_DAYS_CACHE_KEY = "japan:closure-days:v1"
# Bounds how long a reader that raced a change (read the old days before the commit, stored
# them after it) can keep them.
CLOSURE_DAYS_CACHE_SECONDS = 5 * 60
# Each process also keeps the days for this long (the cache's round trip was most of an intake's
# reply-by date). A change empties the changing process's copy at once; the other processes see
# it within this many seconds.
CLOSURE_DAYS_LOCAL_SECONDS = 30
_local: dict = {"days": None, "until": 0.0}


def closure_days_forget_local() -> None:
    """Drop this process's copy (tests, whose database and cache are emptied between them)."""
    _local["days"] = None


def _closure_days_invalidated() -> None:
    from django.core.cache import cache

    closure_days_forget_local()
    cache.delete(CLOSURE_DAYS_CACHE_KEY)


def _monotonic() -> float:
    """The clock of this process's copy (its own, so a test can move it alone)."""
    return time.monotonic()


def _keep_local(days) -> None:
    _local.update(days=days, until=_monotonic() + CLOSURE_DAYS_LOCAL_SECONDS)


def _cached_closure_days():
    """Every closure day, from this process's copy or the cache (None when neither has them)."""
    from django.core.cache import cache

    if _local["days"] is not None and _monotonic() < _local["until"]:
        return _local["days"]
    days = cache.get(CLOSURE_DAYS_CACHE_KEY)
    if days is not None:
        _keep_local(days)
    return days


def _changed_in_this_transaction() -> bool:
    from django.db import connection

    return connection.in_atomic_block and any(
        callback is _closure_days_invalidated
        for _sids, callback, _robust in connection.run_on_commit
    )


def closure_days_changed(**kwargs) -> None:
    """Signal receiver (post_save, post_delete of ClosureDay, japan/apps.py)."""
    from django.db import transaction

    _closure_days_invalidated()
    if not _changed_in_this_transaction():
        transaction.on_commit(_closure_days_invalidated, robust=True)


def _closure_days(start: datetime.date, end: datetime.date) -> set[datetime.date]:
    from django.core.cache import cache

    from .models import ClosureDay

    if _changed_in_this_transaction():
        days = None
    else:
        days = _cached_closure_days()
        if days is None:
            days = frozenset(ClosureDay.objects.values_list("date", flat=True))
            cache.set(CLOSURE_DAYS_CACHE_KEY, days, CLOSURE_DAYS_CACHE_SECONDS)
            _keep_local(days)
    if days is None:
        return set(
            ClosureDay.objects.filter(date__range=(start, end)).values_list("date", flat=True)
        )
    return {day for day in days if start <= day <= end}


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
