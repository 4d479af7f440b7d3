"""Fiscal years (年度): April 1 to March 31. 令和5年度 = FY2023."""

import datetime

from .wareki import era_year


def fiscal_year_of(value: datetime.date) -> int:
    return value.year if value.month >= 4 else value.year - 1


def fiscal_year_bounds(fiscal_year: int) -> tuple[datetime.date, datetime.date]:
    return datetime.date(fiscal_year, 4, 1), datetime.date(fiscal_year + 1, 3, 31)


def fiscal_year_label(fiscal_year: int) -> str:
    """2023 → ``令和5年度``; 2019 (which began under 平成) → ``令和元年度`` as official usage has it."""
    era, year = era_year(
        max(datetime.date(fiscal_year, 4, 1), datetime.date(2019, 5, 1))
        if fiscal_year == 2019
        else datetime.date(fiscal_year, 4, 1)
    )
    return f"{era}{'元' if year == 1 else year}年度"
