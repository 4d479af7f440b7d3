"""The desk officer's day in Debian's Chromium: log in, land on the desk home, open an overdue
case from it, merge the company's two records choosing the legal name from one and the industry
from the other, and find the chosen values on the record, its consultation and its dispatch;
and the triage list fits a 1280 px screen."""

import datetime
import re

import pytest
from playwright.sync_api import expect

from companies.models import Organisation
from companies.sme import Industry
from consultations.models import Consultation
from dispatch.models import Dispatch
from tests import timeline
from tests.dispatch import factories as dispatch_factories
from tests.factories import OrganisationFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.time_machine(timeline.NOW),
]

NUMBER = "7000012050002"


def _login(page, live_server, browser_login, user):
    """A staff session that passed the password and the second factor (tests/conftest.py); a
    staff login lands on the desk home."""
    browser_login(page, user)
    page.goto(f"{live_server.url}/after-login/")


def _two_records_of_one_company(officer):
    # The company as the desk typed it on the phone: no 法人番号, the right industry.
    typed = OrganisationFactory(
        name="ハナミズキ商店",
        name_kana="",
        corporate_number="",
        industry=Industry.RETAIL,
        address="神田佐久間町1-9",
    )
    # The registry's row, with the legal name and number, its industry left at その他.
    registered = OrganisationFactory(
        name="株式会社ハナミズキ商店",
        name_kana="ハナミズキショウテン",
        corporate_number=NUMBER,
        industry=Industry.OTHER,
        address="神田佐久間町1-9 ハナビル1F",
    )
    consultation = dispatch_factories.consultation(typed, need=None, email="hana@example.jp")
    Consultation.objects.filter(pk=consultation.pk).update(
        assigned_to=officer,
        status=Consultation.Status.IN_PROGRESS,
        reply_by=timeline.NOW.date() - datetime.timedelta(days=2),
    )
    year = dispatch_factories.program_year(2026)
    dispatch = dispatch_factories.applied_dispatch(year, organisation=registered)
    return typed, registered, Consultation.objects.get(pk=consultation.pk), dispatch


def test_desk_home_overdue_case_and_a_merge_that_keeps_the_chosen_values(
    page, live_server, desk_user, artifacts_dir, browser_login
):
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    typed, registered, consultation, dispatch = _two_records_of_one_company(desk_user)

    _login(page, live_server, browser_login, desk_user)
    expect(page).to_have_url(re.compile(r"/admin/$"))
    expect(page.get_by_role("heading", name=re.compile("本日の業務"))).to_be_visible()
    overdue_row = page.locator("#queue-my_overdue")
    expect(overdue_row).to_contain_text("1件")
    page.screenshot(path=str(artifacts_dir / "desk-home.png"), full_page=True)

    my_cases = page.locator("#desk-my-cases")
    expect(my_cases).to_contain_text("期限超過")
    my_cases.get_by_role("link", name=consultation.reference).click()
    expect(page).to_have_url(re.compile(rf"/consultation/{consultation.pk}/change/$"))
    duplicates = page.locator("section[aria-labelledby=panel-duplicates]")
    expect(duplicates).to_contain_text("株式会社ハナミズキ商店")
    duplicates.get_by_role("link", name="2つの記録を比較して統合する").click()

    expect(page.get_by_role("heading", name="事業者の比較・統合")).to_be_visible()
    # Left: the case's record (kept); right: the registry's row. The legal name from the right,
    # the industry from the left.
    page.locator("input[name=pick_name][value=remove]").check()
    page.locator("input[name=pick_industry][value=keep]").check()
    page.locator("input[name=confirm]").check()
    page.screenshot(path=str(artifacts_dir / "desk-merge.png"), full_page=True)
    page.get_by_role("button", name="選んだ値で統合する").click()

    expect(page.locator(".messagelist")).to_contain_text(
        f"事業者ID {registered.pk} を事業者ID {typed.pk} に統合しました"
    )
    expect(page.locator("#id_name")).to_have_value("株式会社ハナミズキ商店")
    expect(page.locator("#id_industry")).to_have_value(Industry.RETAIL)
    expect(page.locator("#id_corporate_number")).to_have_value(NUMBER)
    expect(page.locator(".field-audit_history")).to_contain_text("事業者名は統合元の値を採用")

    page.goto(f"{live_server.url}/admin/consultations/consultation/{consultation.pk}/change/")
    expect(page.locator(".field-organisation_link")).to_contain_text("株式会社ハナミズキ商店")
    expect(page.locator(".field-organisation_link")).to_contain_text(NUMBER)
    page.goto(f"{live_server.url}/admin/dispatch/dispatch/{dispatch.pk}/change/")
    expect(page.locator(".field-organisation")).to_contain_text("株式会社ハナミズキ商店")
    expect(page.locator(".field-eligibility")).to_contain_text("小売業")

    assert not Organisation.objects.filter(pk=registered.pk).exists()
    merged = Organisation.objects.get(pk=typed.pk)
    assert (merged.name, merged.industry, merged.corporate_number) == (
        "株式会社ハナミズキ商店",
        Industry.RETAIL,
        NUMBER,
    )
    assert Dispatch.objects.get(pk=dispatch.pk).organisation_id == merged.pk
    assert Consultation.objects.get(pk=consultation.pk).organisation_id == merged.pk


def test_the_triage_list_fits_1280_pixels(
    page, live_server, desk_user, artifacts_dir, browser_login
):
    page.set_default_timeout(10_000)
    page.set_viewport_size({"width": 1280, "height": 900})
    long_name = "株式会社東京カスタマーサポートサービス ハナミズキ商店 秋葉原本店"
    for n in range(6):
        organisation = OrganisationFactory(name=f"{long_name}{n}")
        consultation = dispatch_factories.consultation(organisation, need=None)
        Consultation.objects.filter(pk=consultation.pk).update(assigned_to=desk_user)
    _login(page, live_server, browser_login, desk_user)
    page.goto(f"{live_server.url}/admin/consultations/consultation/")
    expect(page.locator("#result_list")).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "desk-triage-1280.png"), full_page=True)

    # No sideways scrolling at 1280 px, neither of the page nor of the list inside it, and the
    # company name gets a real column.
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0, overflow
    hidden = page.evaluate(
        "(() => { const r = document.querySelector('.results');"
        " return r.scrollWidth - r.clientWidth; })()"
    )
    assert hidden <= 0, hidden
    cell = page.locator("td.field-organisation_name a").first.bounding_box()
    line = page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('td.field-organisation_name'))"
        ".lineHeight) || 18"
    )
    assert cell["width"] >= 150, cell
    assert cell["height"] <= 4 * line + 16, (cell, line)  # wraps over lines, not characters
    officer = page.locator("td.field-officer_name").first
    expect(officer).to_have_text("窓口 花子")
    # Codes and dates stay on one line each.
    for selector in (
        ".field-reference a",
        ".field-received_display .nowrap",
        ".field-reply_by_display .nowrap",
    ):
        for box in [e.bounding_box() for e in page.locator(selector).all()[:3]]:
            assert box["height"] <= line + 24, (selector, box)
