"""The annual report (年度実績報告書) PDF: its frozen context. The template draws the charts as
SVG on the server and lays out the same tables as the page."""

from django.conf import settings
from django.utils import translation

from kosha_portal import clock
from kosha_portal.japan.deadlines import jst_date

from .models import ReportSnapshot
from .periods import ReportPeriod
from .tables import headline, report_sections


def annual_report_context(*, period: ReportPeriod, snapshot: ReportSnapshot) -> dict:
    """Everything the PDF prints, as JSON-serialisable data (labels in Japanese)."""
    with translation.override("ja"):
        sections = report_sections(period, snapshot.figures)
        totals = [list(row) for row in headline(snapshot.figures)]
        return {
            "program_name": settings.REPORTS_PROGRAM_NAME,
            "program": settings.PROGRAM,
            "fiscal_year": period.fiscal_year,
            "year_label": period.year_label,
            "previous_label": period.previous().label,
            "start_date": period.start_date.isoformat(),
            "end_date": period.end_date.isoformat(),
            "computed_at": snapshot.computed_at.isoformat(),
            "issued_on": jst_date(clock.now()).isoformat(),
            "headline": totals,
            "sections": sections,
        }
