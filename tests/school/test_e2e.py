"""The school journey in Chromium: a company applies, staff accepts it, the roster shows it."""

import pytest
from playwright.sync_api import expect

from school.models import Application

from .factories import recruiting_cohort

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_apply_accept_and_roster(page, live_server, desk_user, artifacts_dir):
    cohort = recruiting_cohort(capacity=12)
    page.set_default_timeout(8000)

    page.goto(f"{live_server.url}/school/")
    page.get_by_role("link", name=f"第{cohort.number}期に申し込む").click()
    page.get_by_label("事業者名（会社名・屋号）").fill("株式会社あおば翻訳")
    page.get_by_label("事業者名（フリガナ）").fill("アオバホンヤク")
    page.get_by_label("郵便番号").fill("1010025")
    page.get_by_label("区市町村").fill("千代田区")
    page.get_by_label("町名・番地・建物名").fill("神田佐久間町1-9")
    page.get_by_label("主な事業内容").fill("翻訳／通訳／速記業")
    page.get_by_label("業種区分").select_option("services")  # required, never preselected
    page.locator("#id_contact_name").fill("青葉 次郎")
    page.get_by_label("ご担当者氏名（フリガナ）").fill("アオバ ジロウ")
    page.get_by_label("ご担当者メールアドレス").fill("aoba@example.jp")
    page.get_by_label("ご担当者電話番号").fill("03-3251-0000")
    page.locator("#id_p1_name").fill("林 真理")
    page.get_by_label("参加者1 所属部署").fill("業務部")
    page.get_by_label("参加者1 役職").fill("課長")
    page.get_by_label("何でも紙にする習慣から抜け出せない").check()
    page.get_by_label("「個人情報の取扱いについて」に同意します").check()
    page.screenshot(path=str(artifacts_dir / "school-apply-form.png"), full_page=True)
    page.get_by_role("button", name="申し込む").click()
    expect(page.get_by_role("heading", name="お申込みを受け付けました")).to_be_visible()
    application = Application.objects.get(organisation__name="株式会社あおば翻訳")
    assert application.status == Application.Status.SUBMITTED

    page.goto(f"{live_server.url}/login/")
    page.get_by_label("ユーザー名").fill(desk_user.username)
    page.get_by_label("パスワード").fill("pw-12345678")
    page.get_by_role("button", name="ログイン").click()
    page.goto(f"{live_server.url}/admin/school/application/")
    page.locator(f'input[name="_selected_action"][value="{application.pk}"]').check()
    page.locator('select[name="action"]').select_option("accept")
    page.locator('button[name="index"]').click()
    expect(page.get_by_text("1社を受講決定にしました。")).to_be_visible()

    page.goto(f"{live_server.url}/school/staff/cohorts/{cohort.pk}/roster/")
    row = page.locator("#roster-table tbody tr").first
    expect(row).to_contain_text("株式会社あおば翻訳")
    expect(row).to_contain_text("翻訳/通訳/速記業")
    expect(row).to_contain_text("業務部 課長")
    page.screenshot(path=str(artifacts_dir / "school-roster.png"), full_page=True)
    application.refresh_from_db()
    assert (application.status, application.roster_number) == (Application.Status.ACCEPTED, 1)
