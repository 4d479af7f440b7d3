"""和暦 (Japanese era) dates for official documents. Dates are stored Gregorian."""

import datetime

_ERAS = [  # (first day, name)
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
]
_WEEKDAYS = "月火水木金土日"


def era_year(value: datetime.date) -> tuple[str, int]:
    for start, name in _ERAS:
        if value >= start:
            return name, value.year - start.year + 1
    raise ValueError("dates before 昭和 are not supported")


def format_wareki(value: datetime.date | datetime.datetime, *, weekday: bool = True) -> str:
    """2023-04-03 → ``令和5年4月3日(月)``; the first year of an era is 元年."""
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    era, year = era_year(value)
    text = f"{era}{'元' if year == 1 else year}年{value.month}月{value.day}日"
    return f"{text}({_WEEKDAYS[value.weekday()]})" if weekday else text


def format_wareki_year(value: datetime.date) -> str:
    era, year = era_year(value)
    return f"{era}{'元' if year == 1 else year}年"
