"""Spreadsheet exports keep what people typed as text: a value starting like a formula is never
run by Excel (CSV: leading apostrophe; XLSX: a text cell, not a formula)."""

import csv
import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook

from kosha_portal.exports import csv_bytes, spreadsheet_safe, xlsx_append

FORMULA = '=HYPERLINK("http://x")'


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (FORMULA, "'" + FORMULA),
        ("+81 3 1234 5678", "'+81 3 1234 5678"),
        ("-1+2", "'-1+2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("山田 花子", "山田 花子"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (-5, -5),
        (3, 3),
    ],
)
def test_spreadsheet_safe(value, expected):
    assert spreadsheet_safe(value) == expected


def test_csv_bytes_has_bom_crlf_and_safe_cells():
    content = csv_bytes(["氏名", "番号"], [[FORMULA, 1], ["山田", None]])
    assert content.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in content
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows == [["氏名", "番号"], ["'" + FORMULA, "1"], ["山田", ""]]


def test_xlsx_append_writes_formula_like_text_as_text():
    workbook = Workbook()
    sheet = workbook.active
    xlsx_append(sheet, ["氏名", "番号", "日付"])
    xlsx_append(sheet, [FORMULA, 7, datetime.date(2026, 4, 1)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    cells = load_workbook(io.BytesIO(buffer.getvalue())).active[2]
    assert cells[0].data_type != "f"
    assert cells[0].value == FORMULA
    assert cells[1].value == 7
    assert cells[2].value.date() == datetime.date(2026, 4, 1)
