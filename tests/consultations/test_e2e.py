"""The main journey in Debian's Chromium: a company asks, the desk replies in the admin, the
company reads the reply on its status page."""

import re

import pytest
from playwright.sync_api import expect

from consultations.models import Consultation
from kosha_portal.mail.models import OutboundEmail

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_intake_to_reply_journey(
    page, browser, live_server, make_user, artifacts_dir, delivered_access_link, browser_login
):
    page.set_default_timeout(8000)
    page.goto(f"{live_server.url}/consultations/new/")
    expect(page.get_by_role("heading", name="特別相談窓口 ご相談フォーム")).to_be_visible()
    page.fill("[name=org_name]", "株式会社　かもめ雑貨店")
    page.fill("[name=org_name_kana]", "かもめざっかてん")
    page.fill("[name=org_postal_code]", "１０１－００２５")
    page.locator("[name=org_postal_code]").blur()
    expect(page.locator("[name=org_municipality]")).to_have_value("千代田区")
    page.fill("[name=org_address]", "神田佐久間町１－９　秋葉原ビル５Ｆ")
    page.fill("[name=org_phone]", "０３－３２５１－７８８１")
    page.fill("[name=org_main_business]", "雑貨の小売とネット販売")
    page.select_option("[name=org_industry]", "retail")
    page.fill("[name=contact_name]", "鴎　花子")
    page.fill("[name=contact_kana]", "カモメ　ハナコ")
    page.fill("[name=contact_email]", "ｈａｎａｋｏ＠kamome.example.jp")
    page.fill("[name=contact_phone]", "０９０－１２３４－５６７８")
    page.check("input[name=contact_way][value=either]")
    page.check("input[name=places][value=email_chat]")
    page.check("input[name=behaviour_types][value=verbal_abuse]")
    page.check("input[name=requested_support][value=advice]")
    page.fill(
        "[name=description]", "ネット販売で、ささいなことで暴言混じりのクレームが毎日届きます。"
    )
    page.check("[name=privacy_consent]")
    page.screenshot(path=str(artifacts_dir / "consultation-form.png"), full_page=True)
    page.get_by_role("button", name="この内容で相談する").click()

    expect(page.get_by_role("heading", name="ご相談を受け付けました")).to_be_visible()
    reference = page.locator("#reference").inner_text()
    assert re.fullmatch(r"\d{4}-\d{4}", reference)
    consultation = Consultation.objects.get(reference=reference)
    assert consultation.contact_email == "hanako@kamome.example.jp"
    assert consultation.organisation.postal_code == "101-0025"
    assert consultation.contact_phone == "090-1234-5678"

    email = OutboundEmail.objects.get(template="consultations/emails/received")
    assert email.to == "hanako@kamome.example.jp" and reference in email.subject
    page.goto(live_server.url + delivered_access_link("hanako@kamome.example.jp"))
    expect(page.locator("#status")).to_have_text("新規受付")

    desk = make_user("desk-e2e", is_staff=True, role="desk_staff", password="desk-pass-12345")
    staff = browser.new_context(locale="ja-JP")
    admin = staff.new_page()
    admin.set_default_timeout(8000)
    browser_login(admin, desk)  # password and second factor (tests/conftest.py)
    admin.goto(f"{live_server.url}/admin/consultations/consultation/")
    admin.get_by_role("link", name=reference).click()
    admin.fill("#id_reply-body", "ご相談ありがとうございます。対応記録の残し方をご案内します。")
    admin.get_by_role("button", name="回答を送信する").click()
    expect(admin.locator(".messagelist")).to_contain_text("回答を送信しました")
    admin.screenshot(path=str(artifacts_dir / "consultation-admin.png"), full_page=True)
    staff.close()

    page.reload()
    expect(page.locator("#status")).to_have_text("回答済み")
    expect(page.get_by_text("対応記録の残し方をご案内します。")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "consultation-status.png"), full_page=True)
    assert (
        OutboundEmail.objects.filter(
            template="consultations/emails/reply", to="hanako@kamome.example.jp"
        ).count()
        == 1
    )
