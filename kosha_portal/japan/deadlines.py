"""Deadlines are JST instants: the end of 2024-01-31 is 2024-01-31T23:59:59+09:00."""

import datetime
from zoneinfo import ZoneInfo

JST = ZoneInfo("Asia/Tokyo")


def start_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=JST)


def end_of_day(day: datetime.date) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(23, 59, 59), tzinfo=JST)


def jst_date(value: datetime.datetime) -> datetime.date:
    return value.astimezone(JST).date()
