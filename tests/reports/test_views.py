"""The reports page, its exports and the annual PDF, as desk staff see them; and who may not."""

import datetime
import io
import re

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from kosha_portal.accounts.services import access_link_issue
from kosha_portal.audit.models import AuditEvent
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.reports.models import ReportSnapshot

from . import dataset

pytestmark = pytest.mark.django_db

INDEX = "/admin/reports/"


def text_of(response) -> str:
    html = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def test_staff_see_the_year_with_the_previous_one_beside_it(report_data, staff_client):
    response = staff_client.get(INDEX, {"fy": 2026})
    assert response.status_code == 200
    text = text_of(response)
    assert "実績報告 令和8年度" in text
    for title in ("特別相談窓口", "専門家派遣", "セミナー", "東京都サービス生産性革新スクール"):
        assert title in text
    # The monthly table: April 1 consultation in 令和8年度, the 3/31 23:59:59 one in 令和7年度.
    assert re.search(r"月別の相談件数.*?4月 1 0 1", text)
    assert re.search(r"受付経路別の相談件数.*?Webフォーム 2 1 1", text)
    assert re.search(r"瑞穂町 1 0 1", text)
    assert re.search(
        r"行為の類型 令和8年度 割合（％） 令和7年度 増減 時間拘束型 0 0 0 0 リピート型 3 75 0 3",
        text,
    )
    assert 'id="report-charts"' in response.content.decode()
    # Charts and their data travel as JSON, never as inline script.
    assert "<script>" not in response.content.decode()
    assert "前年度（令和7年度）を表示" in text


def test_the_page_shows_stored_figures_and_when_they_were_computed(
    report_data, staff_client, frozen
):
    staff_client.get(INDEX, {"fy": 2026})
    snapshot = ReportSnapshot.objects.get(fiscal_year=2026, month_from=4, month_to=3)
    assert snapshot.computed_at == dataset.NOW
    dataset.consultation(
        dataset.Organisation.objects.first(), datetime.datetime(2026, 5, 1, 10, tzinfo=dataset.JST)
    )
    frozen.shift(datetime.timedelta(minutes=5))
    text = text_of(staff_client.get(INDEX, {"fy": 2026}))
    assert "集計日時：令和9年4月15日(木) 10:00" in text
    assert re.search(r"月別の相談件数.*?5月 0 1 -1", text)  # still the stored figures
    response = staff_client.post(reverse("reports:refresh") + "?fy=2026")
    assert response.status_code == 302
    text = text_of(staff_client.get(INDEX, {"fy": 2026}))
    assert "集計日時：令和9年4月15日(木) 10:05" in text
    assert re.search(r"月別の相談件数.*?5月 1 1 0", text)
    assert AuditEvent.objects.filter(action="report.refresh").count() == 1
    # Older than the maximum age, the figures are computed again on view.
    dataset.consultation(
        dataset.Organisation.objects.first(), datetime.datetime(2026, 5, 2, 10, tzinfo=dataset.JST)
    )
    frozen.shift(datetime.timedelta(minutes=16))
    text = text_of(staff_client.get(INDEX, {"fy": 2026}))
    assert re.search(r"月別の相談件数.*?5月 2 1 1", text)


def test_a_wrong_month_range_is_explained_beside_the_field(report_data, staff_client):
    response = staff_client.get(INDEX, {"fy": 2026, "from": 9, "to": 4})
    assert response.status_code == 200
    text = text_of(response)
    assert "入力内容に不備があります（1件）" in text
    assert "終了月は開始月と同じか、それより後の月（4月〜翌3月の順）を選択してください。" in text
    assert staff_client.get(INDEX, {"fy": 1999}).status_code == 200


def test_the_workbook_read_back_matches_the_figures(report_data, staff_client):
    response = staff_client.get("/admin/reports/2026/workbook.xlsx")
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "概要",
        "特別相談窓口",
        "専門家派遣",
        "セミナー",
        "東京都サービス生産性革新スクール",
    ]
    for sheet in book.worksheets:
        assert "令和8年度" in sheet["A1"].value
    rows = {
        sheet.title: [[cell.value for cell in row] for row in sheet.iter_rows()]
        for sheet in book.worksheets
    }

    def row_after(sheet, title, label):
        values = rows[sheet]
        start = next(i for i, row in enumerate(values) if row[0] == title)
        return next(row for row in values[start:] if row[0] == label)

    assert next(r for r in rows["概要"] if r[0] == "相談件数")[:3] == ["相談件数", 5, 2]
    assert row_after("特別相談窓口", "受付経路別の相談件数", "Webフォーム")[:4] == [
        "Webフォーム",
        2,
        1,
        1,
    ]
    assert row_after("特別相談窓口", "月別の相談件数", "合計")[:4] == ["合計", 5, 2, 3]
    assert row_after("特別相談窓口", "区市町村別の相談件数", "瑞穂町")[:2] == ["瑞穂町", 1]
    assert row_after("特別相談窓口", "相談の概要", "回答期限内に回答した割合（％）")[:3] == [
        "回答期限内に回答した割合（％）",
        50.0,
        100.0,
    ]
    assert row_after("専門家派遣", "派遣申込と結果", "申込件数")[:3] == ["申込件数", 7, 1]
    assert row_after("専門家派遣", "実施回数別の事業者数", "3回")[:2] == ["3回", 1]
    assert row_after("セミナー", "セミナーの概要", "出席")[:3] == ["出席", 3, 1]
    assert row_after("東京都サービス生産性革新スクール", "期別の申込・受講・修了", "第1期")[3] == 4
    # Figures are numbers, not text.
    assert isinstance(row_after("専門家派遣", "派遣申込と結果", "申込件数")[1], int)
    assert AuditEvent.objects.filter(action="report.export", changes__format="xlsx").count() == 1


def test_each_table_downloads_as_csv(report_data, staff_client):
    response = staff_client.get("/admin/reports/2026/tables/consultations_by_channel.csv")
    assert response.status_code == 200
    content = response.content.decode("utf-8")
    assert content.startswith("\ufeff受付経路,令和8年度,令和7年度,増減\r\n")
    assert "Webフォーム,2,1,1\r\n" in content
    assert "合計,5,2,3\r\n" in content
    event = AuditEvent.objects.get(action="report.export", changes__format="csv")
    assert event.changes == {
        "rows": 5,
        "columns": 4,
        "format": "csv",
        "encoding": "utf-8-sig",
        "period": "fy=2026",
        "table": "consultations_by_channel",
    }
    shift_jis = staff_client.get(
        "/admin/reports/2026/tables/consultations_by_channel.csv?encoding=cp932"
    )
    assert shift_jis.content.decode("cp932").startswith("受付経路,令和8年度")
    assert staff_client.get("/admin/reports/2026/tables/nothing.csv").status_code == 404


def test_the_annual_report_pdf_is_rendered_in_a_task_and_downloadable(
    report_data, staff_client, django_capture_on_commit_callbacks
):
    assert staff_client.get("/admin/reports/2026/annual-report.pdf").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = staff_client.post("/admin/reports/2026/annual-report/")
    assert response.status_code == 302
    document = GeneratedDocument.objects.get(kind="reports.annual")
    assert document.status == GeneratedDocument.Status.READY, document.error
    assert document.missing_glyphs == ""
    text = text_of(staff_client.get(INDEX, {"fy": 2026}))
    assert "作成の報告書をダウンロード" in text
    response = staff_client.get("/admin/reports/2026/annual-report.pdf")
    assert response.status_code == 200
    pdf = PdfReader(io.BytesIO(b"".join(response.streaming_content)))
    content = re.sub(r"\s+", "", "".join(page.extract_text() for page in pdf.pages))
    for expected in (
        "カスタマーハラスメント対策に向けた経営支援事業",
        "令和8年度実績報告書",
        "特別相談窓口",
        "専門家派遣",
        "セミナー",
        "東京都サービス生産性革新スクール",
        "相談件数52",  # the cover's totals: 令和8年度 5, 令和7年度 2
        "派遣申込件数71",
        "派遣実施回数52",
    ):
        assert expected in content, expected
    assert len(pdf.pages) >= 5


def test_same_queries_for_10_and_1000_consultations(frozen, db, staff_client):
    from kosha_portal.reports.periods import ReportPeriod
    from kosha_portal.reports.selectors import report_figures

    org = dataset.organisation(
        "株式会社件数", municipality="港区", industry="retail", business="小売"
    )

    def add(n, start):
        for i in range(n):
            dataset.consultation(
                org,
                datetime.datetime(2026, 4, 1, 9, tzinfo=dataset.JST)
                + datetime.timedelta(hours=start + i),
                behaviour_types=["repeat"],
                status="answered",
                answered_at=datetime.datetime(2026, 4, 3, 9, tzinfo=dataset.JST),
            )

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        report_figures(ReportPeriod(2026), now=dataset.NOW)  # warm the content-type cache
        with CaptureQueriesContext(connection) as ctx:
            report_figures(ReportPeriod(2026), now=dataset.NOW)
        ReportSnapshot.objects.all().delete()
        with CaptureQueriesContext(connection) as page:
            assert staff_client.get(INDEX, {"fy": 2026}).status_code == 200
        return len(ctx.captured_queries), len(page.captured_queries)

    add(10, 0)
    with_10 = count()
    add(990, 10)
    with_1000 = count()
    assert with_10 == with_1000


REPORT_URLS = [
    ("get", INDEX),
    ("get", INDEX + "?fy=2026&from=4&to=9"),
    ("post", "/admin/reports/refresh/?fy=2026"),
    ("get", "/admin/reports/2026/workbook.xlsx"),
    ("get", "/admin/reports/2026/tables/consultations_by_channel.csv"),
    ("post", "/admin/reports/2026/annual-report/"),
    ("get", "/admin/reports/2026/annual-report.pdf"),
]


def _denied(response) -> bool:
    if response.status_code == 404:
        return True
    return response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.parametrize(("method", "url"), REPORT_URLS)
def test_anonymous_visitors_never_reach_a_report(client, method, url):
    assert _denied(getattr(client, method)(url))


@pytest.mark.parametrize(("method", "url"), REPORT_URLS)
def test_experts_never_reach_a_report(client, expert_group_user, method, url):
    client.force_login(expert_group_user)
    assert _denied(getattr(client, method)(url))


@pytest.mark.parametrize(("method", "url"), REPORT_URLS)
def test_a_company_personal_link_never_reaches_a_report(client, method, url):
    organisation = dataset.organisation("株式会社リンク", industry="retail", business="小売")
    c = dataset.consultation(organisation, datetime.datetime(2026, 5, 1, tzinfo=dataset.JST))
    _link, token = access_link_issue(email=c.contact_email, organisation=organisation, target=c)
    assert client.get(f"/access/{token}/").status_code == 302
    assert _denied(getattr(client, method)(url))


@pytest.mark.parametrize(("method", "url"), REPORT_URLS)
def test_staff_without_the_reports_permission_get_404(client, make_user, method, url):
    client.force_login(make_user("plain-staff", is_staff=True))
    assert getattr(client, method)(url).status_code == 404


def test_administrators_see_the_reports_and_the_admin_index_links_them(client, admin_user_kosha):
    client.force_login(admin_user_kosha)
    assert client.get(INDEX).status_code == 200
    assert 'href="/admin/reports/"' in client.get("/admin/").content.decode()


def test_desk_staff_find_the_reports_from_the_admin_index(staff_client):
    assert 'href="/admin/reports/"' in staff_client.get("/admin/").content.decode()


def test_no_personal_data_reaches_the_page_or_the_workbook(report_data, staff_client):
    html = staff_client.get(INDEX, {"fy": 2026}).content.decode()
    book = load_workbook(io.BytesIO(staff_client.get("/admin/reports/2026/workbook.xlsx").content))
    cells = " ".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    for text in (html, cells):
        for personal in ("山田 太郎", "受講 花子", "参加 1郎", "@example.jp", "エー食堂"):
            assert personal not in text


def test_the_page_reads_in_english(report_data, staff_client):
    staff_client.cookies["django_language"] = "en"
    text = text_of(staff_client.get(INDEX, {"fy": 2026}, HTTP_ACCEPT_LANGUAGE="en"))
    assert "Program report" in text
    assert "Consultations per month" in text
    assert "Download as Excel (XLSX)" in text
