"""Spreadsheet exports that Excel opens correctly and safely: CSV in UTF-8 with a BOM, XLSX rows,
and text that a spreadsheet would otherwise run as a formula (``=HYPERLINK(...)`` typed into a
public form) kept as text."""

import csv
import datetime
import decimal
import io
from collections.abc import Iterable

# A cell starting with one of these is read as a formula by Excel, LibreOffice and Sheets
# (OWASP "CSV injection"); tab and carriage return hide such a start from a quick look.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")

_NUMBERS_AND_DATES = (int, float, decimal.Decimal, datetime.date, datetime.time)


def spreadsheet_safe(value):
    """``value`` as a cell: numbers and dates as they are, text that would start a formula
    behind a leading apostrophe, ``None`` as an empty cell."""
    if value is None:
        return ""
    if isinstance(value, _NUMBERS_AND_DATES) and not isinstance(value, bool):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def csv_bytes(header: Iterable, rows: Iterable[Iterable]) -> bytes:
    """A CSV file Excel opens correctly (UTF-8 with BOM, CRLF) with every cell made safe."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([spreadsheet_safe(value) for value in header])
    for row in rows:
        writer.writerow([spreadsheet_safe(value) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_append(sheet, values: Iterable) -> None:
    """Append a row to an openpyxl sheet; text is stored as text, never as a live formula
    (openpyxl makes any string starting with "=" a formula)."""
    cells = [
        value if value is None or isinstance(value, _NUMBERS_AND_DATES) else str(value)
        for value in values
    ]
    sheet.append(cells)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith(FORMULA_PREFIXES):
            cell.data_type = "s"
            # Excel's own marker for "typed with a leading apostrophe": shown without it, and
            # editing the cell keeps it text.
            cell.quotePrefix = True
