"""The school journey in Chromium: a company applies, staff accepts it, the roster shows it."""

import pytest
from playwright.sync_api import expect

from school.models import Application

from .factories import recruiting_cohort

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_apply_accept_and_roster(page, live_server, desk_user, artifacts_dir, browser_login):
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

    browser_login(page, desk_user)  # password and second factor (tests/conftest.py)
    page.goto(f"{live_server.url}/admin/school/application/")
    page.locator(f'input[name="_selected_action"][value="{application.pk}"]').check()
    page.locator('select[name="action"]').select_option("accept")
    page.locator('button[name="index"]').click()
    expect(page.get_by_text("1社を受講決定にしました。")).to_be_visible()

    page.goto(f"{live_server.url}/school/staff/cohorts/{cohort.pk}/roster/")
    row = page.locator("#roster-table tbody tr").first
    expect(row).to_contain_text("株式会社あおば翻訳")
    expect(row).to_contain_text("翻訳／通訳／速記業")  # typed punctuation is kept
    expect(row).to_contain_text("業務部 課長")
    page.screenshot(path=str(artifacts_dir / "school-roster.png"), full_page=True)
    application.refresh_from_db()
    assert (application.status, application.roster_number) == (Application.Status.ACCEPTED, 1)


def test_staff_issues_all_certificates_of_the_first_cohort_in_one_action(
    page, live_server, desk_user, artifacts_dir, browser_login
):
    import io

    from kosha_portal.documents.models import GeneratedDocument
    from school import demo, services
    from school.models import Certificate, Cohort

    demo.load(io.StringIO())  # 第1期 as on the leaflet: 12 companies, 21 participants
    first = Cohort.objects.get(number=1)
    page.set_default_timeout(180_000)  # 19 certificates and the combined PDF render in-process

    browser_login(page, desk_user)  # password and second factor (tests/conftest.py)
    page.goto(f"{live_server.url}/school/staff/cohorts/{first.pk}/certificates/")
    page.get_by_role(
        "button", name="修了基準を満たした全員の修了証を発行する（未発行19名）"
    ).click()
    expect(
        page.get_by_text("19名の修了証を発行しました（発行済み0名を含む全19名分）")
    ).to_be_visible()
    expect(page.get_by_text("修了基準に達していない2名には発行していません。")).to_be_visible()

    assert Certificate.objects.filter(participant__application__cohort=first).count() == 19
    singles = GeneratedDocument.objects.filter(kind=services.CERTIFICATE_KIND)
    assert singles.filter(status=GeneratedDocument.Status.READY).count() == 19
    bundle = GeneratedDocument.objects.get(kind=services.CERTIFICATES_BUNDLE_KIND)
    assert (bundle.status, bundle.page_count) == (GeneratedDocument.Status.READY, 19)

    page.reload()
    link = page.get_by_role("link", name="印刷用PDF（全員分19名・19ページ）")
    expect(link).to_be_visible()
    with page.expect_download() as download:
        link.click()
    assert download.value.suggested_filename == "shuryosho-1-all.pdf"
    expect(page.locator("#participant-" + str(singles.first().object_id))).to_contain_text("修了証")
    page.screenshot(path=str(artifacts_dir / "school-certificates-issued.png"), full_page=True)

    # 第1期 ran from October 2023 to January 2024: its attendance headers carry the years.
    page.goto(f"{live_server.url}/school/staff/cohorts/{first.pk}/attendance/")
    expect(page.locator("thead")).to_contain_text("2023/10/5")
    expect(page.locator("thead")).to_contain_text("2024/1/18")
