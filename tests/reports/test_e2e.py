"""Desk staff read the program reports in Chromium: 令和8年度 with its charts drawn and tables,
then the year before, then the workbook."""

import io
import re

import pytest
import time_machine
from openpyxl import load_workbook
from playwright.sync_api import expect

from . import dataset

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

CHART_HAS_PIXELS = """canvas => {
  const chart = window.Chart && window.Chart.getChart(canvas);
  if (!chart || canvas.width === 0 || canvas.height === 0) return false;
  const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) return true; }
  return false;
}"""


def test_staff_read_the_year_switch_to_the_previous_one_and_download_the_workbook(
    page, live_server, desk_user, artifacts_dir, browser_login
):
    with time_machine.travel(dataset.NOW, tick=True):
        dataset.build()
        page.set_default_timeout(10000)
        browser_login(page, desk_user)  # password and second factor (tests/conftest.py)
        page.goto(f"{live_server.url}/after-login/")
        page.get_by_role("link", name="年度ごとの実績（グラフ・Excel・PDF報告書）").click()
        expect(page.get_by_role("heading", name="実績報告 令和9年度")).to_be_visible()

        page.get_by_label("年度", exact=True).select_option(label="令和8年度")
        page.get_by_role("button", name="表示する").click()
        expect(page.get_by_role("heading", name="実績報告 令和8年度")).to_be_visible()
        canvases = page.locator("canvas[id^=chart-]")
        expect(canvases.first).to_be_visible()
        assert canvases.count() >= 8
        for index in range(canvases.count()):
            assert canvases.nth(index).evaluate(CHART_HAS_PIXELS), index
        monthly = page.locator("#consultations_by_month table")
        expect(monthly.locator("tbody tr").first).to_contain_text("4月")
        expect(monthly.locator("tbody tr").last).to_contain_text("合計")
        expect(monthly.locator("tbody tr").last.locator("td").first).to_have_text("5")
        expect(page.locator("#dispatch_summary")).to_contain_text("派遣決定")
        page.screenshot(path=str(artifacts_dir / "reports_r8.png"), full_page=True)

        page.get_by_role("link", name="前年度（令和7年度）を表示").click()
        expect(page.get_by_role("heading", name="実績報告 令和7年度")).to_be_visible()
        expect(
            page.locator("#consultations_by_month tbody tr").last.locator("td").first
        ).to_have_text("2")
        assert page.locator("canvas#chart-consultations_by_month").evaluate(CHART_HAS_PIXELS)

        with page.expect_download() as download:
            page.get_by_role("link", name="Excel（XLSX）でダウンロード").click()
        assert re.search(r"令和7年度\.xlsx$", download.value.suggested_filename)
        with open(download.value.path(), "rb") as file:
            book = load_workbook(io.BytesIO(file.read()))
        assert book["概要"]["A1"].value == "令和7年度 実績報告 概要"
        assert [r[:3] for r in book["概要"].iter_rows(values_only=True) if r[0] == "相談件数"] == [
            ("相談件数", 2, 0)
        ]
