"""A visitor registers for a 説明会 from the school page and cancels through the personal link
read from the delivered mail (Playwright driving Debian's Chromium)."""

import re

import pytest

from kosha_portal.mail.models import OutboundEmail
from seminars.models import Registration, Seminar
from tests import timeline

from .factories import info_session, recruiting_cohort

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.time_machine(timeline.NOW),
]


def test_a_visitor_registers_for_a_session_from_the_school_page_and_cancels_through_the_link(
    page, live_server, artifacts_dir, settings, delivered_access_link
):
    settings.SITE_URL = live_server.url
    page.set_default_timeout(10_000)
    session = info_session(
        recruiting_cohort(),
        title="第2期 受講説明会",
        format=Seminar.Format.VENUE,
        venue_seats=10,
        online_seats=0,
    )
    page.goto(f"{live_server.url}/school/")
    page.get_by_role("link", name="説明会に申し込む").click()
    page.get_by_role("heading", name="説明会へのお申込み").wait_for()
    page.locator("#id_org_name").fill("株式会社ブラウザ商店")
    page.locator("#id_org_industry").select_option("retail")
    page.locator("#id_name").fill("鈴木 一郎")
    page.locator("#id_name_kana").fill("すずき いちろう")
    page.locator("#id_email").fill("ichiro@example.jp")
    page.locator("#id_consent").check()
    page.get_by_role("button", name="申し込む").click()
    page.get_by_text("ご参加が確定しました").wait_for()
    page.screenshot(path=str(artifacts_dir / "info-session-registered.png"), full_page=True)
    mail = OutboundEmail.objects.get(to="ichiro@example.jp")
    assert mail.subject == "【東京都中小企業振興公社】説明会参加確定のお知らせ"

    page.goto(live_server.url + delivered_access_link("ichiro@example.jp"))
    page.get_by_role("heading", name="説明会のお申込み内容").wait_for()
    assert re.search(r"/school/info-sessions/registrations/\d+/$", page.url)
    page.get_by_role("link", name="お申込みをキャンセルする").click()
    page.get_by_role("button", name="キャンセルする").click()
    page.get_by_text("お申込みをキャンセルしました").wait_for()
    page.screenshot(path=str(artifacts_dir / "info-session-cancelled.png"), full_page=True)
    registration = Registration.objects.get(email="ichiro@example.jp")
    assert registration.seminar_id == session.pk and registration.status == "cancelled"
    assert OutboundEmail.objects.filter(
        to="ichiro@example.jp", template="school/info_sessions/emails/cancelled"
    ).exists()
