"""和暦 (Japanese era) dates for official documents. Dates are stored Gregorian."""

import datetime

_ERAS = [  # (first day, name)
    (datetime.date(2019, 5, 1), "令和"),
    (datetime.date(1989, 1, 8), "平成"),
    (datetime.date(1926, 12, 25), "昭和"),
]
_WEEKDAYS = "月火水木金土日"
_EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_EN_WEEKDAYS = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]


def era_year(value: datetime.date) -> tuple[str, int]:
    for start, name in _ERAS:
        if value >= start:
            return name, value.year - start.year + 1
    raise ValueError("dates before 昭和 are not supported")


def _local_date(value: datetime.date | datetime.datetime) -> datetime.date:
    if isinstance(value, datetime.datetime):
        from django.utils import timezone

        return timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value


def format_wareki(value: datetime.date | datetime.datetime, *, weekday: bool = True) -> str:
    """2023-04-03 → ``令和5年4月3日(月)``; the first year of an era is 元年."""
    value = _local_date(value)
    era, year = era_year(value)
    text = f"{era}{'元' if year == 1 else year}年{value.month}月{value.day}日"
    return f"{text}({_WEEKDAYS[value.weekday()]})" if weekday else text


def format_wareki_year(value: datetime.date) -> str:
    era, year = era_year(value)
    return f"{era}{'元' if year == 1 else year}年"


def format_gregorian(value: datetime.date | datetime.datetime, *, weekday: bool = True) -> str:
    """2026-12-01 → ``Tue 1 December 2026`` (British order, as the English catalogue writes)."""
    value = _local_date(value)
    text = f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year}"
    return f"{_EN_WEEKDAYS[value.weekday()]} {text}" if weekday else text


def format_date(
    value: datetime.date | datetime.datetime, *, weekday: bool = True, language: str | None = None
) -> str:
    """A date for a reader: 和暦 in Japanese (令和8年12月1日(火)), Gregorian in English
    (Tue 1 December 2026). ``language`` defaults to the active one, so an email or a calendar
    file rendered under ``translation.override(recipient's language)`` gets the reader's style."""
    from django.utils import translation

    language = (language or translation.get_language() or "ja").split("-")[0]
    if language == "en":
        return format_gregorian(value, weekday=weekday)
    return format_wareki(value, weekday=weekday)
