"""Every export of the reports area in one place: the XLSX workbook of a period (a sheet per
section) and the CSV of any one table. Cells go through ``kosha_portal.exports`` (numbers stay
numbers, text never runs as a formula) and each export is recorded in the audit trail."""

import io

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from kosha_portal.audit.services import audit_record
from kosha_portal.exports import Column, export_options, export_response, xlsx_append
from kosha_portal.japan.deadlines import JST
from kosha_portal.japan.wareki import format_wareki

from .models import ReportSnapshot
from .periods import ReportPeriod
from .services import report_year_for
from .tables import headline

_INVALID_SHEET_CHARS = str.maketrans(dict.fromkeys("[]:*?/\\", "・"))
_HEADER_FILL = PatternFill("solid", fgColor="EEF2F8")


def _title(period: ReportPeriod, section_title: str) -> str:
    return _("%(period)s 実績報告 %(section)s") % {"period": period.label, "section": section_title}


def _computed_line(snapshot: ReportSnapshot) -> str:
    local = snapshot.computed_at.astimezone(JST)
    return _("集計日時：%(date)s %(time)s") % {
        "date": format_wareki(local.date()),
        "time": f"{local:%H:%M}",
    }


def _write_table(sheet, table: dict) -> None:
    xlsx_append(sheet, [table["title"]])
    sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=12)
    xlsx_append(sheet, table["columns"])
    for cell in sheet[sheet.max_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for row in table["rows"]:
        xlsx_append(sheet, row)
    if table.get("note"):
        xlsx_append(sheet, [table["note"]])
        sheet.cell(row=sheet.max_row, column=1).font = Font(italic=True, size=9)
    xlsx_append(sheet, [])


def workbook_bytes(
    *, period: ReportPeriod, snapshot: ReportSnapshot, sections: list[dict]
) -> bytes:
    workbook = Workbook()
    cover = workbook.active
    cover.title = _("概要")
    xlsx_append(cover, [_title(period, _("概要"))])
    cover["A1"].font = Font(bold=True, size=14)
    xlsx_append(cover, [_computed_line(snapshot)])
    xlsx_append(cover, [])
    xlsx_append(cover, [_("項目"), period.label, period.previous().label])
    for cell in cover[cover.max_row]:
        cell.font = Font(bold=True)
        cell.fill = _HEADER_FILL
    for row in headline(snapshot.figures):
        xlsx_append(cover, list(row))
    cover.column_dimensions["A"].width = 28
    cover.column_dimensions["B"].width = 16
    cover.column_dimensions["C"].width = 16
    for section in sections:
        sheet = workbook.create_sheet(section["title"].translate(_INVALID_SHEET_CHARS)[:31])
        xlsx_append(sheet, [_title(period, section["title"])])
        sheet["A1"].font = Font(bold=True, size=14)
        xlsx_append(sheet, [_computed_line(snapshot)])
        xlsx_append(sheet, [])
        for table in section["tables"]:
            _write_table(sheet, table)
        widths = {}
        for row in sheet.iter_rows(min_row=4):
            for cell in row:
                if isinstance(cell.value, str) and cell.row > 3:
                    widths[cell.column] = max(widths.get(cell.column, 8), min(len(cell.value), 30))
        for column, width in widths.items():
            sheet.column_dimensions[get_column_letter(column)].width = width * 1.8 + 2
        sheet.column_dimensions["A"].width = 36
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def workbook_export(
    *, period: ReportPeriod, snapshot: ReportSnapshot, sections: list[dict], actor
) -> tuple[str, bytes]:
    """The period's workbook and its file name; the export is audited."""
    content = workbook_bytes(period=period, snapshot=snapshot, sections=sections)
    audit_record(
        actor=actor,
        action="report.export",
        obj=report_year_for(period.fiscal_year),
        changes={"format": "xlsx", "sheets": len(sections), "period": period.query},
    )
    return _("実績報告_%(period)s.xlsx") % {"period": period.label}, content


def table_csv_export(request, *, period: ReportPeriod, table: dict):
    """One table as CSV through the one exporter (UTF-8 with BOM, or Shift_JIS with
    ``?encoding=cp932``), access-logged like every export."""
    columns = [
        Column(header, lambda row, i=index: row[i]) for index, header in enumerate(table["columns"])
    ]
    _format, encoding = export_options(request)
    return export_response(
        request,
        rows=table["rows"],
        columns=columns,
        filename=f"{table['key']}_{period.fiscal_year}",
        format="csv",
        encoding=encoding,
        what="report",
        obj=report_year_for(period.fiscal_year),
        details={"period": period.query, "table": table["key"]},
    )
