"""The period a report covers: a fiscal year (年度, April–March, JST) or some of its months."""

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from kosha_portal.japan.deadlines import JST, start_of_day
from kosha_portal.japan.fiscal import fiscal_year_label

# Calendar months in fiscal-year order.
FISCAL_MONTHS = (4, 5, 6, 7, 8, 9, 10, 11, 12, 1, 2, 3)
# The program's first fiscal year in the portal (令和5年度, DOMAIN §3).
FIRST_FISCAL_YEAR = 2023


def _month_start(fiscal_year: int, month: int) -> datetime.date:
    return datetime.date(fiscal_year if month >= 4 else fiscal_year + 1, month, 1)


@dataclass(frozen=True)
class ReportPeriod:
    """``month_from``..``month_to`` (calendar months, in fiscal order) of ``fiscal_year``."""

    fiscal_year: int
    month_from: int = 4
    month_to: int = 3

    def __post_init__(self):
        if self.month_from not in FISCAL_MONTHS or self.month_to not in FISCAL_MONTHS:
            raise ValueError("months must be 1..12")
        if FISCAL_MONTHS.index(self.month_from) > FISCAL_MONTHS.index(self.month_to):
            raise ValueError("month_from comes after month_to in the fiscal year")

    @property
    def calendar_months(self) -> list[int]:
        first, last = FISCAL_MONTHS.index(self.month_from), FISCAL_MONTHS.index(self.month_to)
        return list(FISCAL_MONTHS[first : last + 1])

    @property
    def months(self) -> list[datetime.date]:
        """The first day of every month in the period."""
        return [_month_start(self.fiscal_year, m) for m in self.calendar_months]

    @property
    def start_date(self) -> datetime.date:
        return _month_start(self.fiscal_year, self.month_from)

    @property
    def end_date(self) -> datetime.date:
        """The last day of the period (inclusive)."""
        last = _month_start(self.fiscal_year, self.month_to)
        following = datetime.date(last.year + (last.month == 12), last.month % 12 + 1, 1)
        return following - datetime.timedelta(days=1)

    @property
    def start(self) -> datetime.datetime:
        """The first instant: 4/1 00:00:00 JST for a whole year."""
        return start_of_day(self.start_date)

    @property
    def end(self) -> datetime.datetime:
        """The first instant after the period (exclusive): everything up to 3/31 23:59:59 JST."""
        return start_of_day(self.end_date + datetime.timedelta(days=1))

    @property
    def is_full_year(self) -> bool:
        return self.month_from == 4 and self.month_to == 3

    def previous(self) -> "ReportPeriod":
        """The same months of the fiscal year before, for comparison."""
        return ReportPeriod(self.fiscal_year - 1, self.month_from, self.month_to)

    def as_of(self, now: datetime.datetime) -> datetime.datetime:
        """The instant the period's "at the end" figures describe: its end, or now while it runs."""
        return min(self.end, now)

    def has_ended(self, now: datetime.datetime) -> bool:
        return self.end <= now

    @property
    def year_label(self) -> str:
        return fiscal_year_label(self.fiscal_year)

    @property
    def label(self) -> str:
        if self.is_full_year:
            return self.year_label
        return _("%(year)s（%(first)s月〜%(last)s月）") % {
            "year": self.year_label,
            "first": self.month_from,
            "last": self.month_to,
        }

    @property
    def query(self) -> str:
        """The query string that selects this period on the reports page."""
        if self.is_full_year:
            return f"fy={self.fiscal_year}"
        return f"fy={self.fiscal_year}&from={self.month_from}&to={self.month_to}"


def month_key(day: datetime.date | datetime.datetime) -> str:
    """``2026-04`` for any moment of April 2026 (JST)."""
    if isinstance(day, datetime.datetime):
        day = day.astimezone(JST).date()
    return f"{day.year:04d}-{day.month:02d}"
