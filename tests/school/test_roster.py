"""Roster exports (CSV/XLSX/PDF) for the leaflet's 第1期, and the all-or-nothing import."""

import csv
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook
from pypdf import PdfReader

from kosha_portal.documents.models import GeneratedDocument
from school import demo, roster_io, services
from school.models import Application, Cohort, Participant

from .factories import recruiting_cohort

# The leaflet's table (DOMAIN §6), in its order: main business, participants' departments/roles.
LEAFLET = [
    ("運送業／倉庫業／オンデマンドプリント", "次長、課長"),
    ("紙、プラスチック製品（コースター、ノベルティ等）の製造・販売", "営業部 次長（2名）"),
    ("おしぼりレンタル商社", "取締役、事業所長"),
    ("酒類卸売業", "代表、現場担当者"),
    ("設備工事業／保安点検業", "主任（2名）"),
    ("プラスチック加工業", "業務部 課長代理"),
    ("特殊印刷業務請負等", "新規事業開発部門 現場担当者（2名）"),
    ("ソフトウェア開発業", "管理本部 担当者、事業部 担当者"),
    ("クレープ店経営", "代表、社員"),
    ("翻訳／通訳／速記業", "業務部 課長、現場担当者"),
    ("会計事務所", "担当者"),
    ("不動産賃貸業／不動産コンサルタント業等", "営業担当者"),
]


@pytest.fixture
def demo_cohort(db):
    demo.load(io.StringIO())
    return Cohort.objects.get(number=1)


def test_demo_is_idempotent(demo_cohort):
    demo.load(io.StringIO())
    assert Cohort.objects.filter(number=1).count() == 1
    assert demo_cohort.applications.count() == 12
    assert Participant.objects.filter(application__cohort=demo_cohort).count() == 21
    assert demo_cohort.sessions.count() == 6


def test_csv_export_lists_leaflet_businesses_and_roles_in_order(demo_cohort, desk_client):
    response = desk_client.get(f"/school/staff/cohorts/{demo_cohort.pk}/roster.csv")
    assert response.status_code == 200
    assert response.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["№", "事業者名", "主な事業内容", "参加者の所属・役職", "参加者数"]
    assert [r[0] for r in rows[1:]] == [str(n) for n in range(1, 13)]
    assert [(r[2], r[3]) for r in rows[1:]] == LEAFLET
    assert rows[1][1] == "株式会社東都ロジプリント"


def test_public_csv_has_no_company_names(demo_cohort, desk_client):
    body = desk_client.get(
        f"/school/staff/cohorts/{demo_cohort.pk}/roster.csv?public=1"
    ).content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert [(r[1], r[2]) for r in rows[1:]] == LEAFLET
    assert "東都ロジプリント" not in body


def test_xlsx_export_lists_leaflet_businesses_and_roles_in_order(demo_cohort, desk_client):
    response = desk_client.get(f"/school/staff/cohorts/{demo_cohort.pk}/roster.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:4] == ("№", "事業者名", "主な事業内容", "参加者の所属・役職")
    assert [(v[0], v[2], v[3]) for v in values[1:]] == [
        (n, business, roles) for n, (business, roles) in enumerate(LEAFLET, start=1)
    ]


@pytest.mark.django_db(transaction=True)
def test_roster_pdf_holds_the_table(demo_cohort, desk_client):
    response = desk_client.post(f"/school/staff/cohorts/{demo_cohort.pk}/roster/pdf/")
    assert response.status_code == 302
    document = GeneratedDocument.objects.get(kind=services.ROSTER_KIND)
    assert document.status == GeneratedDocument.Status.READY
    assert document.missing_glyphs == ""
    download = desk_client.get(f"/school/staff/cohorts/{demo_cohort.pk}/documents/{document.uuid}/")
    text = "".join(
        p.extract_text() for p in PdfReader(io.BytesIO(b"".join(download.streaming_content))).pages
    )
    compact = "".join(text.split())
    for business, _roles in LEAFLET:
        assert "".join(business.split())[:8] in compact
    assert "東都ロジプリント" in compact


# --- import ---------------------------------------------------------------------------------------

HEADER = ["№", "事業者名", "主な事業内容", "氏名", "フリガナ", "所属", "役職", "メールアドレス"]
GOOD = [
    [
        "1",
        "株式会社みなと運輸",
        "運送業",
        "青木 一郎",
        "アオキ イチロウ",
        "業務部",
        "課長",
        "aoki@minato.example.jp",
    ],
    ["1", "株式会社みなと運輸", "運送業", "石井 二郎", "イシイ ジロウ", "", "担当者", ""],
    [
        "2",
        "カフェ・ソレイユ",
        "飲食店経営",
        "上田 三郎",
        "ウエダ サブロウ",
        "",
        "代表",
        "ueda@soleil.example.jp",
    ],
]


def _csv_upload(rows, name="roster.csv", encoding="utf-8-sig"):
    buffer = io.StringIO()
    csv.writer(buffer).writerows([HEADER, *rows])
    return SimpleUploadedFile(name, buffer.getvalue().encode(encoding), content_type="text/csv")


def _xlsx_upload(rows):
    workbook = Workbook()
    for row in [HEADER, *rows]:
        workbook.active.append([int(v) if i == 0 and v.isdigit() else v for i, v in enumerate(row)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("roster.xlsx", buffer.getvalue())


@pytest.mark.django_db
@pytest.mark.parametrize("upload", [_csv_upload, _xlsx_upload])
def test_import_good_file_creates_companies_and_participants(upload, desk_client):
    cohort = recruiting_cohort()
    response = desk_client.post(
        f"/school/staff/cohorts/{cohort.pk}/import/", {"file": upload(GOOD)}
    )
    assert response.status_code == 302
    rows = [
        (
            a.roster_number,
            a.organisation.name,
            a.main_business,
            [p.affiliation for p in a.participants.all()],
        )
        for a in cohort.applications.order_by("roster_number")
    ]
    assert rows == [
        (1, "株式会社みなと運輸", "運送業", ["業務部 課長", "担当者"]),
        (2, "カフェ・ソレイユ", "飲食店経営", ["代表"]),
    ]
    assert all(a.status == Application.Status.ACCEPTED for a in cohort.applications.all())


@pytest.mark.django_db
def test_import_with_one_bad_row_reports_it_and_imports_nothing(desk_client):
    cohort = recruiting_cohort()
    bad = [*GOOD, ["3", "株式会社さくら不動産", "不動産賃貸業", "", "", "", "営業担当者", "x"]]
    response = desk_client.post(
        f"/school/staff/cohorts/{cohort.pk}/import/", {"file": _csv_upload(bad)}
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert "1件も取り込んでいません" in html
    block = html.split('id="import-row-errors"', 1)[1].split("</div>", 1)[0]
    assert re.findall(r"<li>(.*?)</li>", block) == [
        "5行目：氏名が空欄です。",
        "5行目：メールアドレスの形式が正しくありません。",
    ]
    assert not Application.objects.exists()
    assert not Participant.objects.exists()


@pytest.mark.django_db
def test_import_validation_catches_conflicts_row_by_row():
    cohort = recruiting_cohort(capacity=2, max_participants_per_company=1)
    rows = roster_io.roster_file_read(
        _csv_upload(
            [
                ["1", "A社", "運送業", "甲", "", "", "課長", ""],
                ["1", "A社", "運送業", "乙", "", "", "係長", ""],  # over 1 per company
                ["2", "B社", "小売業", "丙", "", "", "代表", ""],
                ["2", "C社", "卸売業", "丁", "", "", "代表", ""],  # № 2 is B社
                ["x", "D社", "小売業", "戊", "", "", "代表", ""],  # bad №
                ["4", "E社", "小売業", "己", "ひらがなOK", "", "", ""],  # no dept/role, bad kana
            ]
        )
    )
    _groups, errors = roster_io.roster_rows_validate(cohort=cohort, rows=rows)
    assert errors == [
        (3, "1社の参加者は1名までです。"),
        (5, "№2の事業者名・主な事業内容が前の行と違います。"),
        (6, "№は1〜999の数字で入力してください。"),
        (7, "所属か役職のどちらかを入力してください。"),
        (7, "フリガナはカタカナで入力してください。"),
    ]
    with pytest.raises(services.RosterImportError):
        services.roster_import(cohort=cohort, rows=rows, actor="desk")
    assert not Application.objects.exists()


@pytest.mark.django_db
def test_import_refuses_beyond_capacity_and_bad_header():
    cohort = recruiting_cohort(capacity=1)
    rows = roster_io.roster_file_read(_csv_upload(GOOD))
    with pytest.raises(services.RosterImportError) as error:
        services.roster_import(cohort=cohort, rows=rows, actor="desk")
    assert error.value.errors == [(4, "定員（1社）を超えるため取り込めません。")]
    with pytest.raises(services.DomainError) as header:
        roster_io.roster_file_read(SimpleUploadedFile("x.csv", "名前,会社\n甲,A\n".encode()))
    assert header.value.code == "header"
    with pytest.raises(services.DomainError) as kind:
        roster_io.roster_file_read(SimpleUploadedFile("x.pdf", b"%PDF"))
    assert kind.value.code == "type"


@pytest.mark.django_db
def test_import_reads_shift_jis_csv():
    cohort = recruiting_cohort()
    rows = roster_io.roster_file_read(_csv_upload(GOOD, encoding="cp932"))
    created = services.roster_import(cohort=cohort, rows=rows, actor="desk")
    assert [a.organisation.name for a in created] == ["株式会社みなと運輸", "カフェ・ソレイユ"]


@pytest.mark.django_db
def test_import_keeps_typed_punctuation_and_normalises_codes():
    cohort = recruiting_cohort()
    row = [
        "１",
        "株式会社あおば（本店）",
        "翻訳／通訳／速記業",
        "林 真理",
        "ハヤシ マリ",
        "業務部",
        "課長",
    ]
    rows = roster_io.roster_file_read(_csv_upload([[*row, "ＨＡＹＡＳＨＩ@aoba.example.jp"]]))
    (application,) = services.roster_import(cohort=cohort, rows=rows, actor="desk")
    assert application.roster_number == 1
    assert application.organisation.name == "株式会社あおば（本店）"
    assert application.main_business == "翻訳／通訳／速記業"
    assert application.participants.get().email == "hayashi@aoba.example.jp"


def test_exports_keep_a_formula_like_entry_as_text(db):
    from tests.factories import OrganisationFactory

    from .factories import ParticipantFactory

    formula = '=HYPERLINK("http://x")'
    cohort = recruiting_cohort()
    application = services.Application.objects.create(
        cohort=cohort,
        organisation=OrganisationFactory(name=formula),
        main_business=formula,
        contact_name="山田 太郎",
        contact_email="yamada@example.jp",
        consent_version="2026-04",
    )
    ParticipantFactory(application=application, position=1, department=formula, role="")
    services.application_accept(application=application, actor="test")

    rows = list(csv.reader(io.StringIO(roster_io.roster_csv(cohort).decode("utf-8-sig"))))
    assert rows[1][1:3] == ["'" + formula, "'" + formula]

    sheet = load_workbook(io.BytesIO(roster_io.roster_xlsx(cohort))).active
    for cell in sheet[2][1:4]:
        assert cell.data_type != "f", cell.coordinate
    assert sheet["B2"].value == formula
    assert sheet["C2"].value == formula
