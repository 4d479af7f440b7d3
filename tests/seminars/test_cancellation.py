"""Cancelling a seminar (中止) or a registration: staff confirm on a page that states the
consequences, give a reason (a reason saved beforehand is kept), and everyone affected is told,
with an iCalendar METHOD:CANCEL for the same UID so the event leaves their calendars."""

import base64

import icalendar
import pytest
from django.urls import reverse

from kosha_portal.errors import DomainError
from kosha_portal.mail.models import OutboundEmail
from seminars import services
from seminars.ics import registration_ics
from seminars.models import Registration, Seminar
from tests import timeline

from .factories import SeminarFactory, register

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]

REASON = "講師の急病のため、やむを得ず中止いたします。"


def _calendar(email: OutboundEmail, filename: str) -> icalendar.Calendar:
    attachment = next(a for a in email.attachments if a["filename"] == filename)
    return icalendar.Calendar.from_ical(base64.b64decode(attachment["content"]))


def _event(calendar: icalendar.Calendar):
    return next(iter(calendar.walk("VEVENT")))


def test_seminar_cancellation_mail_carries_the_reason_and_a_calendar_cancel_for_the_same_uid():
    seminar = SeminarFactory(venue_seats=1)
    confirmed, waiting = register(seminar, 1), register(seminar, 2)
    published = _event(icalendar.Calendar.from_ical(registration_ics(confirmed)))

    services.seminar_cancel(seminar=seminar, reason=REASON, actor="staff")

    mail = OutboundEmail.objects.get(
        to=confirmed.email, template="seminars/emails/seminar_cancelled"
    )
    assert REASON in mail.body_text and REASON in mail.body_html
    assert "中止" in mail.subject and f"第{seminar.number}回" in mail.subject
    calendar = _calendar(mail, "seminar-cancelled.ics")
    assert str(calendar["METHOD"]) == "CANCEL"
    event = _event(calendar)
    assert str(event["UID"]) == str(published["UID"]) == confirmed.ics_uid
    assert str(event["STATUS"]) == "CANCELLED"
    assert int(event["SEQUENCE"]) > int(published["SEQUENCE"])
    assert event["DTSTART"].dt == seminar.starts_at
    assert REASON in str(event["DESCRIPTION"])
    attachment = mail.attachments[0]
    assert attachment["mimetype"] == "text/calendar; method=CANCEL"

    # The waiting registrant was never sent the event: told, with nothing to remove.
    told = OutboundEmail.objects.get(to=waiting.email, template="seminars/emails/seminar_cancelled")
    assert REASON in told.body_text and told.attachments == []


def test_the_delivered_cancellation_is_a_text_calendar_part_with_method_cancel(
    mail_outbox, django_capture_on_commit_callbacks
):
    seminar = SeminarFactory()
    confirmed = register(seminar, 1)
    with django_capture_on_commit_callbacks(execute=True):
        services.seminar_cancel(seminar=seminar, reason=REASON, actor="staff")
    message = next(
        m for m in mail_outbox if m.to == [confirmed.email] and "中止" in m.subject
    ).message()
    parts = [p for p in message.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    assert parts[0].get_param("method") == "CANCEL"
    parsed = icalendar.Calendar.from_ical(parts[0].get_payload(decode=True))
    assert str(_event(parsed)["UID"]) == confirmed.ics_uid


def test_a_reason_saved_on_the_seminar_beforehand_is_used_and_kept():
    seminar = SeminarFactory()
    registration = register(seminar, 1)
    Seminar.objects.filter(pk=seminar.pk).update(cancel_reason=REASON)
    services.seminar_cancel(seminar=seminar, reason="", actor="staff")
    seminar.refresh_from_db()
    assert (seminar.status, seminar.cancel_reason) == ("cancelled", REASON)
    mail = OutboundEmail.objects.get(to=registration.email, template__endswith="seminar_cancelled")
    assert REASON in mail.body_text


def test_no_reason_at_all_is_refused():
    seminar = SeminarFactory()
    with pytest.raises(DomainError) as refused:
        services.seminar_cancel(seminar=seminar, reason="  ", actor="staff")
    assert refused.value.code == "reason"
    assert Seminar.objects.get(pk=seminar.pk).status == "published"


def test_the_admin_action_asks_for_confirmation_before_cancelling(desk_client):
    seminar = SeminarFactory(venue_seats=1)
    register(seminar, 1)
    register(seminar, 2)
    Seminar.objects.filter(pk=seminar.pk).update(cancel_reason=REASON)
    url = reverse("admin:seminars_seminar_changelist")
    selected = {"action": "cancel", "_selected_action": [seminar.pk]}

    page = desk_client.post(url, selected)
    html = page.content.decode()
    assert page.status_code == 200 and "セミナーの中止の確認" in html
    assert "元に戻すことはできません" in html
    assert "お知らせを送る方：2名（参加確定1名、キャンセル待ち1名）" in html
    assert REASON in html  # the reason saved just before is filled in, not lost
    assert Seminar.objects.get(pk=seminar.pk).status == "published"
    assert not OutboundEmail.objects.filter(template__endswith="seminar_cancelled").exists()

    refused = desk_client.post(url, {**selected, "post": "yes", f"reason_{seminar.pk}": ""})
    assert "理由を入力してください。" in refused.content.decode()
    assert Seminar.objects.get(pk=seminar.pk).status == "published"

    done = desk_client.post(
        url, {**selected, "post": "yes", f"reason_{seminar.pk}": REASON}, follow=True
    )
    assert "申込者2名に中止のお知らせを送りました" in done.content.decode()
    seminar.refresh_from_db()
    assert (seminar.status, seminar.cancel_reason) == ("cancelled", REASON)
    assert OutboundEmail.objects.filter(template__endswith="seminar_cancelled").count() == 2


def test_the_change_page_links_to_the_confirmation_page(desk_client):
    seminar = SeminarFactory()
    register(seminar, 1)
    change = desk_client.get(reverse("admin:seminars_seminar_change", args=[seminar.pk]))
    cancel_url = reverse("admin:seminars_seminar_cancel", args=[seminar.pk])
    assert cancel_url in change.content.decode()
    assert "このセミナーを中止する" in change.content.decode()
    assert "中止の確認" in desk_client.get(cancel_url).content.decode()
    response = desk_client.post(cancel_url, {"post": "yes", f"reason_{seminar.pk}": REASON})
    assert response.status_code == 302
    assert Seminar.objects.get(pk=seminar.pk).status == "cancelled"
    # Once cancelled there is no button, and the reason registrants were told cannot be edited.
    html = desk_client.get(reverse("admin:seminars_seminar_change", args=[seminar.pk])).content
    assert cancel_url not in html.decode()
    assert 'name="cancel_reason"' not in html.decode()


def test_a_finished_seminar_cannot_be_cancelled_from_the_admin(desk_client):
    seminar = SeminarFactory(status=Seminar.Status.FINISHED)
    page = desk_client.post(
        reverse("admin:seminars_seminar_changelist"),
        {"action": "cancel", "_selected_action": [seminar.pk]},
        follow=True,
    )
    assert "中止できません" in page.content.decode()
    assert Seminar.objects.get(pk=seminar.pk).status == "finished"


def test_staff_cancelling_a_registration_tells_the_registrant_why_with_a_calendar_cancel():
    seminar = SeminarFactory(venue_seats=1)
    confirmed, waiting = register(seminar, 1), register(seminar, 2)
    services.registration_cancel(
        registration=confirmed, reason="重複のお申込みのため", actor="desk"
    )
    mail = OutboundEmail.objects.get(to=confirmed.email, template__endswith="cancelled_by_staff")
    assert "重複のお申込みのため" in mail.body_text and "取消し" in mail.subject
    event = _event(_calendar(mail, "seminar-cancelled.ics"))
    assert str(event["UID"]) == confirmed.ics_uid
    # The freed seat went to the waiting registrant, who got their confirmation and the event.
    assert Registration.objects.get(pk=waiting.pk).status == "confirmed"
    promoted = OutboundEmail.objects.get(to=waiting.email, template__endswith="promoted")
    assert promoted.attachments[0]["filename"] == "seminar.ics"


def test_the_registrants_own_cancellation_is_acknowledged_with_a_calendar_cancel():
    seminar = SeminarFactory()
    registration = register(seminar, 1)
    services.registration_cancel(
        registration=registration,
        reason=services.SELF_CANCEL_REASON,
        actor="company",
        by_registrant=True,
    )
    mail = OutboundEmail.objects.get(to=registration.email, template="seminars/emails/cancelled")
    assert "キャンセルを承りました" in mail.subject
    assert str(_event(_calendar(mail, "seminar-cancelled.ics"))["UID"]) == registration.ics_uid


def test_a_waiting_registrants_cancellation_has_no_calendar_file():
    seminar = SeminarFactory(venue_seats=1)
    register(seminar, 1)
    waiting = register(seminar, 2)
    services.registration_cancel(registration=waiting, reason="都合", actor="desk")
    mail = OutboundEmail.objects.get(to=waiting.email, template__endswith="cancelled_by_staff")
    assert mail.attachments == [] and "都合" in mail.body_text
