"""Spreadsheet exports keep what people typed as text: a value starting like a formula is never
run by Excel (CSV: leading apostrophe; XLSX: a text cell, not a formula)."""

import csv
import datetime
import io

import pytest
from openpyxl import Workbook, load_workbook

from kosha_portal.exports import csv_bytes, spreadsheet_safe, xlsx_append
from tests import timeline

# Seminar and school factories are open at the suite's fixed date (tests/timeline.py).
pytestmark = pytest.mark.time_machine(timeline.NOW)

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


# --- the one exporter ------------------------------------------------------------------------------


def _rows():
    from types import SimpleNamespace

    return [
        SimpleNamespace(name="山田 花子", number="7000012050002", phone="0312345678", n=3),
        SimpleNamespace(name=FORMULA, number="", phone="=1+1", n=None),
    ]


def _columns():
    from kosha_portal.exports import Column

    return [
        Column("氏名", lambda r: r.name),
        Column("法人番号", lambda r: r.number, text=True),
        Column("電話番号", lambda r: r.phone, text=True),
        Column("人数", lambda r: r.n),
    ]


@pytest.mark.django_db
def test_export_response_writes_excel_csv_keeps_codes_whole_and_logs_the_export(rf, desk_user):
    from kosha_portal.audit.models import AuditEvent
    from kosha_portal.exports import export_response

    request = rf.get("/")
    request.user = desk_user
    response = export_response(
        request, rows=_rows(), columns=_columns(), filename="名簿", what="test_list"
    )
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "filename*=UTF-8''%E5%90%8D%E7%B0%BF.csv" in response["Content-Disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[1] == ["山田 花子", '="7000012050002"', '="0312345678"', "3"]
    assert rows[2] == ["'" + FORMULA, "", "'=1+1", ""]  # a typed formula is never run
    event = AuditEvent.objects.get(action="test_list.export")
    assert event.actor == desk_user
    assert event.changes == {"rows": 2, "columns": 4, "format": "csv", "encoding": "utf-8-sig"}

    sjis = export_response(
        request, rows=_rows(), columns=_columns(), filename="x", what="test_list", encoding="cp932"
    )
    assert sjis["Content-Type"] == "text/csv; charset=shift_jis"
    assert "山田 花子" in sjis.content.decode("cp932")


@pytest.mark.django_db
def test_export_response_xlsx_stores_codes_as_text_cells(rf, desk_user):
    from kosha_portal.exports import export_response

    request = rf.get("/")
    request.user = desk_user
    response = export_response(
        request, rows=_rows(), columns=_columns(), filename="x", what="test_list", format="xlsx"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sheet["B2"].value == "7000012050002" and sheet["B2"].data_type == "s"
    assert sheet["B2"].number_format == "@"
    assert sheet["C2"].value == "0312345678"
    assert sheet["D2"].value == 3
    assert sheet["A3"].value == FORMULA and sheet["A3"].data_type != "f"
    assert sheet["C3"].data_type != "f"


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
def test_every_list_export_is_in_the_access_log(desk_client):
    from kosha_portal.audit.models import AuditEvent
    from tests.school.factories import accepted_application, recruiting_cohort
    from tests.seminars.factories import SeminarFactory, register

    cohort = recruiting_cohort()
    accepted_application(cohort, participants=2)
    seminar = SeminarFactory()
    register(seminar, 1)
    urls = [
        f"/school/staff/cohorts/{cohort.pk}/roster.csv",
        f"/school/staff/cohorts/{cohort.pk}/roster.xlsx",
        f"/school/staff/cohorts/{cohort.pk}/roster.csv?public=1",
        f"/seminars/{seminar.pk}/participants.csv",
        f"/seminars/{seminar.pk}/participants.csv?format=xlsx",
        "/admin/consultations/consultation/export/?q=山田",
        "/admin/consultations/consultation/export/?format=xlsx",
    ]
    for url in urls:
        assert desk_client.get(url).status_code == 200, url
    events = list(AuditEvent.objects.filter(action__endswith=".export").order_by("pk"))
    assert [e.action for e in events] == [
        "school_roster.export",
        "school_roster.export",
        "school_roster.export",
        "seminar_registration.export",
        "seminar_registration.export",
        "consultation.export",
        "consultation.export",
    ]
    assert [e.changes["rows"] for e in events[:5]] == [1, 1, 1, 1, 1]
    assert [e.changes["format"] for e in events] == ["csv", "xlsx", "csv", "csv", "xlsx"] + [
        "csv",
        "xlsx",
    ]
    assert events[2].changes["public"] is True and events[0].object_id == str(cohort.pk)
    assert events[5].changes["filters"] == "q=*"  # the search words are not kept
    assert all(e.actor and e.actor.username == "desk1" for e in events)
