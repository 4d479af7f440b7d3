"""The program reports area (実績報告) under the admin: desk staff and administrators only."""

from functools import wraps

from django.contrib import admin, messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.encoding import escape_uri_path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosha_portal import clock
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.documents.services import documents_for, latest_ready_document
from kosha_portal.documents.views import document_response
from kosha_portal.japan.deadlines import jst_date
from kosha_portal.japan.fiscal import fiscal_year_of

from . import exports, services
from .forms import ReportPeriodForm
from .models import ReportYear
from .periods import FIRST_FISCAL_YEAR, ReportPeriod
from .selectors import fiscal_years_available
from .tables import all_tables, headline, report_sections

PERMISSION = "reports.view_reports"


def can_view_reports(user) -> bool:
    return bool(user.is_active and user.is_staff and user.has_perm(PERMISSION))


def reports_staff_required(view):
    """Staff who may read the reports (desk staff, administrators). The admin's login page for
    anyone not logged in as staff; a 404 for staff without the permission."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_view_reports(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return admin.site.admin_view(wrapped)


def _period_from(
    request, *, fiscal_year: int | None = None
) -> tuple[ReportPeriodForm, ReportPeriod]:
    today = clock.today()
    years = fiscal_years_available(today=today)
    data = request.GET.copy()
    if fiscal_year is not None:
        if fiscal_year not in years:
            raise Http404
        data["fy"] = str(fiscal_year)
    form = ReportPeriodForm(
        data if data else None,
        fiscal_years=years,
        default_year=years[0] if years else fiscal_year_of(today),
    )
    return form, form.period()


def _annual_report_state(fiscal_year: int) -> dict:
    year = ReportYear.objects.filter(fiscal_year=fiscal_year).first()
    if year is None:
        return {"ready": None, "pending": None}
    documents = documents_for(year, kind=services.ANNUAL_REPORT_KIND)
    latest = documents.order_by("-created_at").first()
    return {
        "ready": latest_ready_document(year, kind=services.ANNUAL_REPORT_KIND),
        "latest": latest,
        "pending": latest if latest and latest.status == GeneratedDocument.Status.PENDING else None,
        "failed": latest if latest and latest.status == GeneratedDocument.Status.FAILED else None,
    }


@reports_staff_required
def reports_index(request):
    """The report of a fiscal year (or some of its months) with the previous year beside it."""
    form, period = _period_from(request)
    snapshot = services.report_snapshot_for(period=period)
    sections = report_sections(period, snapshot.figures)
    charts = [
        table["chart"]
        for section in sections
        for table in section["tables"]
        if table.get("chart") and table["chart"]["labels"]
    ]
    context = {
        **admin.site.each_context(request),
        "title": _("実績報告"),
        "form": form,
        "period": period,
        "previous": period.previous(),
        "snapshot": snapshot,
        "headline": headline(snapshot.figures),
        "sections": sections,
        "charts": charts,
        "annual": _annual_report_state(period.fiscal_year),
        "previous_year_url": f"{reverse('reports:index')}?{period.previous().query}"
        if period.fiscal_year - 1 >= FIRST_FISCAL_YEAR
        else "",
        "today": jst_date(clock.now()),
    }
    return TemplateResponse(request, "admin/reports/index.html", context)


@reports_staff_required
@require_POST
def reports_refresh(request):
    """Recompute the figures now (the page otherwise shows ones at most a few minutes old)."""
    form, period = _period_from(request)
    services.report_snapshot_refresh(period=period, actor=request.user)
    messages.success(request, _("最新の数値で集計し直しました。"))
    return redirect(f"{reverse('reports:index')}?{period.query}")


def _fresh_sections(period: ReportPeriod):
    snapshot = services.report_snapshot_refresh(period=period)
    return snapshot, report_sections(period, snapshot.figures)


@reports_staff_required
def reports_workbook(request, fiscal_year: int):
    """The period's XLSX workbook (a sheet per section), computed now."""
    _form, period = _period_from(request, fiscal_year=fiscal_year)
    snapshot, sections = _fresh_sections(period)
    filename, content = exports.workbook_export(
        period=period, snapshot=snapshot, sections=sections, actor=request.user
    )
    return _attachment(
        content,
        filename,
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


@reports_staff_required
def reports_table_csv(request, fiscal_year: int, key: str):
    """One table of the report as CSV."""
    _form, period = _period_from(request, fiscal_year=fiscal_year)
    _snapshot, sections = _fresh_sections(period)
    table = all_tables(sections).get(key)
    if table is None:
        raise Http404
    return exports.table_csv_export(request, period=period, table=table)


@reports_staff_required
@require_POST
def annual_report_request(request, fiscal_year: int):
    """Start rendering the year's annual report PDF (in a task)."""
    if fiscal_year not in fiscal_years_available(today=clock.today()):
        raise Http404
    services.annual_report_request(fiscal_year=fiscal_year, actor=request.user)
    messages.success(
        request,
        _(
            "年度実績報告書（PDF）の作成を受け付けました。作成が終わると、このページからダウンロードできます。"
        ),
    )
    return redirect(f"{reverse('reports:index')}?{ReportPeriod(fiscal_year).query}#annual-report")


@reports_staff_required
def annual_report_download(request, fiscal_year: int):
    """The year's latest annual report PDF."""
    year = ReportYear.objects.filter(fiscal_year=fiscal_year).first()
    document = year and latest_ready_document(year, kind=services.ANNUAL_REPORT_KIND)
    if not document:
        raise Http404
    return document_response(document, actor=request.user)


def _attachment(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{escape_uri_path(filename)}"
    response["Cache-Control"] = "private, no-store"
    return response
