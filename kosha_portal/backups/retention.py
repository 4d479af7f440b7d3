"""Which backup sets to keep, and when the next scheduled backup is due. Pure functions: the
caller passes "now" (from kosha_portal.clock) and the sets' timestamps."""

import datetime
from collections.abc import Iterable

from django.utils import timezone


def _newest_per_period(instants, key) -> set[datetime.datetime]:
    newest: dict[object, datetime.datetime] = {}
    for instant in instants:
        period = key(instant)
        if period is not None and (period not in newest or instant > newest[period]):
            newest[period] = instant
    return set(newest.values())


def retention_keep(
    created: Iterable[datetime.datetime],
    *,
    now: datetime.datetime,
    daily: int,
    weekly: int,
    monthly: int,
    tz: datetime.tzinfo | None = None,
) -> set[datetime.datetime]:
    """The instants (of ``created``) whose sets survive pruning.

    Calendar windows in Japan time, counted back from ``now``: the newest set of each of the last
    ``daily`` days, of each of the last ``weekly`` ISO weeks (Monday to Sunday) and of each of the
    last ``monthly`` calendar months, the current day, week and month included. A set older than
    every window is pruned even when no newer set exists for its period, so no set outlives the
    monthly window (what the privacy notice promises for erased data). Two exceptions, both for
    safety: the newest set is always kept (pruning never leaves nothing to restore, even when
    backups have stopped), and sets dated after ``now`` (a clock that went back) are kept.
    """
    tz = tz or timezone.get_current_timezone()
    instants = set(created)
    if not instants:
        return set()
    today = now.astimezone(tz).date()
    first_day = today - datetime.timedelta(days=daily - 1)
    this_monday = today - datetime.timedelta(days=today.weekday())
    first_monday = this_monday - datetime.timedelta(weeks=weekly - 1)
    month_index = today.year * 12 + today.month - 1
    first_month = month_index - (monthly - 1)

    past = {instant for instant in instants if instant <= now}

    def day(instant):
        date = instant.astimezone(tz).date()
        return date if daily > 0 and first_day <= date <= today else None

    def week(instant):
        date = instant.astimezone(tz).date()
        monday = date - datetime.timedelta(days=date.weekday())
        return monday if weekly > 0 and first_monday <= monday <= this_monday else None

    def month(instant):
        date = instant.astimezone(tz).date()
        index = date.year * 12 + date.month - 1
        return index if monthly > 0 and first_month <= index <= month_index else None

    keep = (instants - past) | {max(instants)}
    for key in (day, week, month):
        keep |= _newest_per_period(past, key)
    return keep


def next_daily_run(
    now: datetime.datetime, at: datetime.time, tz: datetime.tzinfo | None = None
) -> datetime.datetime:
    """The first instant after ``now`` whose wall-clock time in ``tz`` (Japan) is ``at``."""
    tz = tz or timezone.get_current_timezone()
    local = now.astimezone(tz)
    candidate = datetime.datetime.combine(local.date(), at, tzinfo=tz)
    if candidate <= local:
        candidate = datetime.datetime.combine(
            local.date() + datetime.timedelta(days=1), at, tzinfo=tz
        )
    return candidate


def parse_time_of_day(value: str) -> datetime.time:
    """'02:30' -> time(2, 30); raises ValueError on anything else."""
    hours, _, minutes = value.strip().partition(":")
    return datetime.time(int(hours), int(minutes or 0))
