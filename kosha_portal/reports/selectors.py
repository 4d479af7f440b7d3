"""The program report of a period: each app's figures for it and for the same months of the year
before. Every number comes from the apps' ``reports`` selectors."""

import datetime

from django.db import connection, transaction

from consultations.reports import consultation_report
from dispatch.reports import dispatch_report
from kosha_portal import clock
from kosha_portal.japan.deadlines import jst_date
from kosha_portal.japan.fiscal import fiscal_year_of
from school.reports import school_report
from seminars.reports import seminar_report

from .periods import FIRST_FISCAL_YEAR, ReportPeriod


def figures_for(period: ReportPeriod, *, now: datetime.datetime, today: datetime.date) -> dict:
    """All four sections' figures of one period (a fixed number of queries), read in one
    transaction so that they describe one moment."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # The report's grouped scans look expensive to the planner, which then spends longer
            # JIT-compiling them (≈0.2 s each) than running them.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        return {
            "consultations": consultation_report(period=period, now=now, today=today),
            "dispatch": dispatch_report(period=period),
            "seminars": seminar_report(period=period),
            "school": school_report(period=period),
        }


def report_figures(period: ReportPeriod, *, now: datetime.datetime | None = None) -> dict:
    """The figures of ``period`` and of the previous year's same months, with when they were
    computed (they are read live from the database: exact as of that moment)."""
    now = now or clock.now()
    today = jst_date(now)
    previous = period.previous()
    return {
        "computed_at": now.isoformat(),
        "current": figures_for(period, now=now, today=today),
        "previous": figures_for(previous, now=now, today=today),
    }


def fiscal_years_available(*, today: datetime.date | None = None) -> list[int]:
    """The fiscal years the year selector offers, newest first: from the program's first year in
    the portal to the current one."""
    current = fiscal_year_of(today or clock.today())
    return list(range(max(current, FIRST_FISCAL_YEAR), FIRST_FISCAL_YEAR - 1, -1))
