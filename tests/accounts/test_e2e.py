"""The account journey in Debian's Chromium: an administrator invites a desk officer; the officer
opens the invitation mail, sets a password, enrols an authenticator app (the test computes the
codes from the key the page shows), logs out, logs in with password and code, and reaches the
staff landing page (the admin index)."""

import re

import pyotp
import pytest
from playwright.sync_api import expect

from kosha_portal.mail.models import OutboundEmail
from tests import timeline

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

INVITATION = re.compile(r"https?://[^/\s]+(/account/invitation/[A-Za-z0-9_-]{20,}/)")


def test_invited_officer_sets_a_password_enrols_totp_and_logs_in_with_a_code(
    page, browser, live_server, make_user, browser_login, mailoutbox, artifacts_dir, time_machine
):
    time_machine.move_to(timeline.NOW, tick=True)
    page.set_default_timeout(10_000)
    administrator = make_user(
        "kanri", role="administrators", is_staff=True, is_superuser=True, last_name="管理"
    )
    browser_login(page, administrator)

    # The administrator invites a desk officer from the admin's "add" page.
    page.goto(f"{live_server.url}/admin/auth/user/add/")
    page.get_by_role("textbox", name="ユーザー名:").fill("madoguchi")
    page.get_by_role("textbox", name="姓:", exact=True).fill("窓口")
    page.get_by_role("textbox", name="名:", exact=True).fill("花子")
    page.get_by_role("textbox", name="メールアドレス:").fill("madoguchi@tokyo-kosha.example.jp")
    page.get_by_label("窓口担当（公社職員）").check()
    page.screenshot(path=str(artifacts_dir / "accounts-invite.png"), full_page=True)
    page.get_by_role("button", name="アカウントを作り、招待メールを送る").click()
    expect(page.locator(".messagelist")).to_contain_text("招待メールを送りました")

    # The invitation in the outbox holds no working link; the delivered message does.
    outbox = OutboundEmail.objects.get(template="accounts/emails/invitation")
    assert outbox.to == "madoguchi@tokyo-kosha.example.jp" and not INVITATION.search(
        outbox.body_text
    )
    delivered = next(m for m in mailoutbox if "madoguchi@tokyo-kosha.example.jp" in m.to)
    invitation = INVITATION.search(delivered.body).group(1)

    officer = browser.new_context(locale="ja-JP").new_page()
    officer.set_default_timeout(10_000)
    officer.goto(live_server.url + invitation)
    expect(officer.get_by_role("heading", name="パスワードの設定")).to_be_visible()
    officer.locator("[name=new_password1]").fill("Akihabara-5F-desk")
    officer.locator("[name=new_password2]").fill("Akihabara-5F-desk")
    officer.get_by_role("button", name="パスワードを設定する").click()

    # Enrolment: a QR code drawn by the server and the key as text.
    expect(officer.get_by_role("heading", name="認証アプリの登録")).to_be_visible()
    expect(officer.locator(".totp-qr svg")).to_be_visible()
    officer.screenshot(path=str(artifacts_dir / "accounts-enrol.png"), full_page=True)
    totp = pyotp.TOTP(officer.locator("#totp-secret").inner_text().replace(" ", ""))
    officer.locator("[name=code]").fill(totp.now())
    officer.locator("[name=name]").fill("業務用スマートフォン")
    officer.get_by_role("button", name="登録する", exact=True).click()
    expect(officer.get_by_role("heading", name="リカバリーコード")).to_be_visible()
    expect(officer.locator("#recovery-codes li")).to_have_count(10)
    officer.screenshot(path=str(artifacts_dir / "accounts-recovery-codes.png"), full_page=True)
    officer.get_by_role("link", name="保管しました。次へ進む").click()
    expect(officer).to_have_url(live_server.url + "/admin/")

    # Log out, and in again: the password, then the next code of the app.
    officer.get_by_role("button", name=re.compile("ログアウト")).click()
    officer.goto(f"{live_server.url}/login/")
    officer.locator("[name=username]").fill("madoguchi")
    officer.locator("[name=password]").fill("Akihabara-5F-desk")
    officer.get_by_role("button", name="ログイン", exact=True).click()
    expect(officer.get_by_role("heading", name="二段階認証")).to_be_visible()
    time_machine.shift(31)  # the code used at enrolment cannot be used twice: the next one
    officer.locator("[name=code]").fill(totp.now())
    officer.screenshot(path=str(artifacts_dir / "accounts-verify.png"), full_page=True)
    officer.get_by_role("button", name="確認する").click()
    expect(officer).to_have_url(live_server.url + "/admin/")
    expect(officer.locator("#site-name")).to_contain_text("カスハラ対策支援 管理画面")
    officer.screenshot(path=str(artifacts_dir / "accounts-desk-home.png"), full_page=True)
    subjects = [m.subject for m in mailoutbox if "madoguchi@tokyo-kosha.example.jp" in m.to]
    assert any("新しい認証アプリが登録されました" in s for s in subjects)
