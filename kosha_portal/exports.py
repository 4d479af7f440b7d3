"""The one exporter: every CSV/XLSX download of the portal is described by a list of ``Column``
specs and answered by ``export_response``, which

- keeps text a spreadsheet would run as a formula (``=HYPERLINK(...)`` typed into a public form)
  as text,
- writes what Excel opens as it is: CSV in UTF-8 with a BOM (or Shift_JIS/cp932 on request) with
  CRLF line ends, or XLSX; codes such as 法人番号, 郵便番号 and phone numbers stay text, so Excel
  neither drops their leading zero nor turns 13 digits into 7.00001E+12,
- and records an access-log event (who, what, how many rows; never a value).

``csv_bytes`` and ``xlsx_append`` remain for files that are not downloads of records (the roster
import template)."""

import csv
import datetime
import decimal
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets
# (OWASP "CSV injection"); tab and carriage return hide such a start from a quick look.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_NUMBERS_AND_DATES = (int, float, decimal.Decimal, datetime.date, datetime.time)
# What a code column may hold for the ="..." text form: digits, dashes, spaces, parentheses.
_CODE = re.compile(r"^[0-9０-９\-－ ()（）]+$")

CSV_ENCODINGS = {"utf-8-sig": "utf-8-sig", "cp932": "cp932"}
FORMATS = ("csv", "xlsx")
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


class ExportError(ValueError):
    """An export was asked for in a format or encoding the portal does not write."""


@dataclass(frozen=True)
class Column:
    """One column of an export: its header, how to get the value from a row, and whether the value
    is a code that must stay text (法人番号, 郵便番号, 電話番号, 番号)."""

    header: Any
    value: Callable[[Any], Any]
    text: bool = False
    width: int | None = None


def spreadsheet_safe(value):
    """``value`` as a cell: numbers and dates as they are, text that would start a formula
    behind a leading apostrophe, ``None`` as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, _NUMBERS_AND_DATES) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _csv_cell(value, *, text: bool):
    if text and value not in (None, ""):
        code = str(value)
        if _CODE.match(code):
            # Excel's own way to open a CSV cell as text: the formula ="0312345678" only ever
            # yields the digits, and the pattern above lets nothing else inside the quotes.
            return f'="{code}"'
    return spreadsheet_safe(value)


def csv_bytes(header: Iterable, rows: Iterable[Iterable], *, encoding: str = "utf-8-sig") -> bytes:
    """A CSV file Excel opens correctly (UTF-8 with BOM, CRLF) with every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(value) for value in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    return _encode(buffer.getvalue(), encoding)


def _encode(text: str, encoding: str) -> bytes:
    if encoding not in CSV_ENCODINGS:
        raise ExportError(encoding)
    # Characters Shift_JIS lacks (some kanji variants, emoji) become "?" rather than failing.
    return text.encode(CSV_ENCODINGS[encoding], errors="replace")


def xlsx_append(sheet, values: Iterable, *, text_columns: Iterable[int] = ()) -> None:
    """Append a row to an openpyxl sheet; text is stored as text, never as a live formula
    (openpyxl makes any string starting with "=" a formula); ``text_columns`` (0-based) are
    codes, stored as text cells formatted as text."""
    text_columns = set(text_columns)
    cells = []
    for index, value in enumerate(values):
        if index in text_columns and value not in (None, ""):
            cells.append(str(value))
        elif value is None or isinstance(value, _NUMBERS_AND_DATES):
            cells.append(value)
        else:
            cells.append(str(value))
    sheet.append(cells)
    for index, cell in enumerate(sheet[sheet.max_row]):
        if index in text_columns:
            cell.number_format = "@"
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
            cell.data_type = "s"
            # Excel's own marker for "typed with a leading apostrophe": shown without it, and
            # editing the cell keeps it text.
            cell.quotePrefix = True


def export_rows_csv(*, rows: Iterable, columns: list[Column], encoding: str = "utf-8-sig"):
    """(bytes, row count) of ``rows`` as CSV."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(str(column.header)) for column in columns])
    count = 0
    for row in rows:
        count += 1
        writer.writerow([_csv_cell(column.value(row), text=column.text) for column in columns])
    return _encode(buffer.getvalue(), encoding), count


def export_rows_xlsx(*, rows: Iterable, columns: list[Column], sheet_title: str = ""):
    """(bytes, row count) of ``rows`` as an XLSX workbook with a bold, frozen header row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    sheet = workbook.active
    if sheet_title:
        sheet.title = re.sub(r"[\[\]:*?/\\]", "", str(sheet_title))[:31] or "Sheet1"
    text_columns = [index for index, column in enumerate(columns) if column.text]
    xlsx_append(sheet, [str(column.header) for column in columns])
    count = 0
    for row in rows:
        count += 1
        xlsx_append(sheet, [column.value(row) for column in columns], text_columns=text_columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(columns, start=1):
        width = column.width or max(10, min(40, len(str(column.header)) * 2 + 2))
        sheet.column_dimensions[get_column_letter(index)].width = width
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue(), count


def export_response(
    request,
    *,
    rows: Iterable,
    columns: list[Column],
    filename: str,
    format: str = "csv",  # noqa: A002 - the word the callers and the query string use
    encoding: str = "utf-8-sig",
    actor=None,
    what: str,
    obj=None,
    details: dict | None = None,
    sheet_title: str = "",
) -> HttpResponse:
    """The download of ``rows`` (``filename`` without extension) as CSV or XLSX, recorded in the
    access log as ``<what>.export`` with the actor, the format and the number of rows.
    ``details`` may add non-personal facts (filter names, a ``public`` flag)."""
    from kosha_portal.audit.services import audit_record

    if format not in FORMATS:
        raise ExportError(format)
    if format == "xlsx":
        content, count = export_rows_xlsx(
            rows=rows, columns=columns, sheet_title=sheet_title or filename
        )
        content_type = XLSX_MIME
    else:
        content, count = export_rows_csv(rows=rows, columns=columns, encoding=encoding)
        charset = "shift_jis" if encoding == "cp932" else "utf-8"
        content_type = f"text/csv; charset={charset}"
    audit_record(
        actor=actor if actor is not None else getattr(request, "user", None),
        action=f"{what}.export",
        obj=obj,
        changes={
            "rows": count,
            "columns": len(columns),
            "format": format,
            **({"encoding": encoding} if format == "csv" else {}),
            **(details or {}),
        },
    )
    response = HttpResponse(content, content_type=content_type)
    name = f"{filename}.{format}"
    ascii_name = re.sub(r"[^A-Za-z0-9._-]", "_", name)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(name)}"
    )
    response["Cache-Control"] = "private, no-store"
    return response


def export_options(request) -> tuple[str, str]:
    """(format, encoding) asked for in the query string (``?format=xlsx``, ``?encoding=cp932``),
    falling back to UTF-8 CSV."""
    format = request.GET.get("format", "csv")  # noqa: A001
    encoding = request.GET.get("encoding", "utf-8-sig")
    return (
        format if format in FORMATS else "csv",
        encoding if encoding in CSV_ENCODINGS else "utf-8-sig",
    )


SEARCH_PARAMETERS = ("q",)


def filters_for_log(querydict, *, exclude=("format", "encoding")) -> str:
    """The list filters an export used, as the access log keeps them: choice filters with their
    codes, a search with ``*`` instead of the words (they can be a name or an address)."""
    parts = []
    for key in sorted(querydict):
        if key in exclude:
            continue
        for value in querydict.getlist(key):
            parts.append(f"{key}=*" if key in SEARCH_PARAMETERS else f"{key}={value}")
    return "&".join(parts)[:500]


EXPORT_FORMAT_LABELS = {
    "csv": _("CSV（UTF-8）"),
    "cp932": _("CSV（Shift_JIS）"),
    "xlsx": _("Excel（xlsx）"),
}
