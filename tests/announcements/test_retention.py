"""Subscribers are personal data: an unsubscribed or bounced address and its consents stay
RETENTION_ANNOUNCEMENT_SUBSCRIBER_DAYS, then only the keyed hash in the suppression list is
left (and it still stops a send); an active subscriber is kept; requests never confirmed go.
A disclosure request finds the subscriber with every consent; an erasure removes them."""

import datetime

import pytest
from django.db import transaction

from announcements import services
from announcements.models import (
    Consent,
    Source,
    Subscriber,
    SubscriptionRequest,
    Suppression,
    UnsubscribeMethod,
    address_hash,
)
from announcements.selectors import audience_count
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.privacy.services import Person, privacy_erase, privacy_search
from kosha_portal.retention import retention_sweep
from tests import timeline

from .conftest import draft, subscribe

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]


def test_an_unsubscribed_address_is_kept_for_its_period_then_only_as_a_hash(time_machine, settings):
    settings.RETENTION_ANNOUNCEMENT_SUBSCRIBER_DAYS = 60
    gone = subscribe("gone@example.jp")
    stays = subscribe("stays@example.jp")
    services.subscriber_unsubscribe(
        subscriber=gone, method=UnsubscribeMethod.LINK, actor="company:x"
    )
    time_machine.move_to(timeline.NOW + datetime.timedelta(days=59))
    assert retention_sweep()["announcement_subscribers"] == 0
    assert Subscriber.objects.filter(email="gone@example.jp").exists()

    time_machine.move_to(timeline.NOW + datetime.timedelta(days=61))
    assert retention_sweep()["announcement_subscribers"] == 1
    assert not Subscriber.objects.filter(email="gone@example.jp").exists()
    assert not Consent.objects.filter(subscriber_id=gone.pk).exists()
    assert Suppression.objects.filter(address_hash=address_hash("gone@example.jp")).exists()
    assert Subscriber.objects.filter(pk=stays.pk, status="active").exists()
    assert retention_sweep()["announcement_subscribers"] == 0


def test_the_hash_alone_still_keeps_an_address_out_of_the_audience(settings):
    subscriber = subscribe("hash-only@example.jp")
    Suppression.objects.create(
        address_hash=subscriber.email_hash, reason="unsubscribed", created_at=timeline.NOW
    )
    assert audience_count(draft()) == 0


def test_a_request_never_confirmed_goes_after_its_expiry(time_machine, settings):
    settings.RETENTION_ANNOUNCEMENT_REQUEST_DAYS = 7
    with transaction.atomic():
        services.subscription_request_create(email="pending@example.jp", client_ip="192.0.2.5")
    mail = OutboundEmail.objects.get(to="pending@example.jp")
    time_machine.move_to(timeline.NOW + datetime.timedelta(days=8))
    assert retention_sweep()["announcement_requests"] == 0  # expired 6 days ago only
    time_machine.move_to(timeline.NOW + datetime.timedelta(days=10))
    assert retention_sweep()["announcement_requests"] == 1
    assert not SubscriptionRequest.objects.exists()
    mail.refresh_from_db()
    assert mail.to == "" and mail.body_text == ""


def test_a_disclosure_request_finds_the_subscriber_and_an_erasure_removes_them(
    admin_user_kosha,
):
    subscriber = services.subscription_opt_in(
        email="person@example.jp", source=Source.CONSULTATION, client_ip="192.0.2.77"
    )
    person = Person.of(email="Person@Example.jp")
    request, findings = privacy_search(person=person, actor=admin_user_kosha)
    (item,) = findings.objects("announcement_subscribers")
    assert item.obj == subscriber
    consents = next(v for k, v in item.data.items() if k == "受信の同意")
    assert consents[0]["送信元IPアドレス"] == "192.0.2.77"
    assert item.keep_reason

    erased = privacy_erase(
        request=request, person=person, reason="窓口で本人確認のうえ受付", actor=admin_user_kosha
    )
    assert erased["announcement_subscribers"] == 1
    assert not Subscriber.objects.exists() and not Consent.objects.exists()
    assert Suppression.objects.filter(address_hash=address_hash("person@example.jp")).exists()
