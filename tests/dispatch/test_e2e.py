"""The main journey in Chromium: the expert files a visit report, the company confirms it through
its personal link, staff download the PDF."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from dispatch import services
from dispatch.models import Visit
from kosha_portal.accounts.services import access_link_issue
from tests import timeline
from tests.dispatch import factories as f

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.time_machine(timeline.NOW),
]


def test_expert_reports_company_confirms_staff_downloads(
    page, live_server, client, desk_user, artifacts_dir, browser_login
):
    year = f.program_year(2026)
    expert = f.expert("佐藤 一郎", password="expert-pass-2026")
    dispatch = f.decided_dispatch(year, the_expert=expert, planned=2)
    visit = services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2026, 11, 16),
        start_time=datetime.time(10),
        mode="onsite",
        place="本社会議室",
        actor="test",
    )

    browser_login(page, expert.user)  # password and second factor (tests/conftest.py)
    page.goto(f"{live_server.url}/after-login/")
    expect(page).to_have_url(re.compile(r"/dispatch/expert/$"))
    page.get_by_role("link", name=dispatch.reference).click()
    page.get_by_role("link", name="実施報告を提出").click()
    page.get_by_label("終了時刻").fill("12:00")
    page.get_by_label("出席者").fill("代表取締役 山田太郎、店長 佐藤花子")
    page.get_by_label("相談内容").fill("長時間の電話での苦情への対応に困っている。")
    page.get_by_label("助言内容").fill("対応時間の上限を30分と定め、上長に交代する手順を作る。")
    page.get_by_role("button", name="実施報告を提出する").click()
    expect(page.get_by_text("第1回の実施報告を提出しました。")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "dispatch_expert_report.png"), full_page=True)

    _link, token = access_link_issue(
        email=dispatch.contact_email, organisation=dispatch.organisation, target=dispatch
    )
    company = page.context.browser.new_context(locale="ja-JP").new_page()
    company.goto(f"{live_server.url}/access/{token}/")
    expect(company.get_by_text("対応時間の上限を30分と定め")).to_be_visible()
    company.get_by_role("button", name="報告内容を確認しました").click()
    expect(company.get_by_text("第1回の実施報告を確認しました。")).to_be_visible()
    expect(company.get_by_text("企業確認済")).to_be_visible()
    company.screenshot(path=str(artifacts_dir / "dispatch_company_confirmed.png"), full_page=True)
    with company.expect_download() as download:
        company.get_by_role("link", name="実施報告書（PDF）をダウンロード").click()
    assert download.value.suggested_filename.endswith(".pdf")

    visit.refresh_from_db()
    assert visit.status == Visit.Status.CONFIRMED
    client.force_login(desk_user)
    response = client.get(f"/dispatch/staff/visits/{visit.pk}/report.pdf")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")
