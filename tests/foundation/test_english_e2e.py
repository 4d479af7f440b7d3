"""The portal in English, in Chromium: Gregorian dates (``6 January 2027``) on the seminar page, in
the confirmation email and its calendar file, and the expert's cancel control reads "Cancel"."""

import datetime
import re

import pytest
from django.conf import settings
from django.urls import reverse
from playwright.sync_api import expect

from dispatch import services as dispatch_services
from kosha_portal.mail.models import OutboundEmail
from tests import timeline
from tests.dispatch import factories as dispatch_factories
from tests.seminars.factories import SeminarFactory

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.time_machine(timeline.NOW),
]

# The seminar of tests/seminars/factories.py: 令和9年1月6日(水) 14:00.
SEMINAR_DAY = "Wed 6 January 2027"


@pytest.fixture
def english(context, live_server):
    context.add_cookies(
        [{"name": settings.LANGUAGE_COOKIE_NAME, "value": "en", "url": live_server.url}]
    )


def test_seminar_page_and_confirmation_email_in_english_show_gregorian_dates(
    english, page, live_server, mail_outbox
):
    seminar = SeminarFactory()
    page.goto(live_server.url + reverse("seminars:detail", args=[seminar.pk]))
    expect(page.locator("main")).to_contain_text(SEMINAR_DAY)
    expect(page.locator("main")).not_to_contain_text("令和")

    page.locator("#id_org_name").fill("株式会社ブラウザ商店")
    page.locator("#id_org_industry").select_option("retail")
    page.locator("#id_name").fill("鈴木 一郎")
    page.locator("#id_name_kana").fill("すずき いちろう")
    page.locator("#id_email").fill("ichiro@example.jp")
    page.locator("input[name=format][value=venue]").check()
    page.locator("#id_consent").check()
    page.locator("form.registration-form button[type=submit]").click()
    expect(page.locator("main")).to_contain_text("Your place is confirmed")

    email = OutboundEmail.objects.get(
        to="ichiro@example.jp", template="seminars/emails/confirmation"
    )
    assert email.language == "en"
    for body in (email.subject, email.body_text, email.body_html):
        assert "令和" not in body and "(水)" not in body
    assert SEMINAR_DAY in email.body_text and SEMINAR_DAY in email.body_html
    delivered = next(m for m in mail_outbox if m.to == ["ichiro@example.jp"])
    ics = next(a for a in delivered.attachments if a[0].endswith(".ics"))[1]
    ics = (ics.decode() if isinstance(ics, bytes) else ics).replace("\r\n ", "")
    description = re.search(r"^DESCRIPTION:(.*)$", ics, re.M).group(1)
    assert SEMINAR_DAY in description and "令和" not in description


def test_expert_cancel_control_reads_cancel_not_cancelled_in_english(
    english, page, live_server, browser_login
):
    year = dispatch_factories.program_year(2026)
    expert = dispatch_factories.expert("佐藤 一郎")
    dispatch = dispatch_factories.decided_dispatch(year, the_expert=expert, planned=2)
    dispatch_services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2026, 12, 8),
        start_time=datetime.time(14),
        mode="onsite",
        place="本社会議室",
        actor="test",
    )
    browser_login(page, expert.user)
    page.goto(live_server.url + reverse("dispatch:expert_dispatch", args=[dispatch.reference]))
    expect(page.locator("main")).to_contain_text("Tue 8 December 2026")
    cancel = page.get_by_role("link", name=re.compile(r"^Cancel\b"))
    expect(cancel).to_have_text("Cancel visit 1")
    expect(page.locator("main")).not_to_contain_text("Cancelled")
    cancel.click()
    expect(page.get_by_role("button", name=re.compile(r"^Cancel\b"))).to_have_text(
        "Cancel the visit"
    )
