"""Main journeys in a real browser (Playwright driving Debian's Chromium)."""

import re

import pytest

from kosha_portal.mail.models import OutboundEmail
from seminars.models import Registration
from tests import timeline

from .factories import SeminarFactory, register

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.time_machine(timeline.NOW),
]


def test_register_find_confirmation_and_cancel_through_the_personal_link(
    page, live_server, artifacts_dir, settings, delivered_access_link
):
    settings.SITE_URL = live_server.url
    page.set_default_timeout(10_000)
    seminar = SeminarFactory(venue_seats=1, online_seats=5)
    page.goto(f"{live_server.url}/seminars/")
    page.get_by_role("link", name=re.compile(seminar.title)).click()
    page.locator("#id_org_name").fill("株式会社ブラウザ商店")
    page.locator("#id_org_industry").select_option("retail")  # required, never preselected
    page.locator("#id_name").fill("鈴木 一郎")
    page.locator("#id_name_kana").fill("すずき いちろう")
    page.locator("#id_email").fill("ichiro@example.jp")
    page.get_by_label("会場で参加").check()
    page.locator("#id_consent").check()
    page.get_by_role("button", name="申し込む").click()
    page.get_by_text("ご参加が確定しました").wait_for()
    page.screenshot(path=str(artifacts_dir / "seminar-registered.png"), full_page=True)

    waiting = register(seminar, 2)  # the venue is now full: the next one waits
    assert waiting.status == "waiting"
    # The confirmation is in the outbox (the delivered copy carries the working link).
    assert OutboundEmail.objects.filter(
        to="ichiro@example.jp", template="seminars/emails/confirmation"
    ).exists()
    page.goto(live_server.url + delivered_access_link("ichiro@example.jp"))
    page.get_by_text("参加確定").first.wait_for()
    page.get_by_role("link", name="お申込みをキャンセルする").click()
    page.get_by_role("button", name="キャンセルする").click()
    page.get_by_text("お申込みをキャンセルしました").wait_for()
    page.screenshot(path=str(artifacts_dir / "seminar-cancelled.png"), full_page=True)
    assert Registration.objects.get(email="ichiro@example.jp").status == "cancelled"
    assert Registration.objects.get(pk=waiting.pk).status == "confirmed"


def test_staff_checks_an_attendee_in_on_a_tablet(page, live_server, artifacts_dir, desk_user):
    page.set_default_timeout(10_000)
    seminar = SeminarFactory(venue_seats=10)
    register(seminar, 1)
    sato = register(seminar, 2, name="佐藤 次郎", name_kana="サトウ ジロウ")
    page.set_viewport_size({"width": 600, "height": 900})
    page.goto(f"{live_server.url}/login/?next=/seminars/{seminar.pk}/checkin/")
    page.get_by_label(re.compile("ユーザー名|ユーザ名|Username", re.I)).fill("desk1")
    page.get_by_label(re.compile("パスワード|Password", re.I)).fill("pw-12345678")
    page.get_by_role("button", name="ログイン", exact=True).click()
    page.get_by_label("氏名・フリガナ・事業者名で検索").fill("さとう")
    page.get_by_role("button", name="検索").click()
    page.get_by_role("button", name="佐藤 次郎 さんを出席にする").click()
    page.get_by_text("佐藤 次郎 さんの出席を記録しました").wait_for()
    assert page.evaluate("document.documentElement.scrollWidth") <= 600
    page.screenshot(path=str(artifacts_dir / "seminar-checkin-tablet.png"), full_page=True)
    assert Registration.objects.get(pk=sato.pk).status == "attended"
