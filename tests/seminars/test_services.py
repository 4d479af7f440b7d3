import datetime

import pytest

from kosha_portal.audit.services import audit_events_for
from kosha_portal.errors import DomainError
from kosha_portal.mail.models import OutboundEmail
from seminars import services
from seminars.models import Registration, Seminar
from tests import timeline

from .factories import ORG, SeminarFactory, register

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]


def test_seats_then_waiting_list_with_positions():
    seminar = SeminarFactory(venue_seats=2)
    first, second = register(seminar, 1), register(seminar, 2)
    third, fourth = register(seminar, 3), register(seminar, 4)
    assert [r.status for r in (first, second)] == ["confirmed", "confirmed"]
    assert [(r.status, r.waiting_position) for r in (third, fourth)] == [
        ("waiting", 1),
        ("waiting", 2),
    ]
    # Online seats are counted separately.
    assert register(seminar, 5, fmt="online").status == "confirmed"


def test_full_format_without_waitlist_is_refused_politely():
    seminar = SeminarFactory(venue_seats=1)
    register(seminar, 1)
    with pytest.raises(DomainError) as exc:
        register(seminar, 2, join_waitlist=False)
    assert exc.value.code == "full" and exc.value.field == "format"
    assert "キャンセル待ち" in str(exc.value.message)
    assert Registration.objects.count() == 1


def test_cancellation_promotes_exactly_one_waiting_registrant():
    seminar = SeminarFactory(venue_seats=2)
    confirmed = [register(seminar, n) for n in (1, 2)]
    waiting = [register(seminar, n) for n in (3, 4, 5)]
    before = set(OutboundEmail.objects.values_list("pk", flat=True))

    services.registration_cancel(
        registration=confirmed[0], reason="都合", actor="test", by_registrant=True
    )
    new_mail = OutboundEmail.objects.exclude(pk__in=before)

    statuses = dict(Registration.objects.values_list("pk", "status"))
    assert statuses[confirmed[0].pk] == "cancelled"
    assert statuses[waiting[0].pk] == "confirmed"
    assert statuses[waiting[1].pk] == statuses[waiting[2].pk] == "waiting"
    assert Registration.objects.filter(seminar=seminar, status="confirmed").count() == 2
    promoted = Registration.objects.get(pk=waiting[0].pk)
    assert promoted.promoted_at is not None and promoted.waiting_position is None
    subjects = {m.to: m.subject for m in new_mail}
    assert set(subjects) == {confirmed[0].email, waiting[0].email}
    assert "キャンセル待ちから参加確定" in subjects[waiting[0].email]
    assert "キャンセルを承りました" in subjects[confirmed[0].email]
    promotion = new_mail.get(to=waiting[0].email)
    assert promotion.attachments[0]["filename"] == "seminar.ics"


def test_cancelling_a_waiting_registrant_promotes_nobody():
    seminar = SeminarFactory(venue_seats=1)
    register(seminar, 1)
    waiting = [register(seminar, n) for n in (2, 3)]
    services.registration_cancel(registration=waiting[0], reason="都合", actor="test")
    assert Registration.objects.get(pk=waiting[1].pk).status == "waiting"


def test_duplicate_email_is_refused_and_can_register_again_after_cancelling():
    seminar = SeminarFactory()
    first = register(seminar, 1)
    with pytest.raises(DomainError) as exc:
        register(seminar, 1, fmt="online")
    assert exc.value.code == "duplicate" and exc.value.field == "email"
    assert "再送" in str(exc.value.message)
    assert Registration.objects.count() == 1
    services.registration_cancel(registration=first, reason="都合", actor="test")
    assert register(seminar, 1).status == "confirmed"


def test_registration_window_is_exact_to_the_second():
    seminar = SeminarFactory()
    closes = seminar.registration_closes_at
    with pytest.raises(DomainError) as exc:
        register(seminar, 1, now=closes + datetime.timedelta(seconds=1))
    assert exc.value.code == "closed"
    assert register(seminar, 2, now=closes - datetime.timedelta(seconds=1)).status == "confirmed"
    opens = seminar.registration_opens_at
    with pytest.raises(DomainError):
        register(seminar, 3, now=opens - datetime.timedelta(seconds=1))


def test_draft_or_cancelled_seminars_take_no_registrations():
    for status in (Seminar.Status.DRAFT, Seminar.Status.CANCELLED):
        seminar = SeminarFactory(status=status)
        with pytest.raises(DomainError):
            register(seminar, 1)


def test_seats_per_company_counts_the_same_organisation():
    seminar = SeminarFactory(venue_seats=10, seats_per_company=2)
    org = dict(ORG, name="株式会社山田商店", corporate_number="7000012050002")
    register(seminar, 1, org=org)
    register(seminar, 2, org=dict(org, name="(株)山田商店"))
    with pytest.raises(DomainError) as exc:
        register(seminar, 3, org=dict(org, corporate_number="", name="㈱山田商店"))
    assert exc.value.code == "company_limit"
    assert register(seminar, 4, org=dict(ORG, name="株式会社別会社")).status == "confirmed"


def test_seminar_cancel_notifies_everyone_registered():
    seminar = SeminarFactory(venue_seats=1)
    registrations = [register(seminar, n) for n in (1, 2)]
    cancelled = register(seminar, 3, fmt="online")
    services.registration_cancel(registration=cancelled, reason="都合", actor="test")
    before = set(OutboundEmail.objects.values_list("pk", flat=True))
    services.seminar_cancel(seminar=seminar, reason="講師の急病のため", actor="test")
    new_mail = list(OutboundEmail.objects.exclude(pk__in=before))
    assert sorted(m.to for m in new_mail) == sorted(r.email for r in registrations)
    assert all("中止" in m.subject and "講師の急病" in m.body_text for m in new_mail)
    assert all("SECRET-ONLINE" not in m.body_text + m.body_html for m in new_mail)
    with pytest.raises(DomainError):
        services.seminar_cancel(seminar=seminar, reason="重複", actor="test")


def test_seminar_cancel_without_a_reason_is_refused_and_changes_nothing():
    seminar = SeminarFactory(venue_seats=1)
    register(seminar, 1)
    before = OutboundEmail.objects.count()
    with pytest.raises(DomainError) as error:
        services.seminar_cancel(seminar=seminar, reason="  ", actor="test")
    assert error.value.field == "reason"
    seminar.refresh_from_db()
    assert seminar.status == "published" and seminar.cancelled_at is None
    assert OutboundEmail.objects.count() == before


def test_check_in_and_finish_mark_no_shows():
    seminar = SeminarFactory(venue_seats=3)
    a, b = register(seminar, 1), register(seminar, 2)
    services.registration_check_in(registration=a, actor="staff")
    services.registration_check_in(registration=a, actor="staff")  # double tap
    with pytest.raises(DomainError):
        services.seminar_finish(seminar=seminar, actor="staff")  # not ended yet
    services.seminar_finish(
        seminar=seminar, actor="staff", now=seminar.ends_at + datetime.timedelta(minutes=1)
    )
    assert Registration.objects.get(pk=a.pk).status == "attended"
    assert Registration.objects.get(pk=b.pk).status == "no_show"
    services.registration_check_in(registration=b, actor="staff")  # came late
    assert Registration.objects.get(pk=b.pk).status == "attended"


def test_finish_moves_each_registrant_through_the_workflow_and_audits_it():
    seminar = SeminarFactory(venue_seats=1)
    present, absent = register(seminar, 1), register(seminar, 2, fmt="online")
    waiting = register(seminar, 3)
    services.registration_check_in(registration=present, actor="staff")
    ended = seminar.ends_at + datetime.timedelta(minutes=1)
    services.seminar_finish(seminar=seminar, actor="staff", now=ended)
    absent.refresh_from_db()
    waiting.refresh_from_db()
    assert (absent.status, absent.no_show_at) == ("no_show", ended)
    assert (waiting.status, waiting.cancelled_at, waiting.waiting_position) == (
        "cancelled",
        ended,
        None,
    )
    assert audit_events_for(absent).get(action="seminar_registration.no_show").changes == {
        "from": "confirmed",
        "to": "no_show",
    }
    cancel = audit_events_for(waiting).get(action="seminar_registration.cancel")
    assert cancel.changes["reason"] == services.FINISH_WAITLIST_CANCEL_REASON
    assert not audit_events_for(present).filter(action__contains="no_show").exists()
    assert audit_events_for(seminar).get(action="seminar.finish").changes["no_shows"] == 1


def test_undoing_a_check_in_keeps_the_confirmation_time_and_records_why():
    seminar = SeminarFactory()
    registration = register(seminar, 1)
    confirmed_at = registration.confirmed_at
    services.registration_check_in(registration=registration, actor="staff")
    registration = services.registration_check_in_undo(registration=registration, actor="staff")
    assert registration.status == "confirmed" and registration.attended_at is None
    assert Registration.objects.get(pk=registration.pk).confirmed_at == confirmed_at
    event = audit_events_for(registration).get(action="seminar_registration.check_in_undo")
    assert event.changes["reason"] == services.CHECK_IN_UNDO_REASON


def test_refused_transitions():
    seminar = SeminarFactory(venue_seats=1)
    registration = register(seminar, 1)
    services.registration_cancel(registration=registration, reason="都合", actor="test")
    with pytest.raises(DomainError):
        services.registration_check_in(registration=registration, actor="staff")
    with pytest.raises(DomainError):
        services.registration_cancel(registration=registration, reason="都合", actor="test")
    with pytest.raises(DomainError):
        services.seminar_publish(seminar=seminar, actor="staff")  # already published


def test_cancel_after_start_is_refused():
    seminar = SeminarFactory()
    registration = register(seminar, 1)
    with pytest.raises(DomainError) as exc:
        services.registration_cancel(
            registration=registration,
            reason="都合",
            actor="test",
            now=seminar.starts_at + datetime.timedelta(seconds=1),
        )
    assert exc.value.code == "too_late"


def test_confirmation_email_and_waiting_email_contents(
    mail_outbox, django_capture_on_commit_callbacks
):
    seminar = SeminarFactory(online_seats=1, venue_seats=1)
    with django_capture_on_commit_callbacks(execute=True):
        online = register(seminar, 1, fmt="online")
        waiting = register(seminar, 2, fmt="online")
        venue = register(seminar, 3, fmt="venue")
    by_to = {m.to[0]: m for m in mail_outbox}
    confirm = by_to[online.email]
    assert "参加確定" in confirm.subject
    assert "SECRET-ONLINE-123" in confirm.body
    assert "/access/" in confirm.body
    assert confirm.attachments[0][0] == "seminar.ics"
    assert "令和" in confirm.body
    wait = by_to[waiting.email]
    assert "キャンセル待ち" in wait.subject
    assert "SECRET-ONLINE" not in wait.body
    assert all("SECRET-ONLINE" not in str(c) for c, _t in wait.alternatives)
    assert not wait.attachments
    venue_mail = by_to[venue.email]
    assert "SECRET-ONLINE" not in venue_mail.body
    assert "maps.example.jp/akihabara" in venue_mail.body
    assert OutboundEmail.objects.filter(status="sent").count() == 3


def test_survey_only_after_the_seminar_and_once(time_machine):
    seminar = SeminarFactory()
    registration = register(seminar, 1)
    with pytest.raises(DomainError):
        services.survey_submit(
            registration=registration, satisfaction=5, usefulness=4, comment="", actor="x"
        )
    time_machine.move_to(timeline.SEMINAR_STARTS)
    services.registration_check_in(registration=registration, actor="staff")
    time_machine.move_to(timeline.SEMINAR_ENDS + datetime.timedelta(hours=1))
    services.seminar_finish(seminar=seminar, actor="staff")
    services.survey_submit(
        registration=registration, satisfaction=5, usefulness=4, comment="具体的でした", actor="x"
    )
    with pytest.raises(DomainError):
        services.survey_submit(
            registration=registration, satisfaction=1, usefulness=1, comment="", actor="x"
        )
