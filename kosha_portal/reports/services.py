"""Writes of the reports area: refreshing the stored figures and requesting the annual PDF."""

import datetime

from django.conf import settings
from django.utils.translation import gettext as _

from kosha_portal import clock
from kosha_portal.audit.services import audit_record
from kosha_portal.documents.services import document_request

from .models import ReportSnapshot, ReportYear
from .periods import ReportPeriod
from .selectors import report_figures

ANNUAL_REPORT_KIND = "reports.annual"


def report_snapshot_refresh(
    *, period: ReportPeriod, actor=None, now: datetime.datetime | None = None
) -> ReportSnapshot:
    """Compute the period's figures now and store them (replacing the older snapshot)."""
    now = now or clock.now()
    figures = report_figures(period, now=now)
    snapshot, _created = ReportSnapshot.objects.update_or_create(
        fiscal_year=period.fiscal_year,
        month_from=period.month_from,
        month_to=period.month_to,
        defaults={"computed_at": now, "figures": figures},
    )
    if actor is not None:
        audit_record(
            actor=actor, action="report.refresh", obj=snapshot, changes={"period": period.query}
        )
    return snapshot


def report_snapshot_for(*, period: ReportPeriod, now: datetime.datetime | None = None):
    """The period's stored figures if they are recent enough, otherwise freshly computed ones."""
    now = now or clock.now()
    max_age = datetime.timedelta(minutes=settings.REPORTS_SNAPSHOT_MAX_AGE_MINUTES)
    snapshot = ReportSnapshot.objects.filter(
        fiscal_year=period.fiscal_year, month_from=period.month_from, month_to=period.month_to
    ).first()
    if snapshot is None or not (now - max_age <= snapshot.computed_at <= now):
        snapshot = report_snapshot_refresh(period=period, now=now)
    return snapshot


def report_snapshots_refresh_current(*, now: datetime.datetime | None = None) -> int:
    """Refresh the whole-year figures of this fiscal year and the last (what staff open most),
    and drop month-range snapshots nobody has refreshed for a day. Safe to run at any time."""
    from kosha_portal.japan.deadlines import jst_date
    from kosha_portal.japan.fiscal import fiscal_year_of

    now = now or clock.now()
    current = fiscal_year_of(jst_date(now))
    for fiscal_year in (current, current - 1):
        report_snapshot_refresh(period=ReportPeriod(fiscal_year), now=now)
    ReportSnapshot.objects.exclude(month_from=4, month_to=3).filter(
        computed_at__lt=now - datetime.timedelta(days=1)
    ).delete()
    return 2


def report_year_for(fiscal_year: int) -> ReportYear:
    year, _created = ReportYear.objects.get_or_create(fiscal_year=fiscal_year)
    return year


def annual_report_request(*, fiscal_year: int, actor):
    """Freeze the year's figures (computed now) and render the annual report PDF in a task."""
    from .pdf import annual_report_context

    period = ReportPeriod(fiscal_year)
    snapshot = report_snapshot_refresh(period=period)
    year = report_year_for(fiscal_year)
    document = document_request(
        kind=ANNUAL_REPORT_KIND,
        template="reports/pdf/annual_report.html",
        context=annual_report_context(period=period, snapshot=snapshot),
        filename=_("実績報告_%(year)s.pdf") % {"year": period.year_label},
        related=year,
        actor=actor,
    )
    audit_record(
        actor=actor, action="report.pdf.request", obj=year, changes={"document": document.pk}
    )
    return document
