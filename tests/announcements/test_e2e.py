"""Staff compose and send an announcement in a real browser (Playwright driving Debian's
Chromium), through the confirmation page, and it is in the outbox for each recipient; a visitor
ticks the opt-in on the subscribe page's double opt-in and unsubscribes from the footer link."""

import re

import pytest

from announcements.models import Announcement, Subscriber
from kosha_portal.mail.models import OutboundEmail
from tests import timeline

from .conftest import subscribe

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.time_machine(timeline.NOW),
]


def _login(page, live_server, browser_login, user, next_url):
    """A staff session that passed the password and the second factor (tests/conftest.py)."""
    browser_login(page, user)
    page.goto(f"{live_server.url}{next_url}")


def test_staff_compose_and_send_an_announcement_through_the_confirmation_page(
    page, live_server, artifacts_dir, desk_user, settings, browser_login
):
    settings.ANNOUNCEMENT_RATE_PER_MINUTE = 0
    page.set_default_timeout(15_000)
    addresses = ["kouri1@example.jp", "kouri2@example.jp", "kouri3@example.jp"]
    for address in addresses:
        subscribe(address, industry="retail")
    subscribe("service@example.jp", industry="services")

    _login(page, live_server, browser_login, desk_user, "/admin/announcements/announcement/add/")
    page.locator("#id_subject").fill("小売業向けカスハラ対策セミナーのご案内")
    page.locator("#id_body_text").fill("第3回 現場対応編を1月6日(水)に開催します。")
    page.locator("#id_audience_all").uncheck()
    page.get_by_label("小売業（飲食店を含む）").check()
    page.get_by_role("button", name=re.compile("保存して編集を続ける")).click()
    page.get_by_text("いまの条件の配信先：3件").wait_for()
    page.screenshot(path=str(artifacts_dir / "announcement-draft.png"), full_page=True)

    page.get_by_role("link", name="送信の確認へ進む").click()
    page.get_by_text("3件の配信先に送信します").wait_for()
    page.get_by_label("送信したメールは取り消せないことを確認しました").check()
    page.screenshot(path=str(artifacts_dir / "announcement-confirm.png"), full_page=True)
    page.get_by_role("button", name="送信する").click()
    page.get_by_text("3件への送信を開始しました。").wait_for()

    announcement = Announcement.objects.get()
    assert announcement.status == Announcement.Status.SENT
    rows = OutboundEmail.objects.filter(template="announcements/emails/announcement")
    assert sorted(rows.values_list("to", flat=True)) == addresses
    assert all("List-Unsubscribe" in row.headers for row in rows)

    page.goto(
        f"{live_server.url}/admin/mail/outboundemail/?template=announcements/emails/announcement"
    )
    for address in addresses:
        page.get_by_text(address).first.wait_for()
    page.screenshot(path=str(artifacts_dir / "announcement-outbox.png"), full_page=True)


def test_a_visitor_subscribes_with_double_opt_in_and_unsubscribes_from_the_footer_link(
    page, live_server, artifacts_dir, settings
):
    settings.SITE_URL = live_server.url
    page.set_default_timeout(15_000)
    page.goto(f"{live_server.url}/announcements/")
    page.get_by_label("メールアドレス").fill("visitor@example.jp")
    page.get_by_role("button", name="確認メールを送る").click()
    page.get_by_text("確認メールをお送りしました").first.wait_for()
    assert not Subscriber.objects.exists()

    mail = OutboundEmail.objects.get(to="visitor@example.jp")
    link = re.search(r"https?://\S+/announcements/confirm/\S+/", mail.body_text)[0]
    page.goto(link)
    page.get_by_role("button", name="登録を完了する").click()
    page.get_by_text("登録が完了しました").first.wait_for()
    subscriber = Subscriber.objects.get()

    page.goto(live_server.url + subscriber.unsubscribe_url())
    page.screenshot(path=str(artifacts_dir / "announcement-unsubscribe.png"), full_page=True)
    page.get_by_role("button", name="配信を停止する").click()
    page.get_by_text("配信を停止しました").wait_for()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
