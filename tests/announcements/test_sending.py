"""Sending an announcement: exactly the opted-in addresses its filters pick, nobody who
unsubscribed (also between scheduling and sending), no further mail to an address that bounced,
the composer's count is what is sent, at most 100 messages per SMTP connection, the scheduled
send goes out at its time, and a sender that died is taken over without sending anyone twice."""


import pytest

from announcements import services
from announcements.models import (
    Announcement,
    UnsubscribeMethod,
)
from announcements.selectors import audience_count
from kosha_portal.mail.models import OutboundEmail
from tests import timeline

from .conftest import draft, send_now, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def test_an_announcement_reaches_exactly_the_subscribers_its_filter_picks(smtp_server):
    subscribe("retail-chiyoda@example.jp", industry="retail", municipality="千代田区")
    subscribe("retail-minato@example.jp", industry="retail", municipality="港区")
    subscribe("services-chiyoda@example.jp", industry="services", municipality="千代田区")
    gone = subscribe("retail-gone@example.jp", industry="retail", municipality="千代田区")
    services.subscriber_unsubscribe(
        subscriber=gone, method=UnsubscribeMethod.LINK, actor="company:test"
    )
    announcement = draft(audience_all=False, industries=["retail"], municipalities=["千代田区"])
    assert audience_count(announcement) == 1

    announcement = send_now(announcement)

    assert smtp_server.recipients() == ["retail-chiyoda@example.jp"]
    assert announcement.status == Announcement.Status.SENT
    assert announcement.recipient_count == announcement.expected_recipients == 1


def test_everyone_means_every_active_subscriber_and_the_count_is_what_is_sent(smtp_server):
    addresses = [f"member{n}@example.jp" for n in range(7)]
    for address in addresses:
        subscribe(address)
    announcement = draft(audience_all=True)
    shown = audience_count(announcement)

    announcement = send_now(announcement)

    assert shown == 7 == len(smtp_server.messages)
    assert smtp_server.recipients() == sorted(addresses)
    assert (
        OutboundEmail.objects.filter(status="sent", template__startswith="announcements/").count()
        == 7
    )


def _register(seminar, address, status):
    from seminars.models import Registration
    from tests.factories import OrganisationFactory

    return Registration.objects.create(
        seminar=seminar,
        organisation=OrganisationFactory(),
        name="山田 花子",
        name_kana="ヤマダ ハナコ",
        email=address,
        format="venue",
        status=status,
        privacy_notice_version="2026-04",
        consent_at=timeline.NOW,
    )


def test_past_seminar_participants_and_school_alumni_filters(smtp_server):
    from school.models import Cohort
    from tests.school.factories import ApplicationFactory, CohortFactory, ParticipantFactory
    from tests.seminars.factories import SeminarFactory

    for address in (
        "attended@example.jp",
        "registered@example.jp",
        "alumnus@example.jp",
        "alumna@example.jp",
        "current@example.jp",
    ):
        subscribe(address)
    seminar = SeminarFactory()
    _register(seminar, "attended@example.jp", "attended")
    _register(seminar, "registered@example.jp", "confirmed")
    finished = CohortFactory(status=Cohort.Status.FINISHED)
    application = ApplicationFactory(
        cohort=finished, contact_email="ALUMNUS@example.jp", status="accepted", roster_number=1
    )
    ParticipantFactory(application=application, position=1, email="alumna@example.jp")
    running = CohortFactory(status=Cohort.Status.IN_PROGRESS)
    ApplicationFactory(
        cohort=running, contact_email="current@example.jp", status="accepted", roster_number=1
    )

    seminar_only = draft(audience_all=False, seminar_participants=True)
    alumni_only = draft(audience_all=False, school_alumni=True)
    both = draft(audience_all=False, seminar_participants=True, school_alumni=True)
    assert audience_count(seminar_only) == 1
    assert audience_count(alumni_only) == 2
    assert audience_count(both) == 0  # filters of different kinds must all hold

    send_now(alumni_only)
    assert smtp_server.recipients() == ["alumna@example.jp", "alumnus@example.jp"]
