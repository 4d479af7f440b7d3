"""The portal in Debian's Chromium: home page in Japanese, English and back, admin login."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_home_language_switch_and_admin_login(
    page, live_server, make_user, artifacts_dir, totp_code
):
    from tests.otp import authenticator_for

    administrator = make_user(
        "e2e-admin", is_staff=True, is_superuser=True, password="e2e-Admin-pass-2026"
    )
    device = authenticator_for(administrator)
    page.set_default_timeout(8000)

    page.goto(live_server.url + "/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page).to_have_title(re.compile("カスタマーハラスメント対策支援"))
    expect(page.locator("main")).to_contain_text("特別相談窓口")
    expect(page.locator("header")).to_contain_text("03-3251-7881")
    # The skip link is the first thing the keyboard reaches.
    page.keyboard.press("Tab")
    expect(page.locator(":focus")).to_have_text("本文へ移動")
    page.screenshot(path=str(artifacts_dir / "foundation-home-ja.png"), full_page=True)

    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("button", name="日本語")).to_be_visible()
    expect(page.get_by_role("button", name="English")).to_have_count(0)
    assert page.url == live_server.url + "/"
    page.screenshot(path=str(artifacts_dir / "foundation-home-en.png"), full_page=True)

    page.get_by_role("button", name="日本語").click()
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("button", name="English")).to_be_visible()

    page.goto(live_server.url + "/admin/")
    expect(page).to_have_url(re.compile(r"/admin/login/"))
    page.fill("input[name=username]", "e2e-admin")
    page.fill("input[name=password]", "e2e-Admin-pass-2026")
    page.screenshot(path=str(artifacts_dir / "foundation-admin-login.png"))
    page.locator("input[type=submit], button[type=submit]").last.click()
    # The second factor: the code of the administrator's authenticator app.
    expect(page).to_have_url(re.compile(r"/login/verify/"))
    page.get_by_label("確認コード").fill(totp_code(device))
    page.get_by_role("button", name="確認する").click()
    expect(page).to_have_url(live_server.url + "/admin/")
    expect(page.locator("#site-name")).to_contain_text("カスハラ対策支援 管理画面")
    expect(page.locator("body")).to_contain_text("送信メール")
    page.screenshot(path=str(artifacts_dir / "foundation-admin-index.png"), full_page=True)
