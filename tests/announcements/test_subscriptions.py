"""Opting in: every public form offers the unticked opt-in and records it per address with the
time, the form, the notice's version and the client address; the subscribe page's double opt-in
records no consent until the emailed link is opened and confirmed, and the link works once."""

import datetime
import re

import pytest
from django.urls import reverse

from announcements import services
from announcements.models import (
    Consent,
    Source,
    Subscriber,
    SubscriptionRequest,
    Suppression,
    UnsubscribeMethod,
)
from kosha_portal.mail.models import OutboundEmail
from tests import timeline
from tests.consultations.conftest import intake_payload
from tests.dispatch import factories as dispatch_factories
from tests.factories import OrganisationFactory
from tests.school.factories import recruiting_cohort
from tests.school.test_views import _form_data as school_form
from tests.seminars.factories import SeminarFactory
from tests.seminars.test_views import form_data as seminar_form

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]

OPT_IN = "公社からのセミナー・支援事業のお知らせをメールで受け取る"
CLIENT = {"REMOTE_ADDR": "198.51.100.23"}


@pytest.fixture(autouse=True)
def _fast_intake(settings):
    settings.CONSULTATION_MIN_FILL_SECONDS = 0


def _opt_in_box(html: str) -> str:
    match = re.search(r'<input[^>]*name="announcement_opt_in"[^>]*>', html)
    assert match, "the form has no opt-in"
    return match.group(0)


def _forms(client, settings):
    seminar = SeminarFactory()
    recruiting_cohort()
    consultation = dispatch_factories.consultation(OrganisationFactory())
    dispatch_factories.program_year(2026)
    from kosha_portal.accounts.services import access_link_issue

    _link, token = access_link_issue(
        email="c@example.jp", organisation=consultation.organisation, target=consultation
    )
    client.get(f"/access/{token}/")
    return {
        "consultation": reverse("consultations:new"),
        "seminar": reverse("seminars:detail", args=[seminar.pk]),
        "school": reverse("school:apply"),
        "dispatch": reverse("dispatch:application_new", args=[consultation.reference]),
    }


def test_every_public_form_offers_the_opt_in_unticked(client, settings):
    for name, url in _forms(client, settings).items():
        html = client.get(url).content.decode()
        assert OPT_IN in html, name
        assert "checked" not in _opt_in_box(html), name


def _submit(client, kind, url, *, email, opt_in):
    extra = {"announcement_opt_in": "on"} if opt_in else {}
    if kind == "consultation":
        data = intake_payload(contact_email=email, **extra)
    elif kind == "seminar":
        data = seminar_form(email=email, **extra)
    elif kind == "school":
        data = school_form(contact_email=email, **extra)
    else:
        data = {
            "contact_name": "山田 太郎",
            "contact_email": email,
            "theme": "マニュアル作成",
            "goals": "手順を整えたい",
            "preferred_mode": "onsite",
            "consent": "on",
            **{f"attest_{code}": "on" for code in dispatch_factories.ALL_YES},
            **extra,
        }
    response = client.post(url, data, **CLIENT)
    assert response.status_code == 302, response.content.decode()[:2000]


@pytest.mark.parametrize(
    ("kind", "source"),
    [
        ("consultation", Source.CONSULTATION),
        ("seminar", Source.SEMINAR),
        ("school", Source.SCHOOL),
        ("dispatch", Source.DISPATCH),
    ],
)
def test_a_ticked_opt_in_is_recorded_with_time_form_version_and_client_address(
    client, settings, kind, source
):
    settings.ANNOUNCEMENT_NOTICE_VERSION = "2026-12-test"
    url = _forms(client, settings)[kind]
    _submit(client, kind, url, email=f"Opt.In.{kind}@Example.jp", opt_in=True)

    subscriber = Subscriber.objects.get()
    assert subscriber.email == f"opt.in.{kind}@example.jp"
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert subscriber.industry  # taken from the form's company
    consent = Consent.objects.get()
    assert consent.subscriber == subscriber
    assert consent.source == source
    assert consent.notice_version == "2026-12-test"
    assert consent.client_ip == "198.51.100.23"
    assert abs(consent.given_at - timeline.NOW) < datetime.timedelta(minutes=1)


@pytest.mark.parametrize("kind", ["consultation", "seminar", "school", "dispatch"])
def test_an_unticked_opt_in_records_nothing(client, settings, kind):
    url = _forms(client, settings)[kind]
    _submit(client, kind, url, email=f"no.{kind}@example.jp", opt_in=False)
    assert not Subscriber.objects.exists() and not Consent.objects.exists()


def test_a_new_opt_in_after_unsubscribing_is_a_new_consent(client):
    subscriber = services.subscription_opt_in(
        email="back@example.jp", source=Source.SEMINAR, client_ip="192.0.2.1"
    )
    services.subscriber_unsubscribe(
        subscriber=subscriber, method=UnsubscribeMethod.LINK, actor="company:x"
    )
    assert Suppression.objects.filter(address_hash=subscriber.email_hash).exists()
    services.subscription_opt_in(
        email="back@example.jp", source=Source.CONSULTATION, client_ip="192.0.2.2"
    )
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert not Suppression.objects.filter(address_hash=subscriber.email_hash).exists()
    assert subscriber.consents.count() == 2


def _confirmation_link(to: str) -> str:
    mail = OutboundEmail.objects.filter(to=to, template="announcements/emails/confirm").latest("pk")
    return re.search(r"https?://[^/\s]+(/announcements/confirm/[A-Za-z0-9_-]+/)", mail.body_text)[1]


def test_double_opt_in_records_no_consent_until_the_link_is_opened_and_it_works_once(client):
    page = client.get(reverse("announcements:subscribe"))
    assert page.status_code == 200 and "お知らせメールについて" in page.content.decode()
    response = client.post(
        reverse("announcements:subscribe"),
        {"email": "Double@Example.jp", "industry": "services", "municipality": "港区"},
        **CLIENT,
    )
    assert response.status_code == 302
    assert not Subscriber.objects.exists() and not Consent.objects.exists()
    link = _confirmation_link("double@example.jp")

    shown = client.get(link)  # opening the page (or a mail scanner fetching it) consents nothing
    assert shown.status_code == 200 and "登録を完了する" in shown.content.decode()
    assert not Consent.objects.exists()

    done = client.post(link, REMOTE_ADDR="203.0.113.9")
    assert "登録が完了しました" in done.content.decode()
    subscriber = Subscriber.objects.get()
    assert (subscriber.email, subscriber.industry, subscriber.municipality) == (
        "double@example.jp",
        "services",
        "港区",
    )
    consent = Consent.objects.get()
    assert consent.source == Source.SUBSCRIBE_PAGE
    assert consent.client_ip == "203.0.113.9"
    assert consent.requested_at <= consent.given_at
    assert abs(consent.requested_at - timeline.NOW) < datetime.timedelta(minutes=1)

    again = client.post(link)
    assert "すでに使われています" in again.content.decode()
    assert Consent.objects.count() == 1


def test_an_expired_confirmation_link_consents_nothing(client, time_machine, settings):
    client.post(reverse("announcements:subscribe"), {"email": "late@example.jp"})
    link = _confirmation_link("late@example.jp")
    time_machine.move_to(
        timeline.NOW + datetime.timedelta(hours=settings.ANNOUNCEMENT_CONFIRM_HOURS, seconds=1)
    )
    assert "有効期限が切れています" in client.post(link).content.decode()
    assert not Subscriber.objects.exists()


def test_the_subscribe_page_answers_the_same_and_sends_at_most_three_mails_a_day(client):
    for _ in range(5):
        response = client.post(reverse("announcements:subscribe"), {"email": "flood@example.jp"})
        assert response.status_code in (302, 429)
    assert SubscriptionRequest.objects.filter(email="flood@example.jp").count() == 3


def test_bad_input_on_the_subscribe_page_is_explained_and_kept(client):
    response = client.post(reverse("announcements:subscribe"), {"email": "not-an-address"})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'value="not-an-address"' in html
    assert "入力内容に不備があります" in html
    assert not SubscriptionRequest.objects.exists()


def test_a_form_opt_in_for_a_bounced_address_asks_for_confirmation_first(client):
    subscriber = services.subscription_opt_in(
        email="dead@example.jp", source=Source.SEMINAR, client_ip="192.0.2.1"
    )
    services.subscriber_bounce(subscriber=subscriber, detail="SMTPRecipientsRefused 550: x")
    services.subscription_opt_in(email="dead@example.jp", source=Source.SCHOOL, client_ip=None)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.BOUNCED
    link = _confirmation_link("dead@example.jp")
    client.post(link)
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
