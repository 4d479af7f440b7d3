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


PHONE = {"width": 390, "height": 844}


def _no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px phone"


def _visit_cards(page) -> list[str]:
    """The headings of the visit cards on the page, in order (第N回 or a cancelled date)."""
    return [text.strip() for text in page.locator("[data-visit-id] h3").all_inner_texts()]


def test_expert_on_a_phone_schedules_cancels_and_reschedules_and_the_company_is_told(
    browser, live_server, mailoutbox, artifacts_dir, browser_login
):
    year = f.program_year(2026)
    expert = f.expert("佐藤 一郎", password="expert-pass-2026")
    dispatch = f.decided_dispatch(year, the_expert=expert, planned=3)
    sent_before = len(mailoutbox)  # the application and the decision
    phone = browser.new_context(viewport=PHONE, locale="ja-JP", timezone_id="Asia/Tokyo")
    page = phone.new_page()
    browser_login(page, expert.user)  # password and second factor (tests/conftest.py)
    page.goto(f"{live_server.url}/after-login/")
    expect(page).to_have_url(re.compile(r"/dispatch/expert/$"))
    _no_sideways_scroll(page)
    page.get_by_role("link", name=dispatch.reference).click()

    def schedule(day, place=None, url=None):
        page.get_by_label("実施日").fill(day)
        page.get_by_label("開始時刻").fill("14:00")
        if place:
            page.get_by_label("訪問（対面）").check()
            page.get_by_label("実施場所").fill(place)
        else:
            page.get_by_label("オンライン", exact=True).check()
            page.get_by_label("オンライン会議のURL").fill(url)
        page.get_by_role("button", name="日程を登録する").click()

    schedule("2026-12-08", place="本社2階会議室")
    expect(page.get_by_text("第1回の日程を登録し、事業者にお知らせしました。")).to_be_visible()
    schedule("2026-12-15", url="https://meet.example.jp/kosha-d2026-0001-very-long-meeting-id")
    expect(page.get_by_text("第2回の日程を登録し、事業者にお知らせしました。")).to_be_visible()
    assert _visit_cards(page) == ["第1回", "第2回"]
    _no_sideways_scroll(page)
    page.screenshot(
        path=str(artifacts_dir / "dispatch_expert_phone_two_visits.png"), full_page=True
    )

    page.get_by_role("link", name="第1回の日程を取り消す").click()
    expect(
        page.get_by_text("ご担当者に、取消しとその理由をメールでお知らせします。")
    ).to_be_visible()
    expect(
        page.get_by_text("令和8年12月15日(火)の回は、第2回から第1回になります。")
    ).to_be_visible()
    _no_sideways_scroll(page)
    page.get_by_role("button", name="日程を取り消す").click()
    expect(page.get_by_text("理由を入力してください。").first).to_be_visible()
    page.get_by_label("取消しの理由").fill("社長のご都合により延期")
    page.get_by_role("button", name="日程を取り消す").click()
    expect(page.get_by_text("第1回の日程を取り消し、事業者にお知らせしました。")).to_be_visible()
    assert _visit_cards(page) == ["第1回", "令和8年12月8日(火)"]
    expect(page.get_by_text("社長のご都合により延期")).to_be_visible()

    schedule("2026-12-10", place="本社2階会議室")
    expect(page.get_by_text("第1回の日程を登録し、事業者にお知らせしました。")).to_be_visible()
    assert _visit_cards(page) == ["第1回", "第2回", "令和8年12月8日(火)"]
    _no_sideways_scroll(page)
    page.screenshot(
        path=str(artifacts_dir / "dispatch_expert_phone_rescheduled.png"), full_page=True
    )

    to_company = [m for m in mailoutbox[sent_before:] if dispatch.contact_email in m.to]
    assert [m.subject for m in to_company] == [
        "【東京都中小企業振興公社】専門家派遣（第1回・12月8日(火)）のご案内",
        "【東京都中小企業振興公社】専門家派遣（第2回・12月15日(火)）のご案内",
        "【東京都中小企業振興公社】専門家派遣（12月8日(火)）の日程の取消しのお知らせ"
        f"（{dispatch.reference}）",
        "【東京都中小企業振興公社】専門家派遣（第1回・12月10日(木)）のご案内",
    ]
    cancellation = to_company[2]
    assert "取消しの理由：社長のご都合により延期" in cancellation.body
    assert "第1回 令和8年12月15日(火)" in cancellation.body
    link = re.search(r"https?://[^/\s]+(/access/[A-Za-z0-9_-]{20,}/)", cancellation.body).group(1)

    company = browser.new_context(viewport=PHONE, locale="ja-JP").new_page()
    company.goto(f"{live_server.url}{link}")
    expect(company.get_by_role("heading", name="派遣の日程と実施報告")).to_be_visible()
    assert _visit_cards(company) == ["第1回", "第2回", "令和8年12月8日(火)"]
    cards = company.locator("[data-visit-id]")
    expect(cards.nth(0)).to_contain_text("令和8年12月10日(木) 14:00")
    expect(cards.nth(1)).to_contain_text("令和8年12月15日(火) 14:00")
    expect(cards.nth(2)).to_contain_text("社長のご都合により延期")
    _no_sideways_scroll(company)
    company.screenshot(
        path=str(artifacts_dir / "dispatch_company_phone_schedule.png"), full_page=True
    )
    assert Visit.objects.filter(dispatch=dispatch, status=Visit.Status.CANCELLED).count() == 1
