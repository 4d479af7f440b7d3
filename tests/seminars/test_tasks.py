import base64
import datetime
from zoneinfo import ZoneInfo

import icalendar
import pytest
import time_machine

from kosha_portal.mail.models import OutboundEmail
from seminars import services
from seminars.ics import registration_ics
from seminars.models import Registration, Seminar
from seminars.tasks import seminar_reminders_send
from tests import timeline

from .factories import SeminarFactory, register

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]
JST = ZoneInfo("Asia/Tokyo")


def _mail(template):
    return OutboundEmail.objects.filter(template=f"seminars/emails/{template}")


def test_reminders_are_sent_once_each_even_when_the_task_runs_twice():
    seminar = SeminarFactory(venue_seats=5, online_seats=5)
    venue, online = register(seminar, 1), register(seminar, 2, fmt="online")
    register(seminar, 3, fmt="online", join_waitlist=True)
    waiting = register(seminar, 4)  # venue is not full: make the list full first
    Seminar.objects.filter(pk=seminar.pk).update(venue_seats=2)
    waiting = register(seminar, 5)
    assert waiting.status == "waiting"

    early = services.reminder_due_at(seminar, services.REMINDER_EARLY)
    # 3 business days before Wednesday 2027-01-06: 01-05, 01-04, then over the year-end closure
    # (12/29-1/3) to Monday 12-28.
    assert early == timeline.jst(2026, 12, 28, 9)
    assert seminar_reminders_send(now=early - datetime.timedelta(minutes=1))["reminders"] == 0
    first = seminar_reminders_send(now=early + datetime.timedelta(hours=1))
    second = seminar_reminders_send(now=early + datetime.timedelta(hours=2))
    assert first["reminders"] == 4 and second["reminders"] == 0
    assert _mail("reminder").count() == 4
    assert not _mail("reminder").filter(to=waiting.email).exists()

    eve = services.reminder_due_at(seminar, services.REMINDER_EVE)
    assert eve == timeline.jst(2027, 1, 5, 9)
    seminar_reminders_send(now=eve + datetime.timedelta(minutes=5))
    seminar_reminders_send(now=eve + datetime.timedelta(minutes=65))
    assert _mail("reminder").count() == 8
    venue_eve = _mail("reminder").filter(to=venue.email, subject__contains="明日").get()
    assert "maps.example.jp/akihabara" in venue_eve.body_text
    assert "SECRET-ONLINE" not in venue_eve.body_text
    online_eve = _mail("reminder").filter(to=online.email, subject__contains="明日").get()
    assert "SECRET-ONLINE-123" in online_eve.body_text


def test_a_registration_confirmed_after_the_due_time_gets_no_stale_reminder():
    seminar = SeminarFactory()
    early = services.reminder_due_at(seminar, services.REMINDER_EARLY)
    late = register(seminar, 1, now=early + datetime.timedelta(minutes=30))
    seminar_reminders_send(now=early + datetime.timedelta(hours=1))
    assert not _mail("reminder").filter(to=late.email).exists()
    assert Registration.objects.get(pk=late.pk).reminder_early_at is not None


def test_thank_you_after_the_seminar_once_with_survey_and_archive():
    seminar = SeminarFactory(archive_url="https://video.example.jp/archive/2")
    attended, absent = register(seminar, 1), register(seminar, 2)
    services.registration_check_in(registration=attended, actor="staff")
    after = seminar.ends_at + datetime.timedelta(hours=3)
    assert seminar_reminders_send(now=after) == {"reminders": 0, "finished": 1, "thanks": 2}
    assert seminar_reminders_send(now=after + datetime.timedelta(hours=1))["thanks"] == 0
    assert Registration.objects.get(pk=absent.pk).status == "no_show"
    thanks = _mail("thanks")
    assert thanks.count() == 2
    body = thanks.get(to=attended.email).body_text
    assert "video.example.jp/archive/2" in body and "/access/" in body
    assert "ご参加いただき" in body


def test_ics_parses_and_carries_asia_tokyo_times():
    seminar = SeminarFactory()
    registration = register(seminar, 1, fmt="online")
    calendar = icalendar.Calendar.from_ical(registration_ics(registration))
    event = next(iter(calendar.walk("VEVENT")))
    start = event["DTSTART"]
    assert start.params["TZID"] == "Asia/Tokyo"
    assert str(start.dt.tzinfo) == "Asia/Tokyo"
    assert start.dt == seminar.starts_at and event["DTEND"].dt == seminar.ends_at
    assert start.dt.utcoffset() == datetime.timedelta(hours=9)
    assert any(tz["TZID"] == "Asia/Tokyo" for tz in calendar.walk("VTIMEZONE"))
    assert "SECRET-ONLINE-123" in str(event["LOCATION"])

    attachment = _mail("confirmation").get(to=registration.email).attachments[0]
    assert attachment["filename"] == "seminar.ics" and attachment["mimetype"] == "text/calendar"
    parsed = icalendar.Calendar.from_ical(base64.b64decode(attachment["content"]))
    assert next(iter(parsed.walk("VEVENT")))["DTSTART"].params["TZID"] == "Asia/Tokyo"


def test_venue_ics_has_the_venue_and_no_online_url():
    seminar = SeminarFactory()
    registration = register(seminar, 1, fmt="venue")
    data = registration_ics(registration).decode()
    assert "SECRET-ONLINE" not in data
    event = next(iter(icalendar.Calendar.from_ical(data).walk("VEVENT")))
    assert "秋葉原庁舎" in str(event["LOCATION"])


BROKEN_FOR_HANAKO1 = (
    '{% if registration.name == "山田 花子1" %}{% include "seminars/emails/does_not_exist.txt" %}'
    "{% endif %}{{ registration.name }} 様"
)


def test_one_failing_reminder_or_thank_you_does_not_drop_the_others(
    broken_templates, settings, caplog
):
    with time_machine.travel(datetime.datetime(2026, 12, 1, 9, 0, tzinfo=JST), tick=False):
        seminar = SeminarFactory(venue_seats=5)
        broken, others = register(seminar, 1), [register(seminar, n) for n in (2, 3)]
        original = settings.TEMPLATES
        broken_templates(
            {
                "seminars/emails/reminder.txt": BROKEN_FOR_HANAKO1,
                "seminars/emails/thanks.txt": BROKEN_FOR_HANAKO1,
            }
        )
        early = services.reminder_due_at(seminar, services.REMINDER_EARLY)
        assert seminar_reminders_send(now=early + datetime.timedelta(minutes=5))["reminders"] == 2
        assert sorted(_mail("reminder").values_list("to", flat=True)) == sorted(
            r.email for r in others
        )
        assert f"seminar registration {broken.pk} reminder early was not written" in caplog.text
        # Its transaction rolled back: the reminder is still due and goes out once fixed.
        assert Registration.objects.get(pk=broken.pk).reminder_early_at is None

        after = seminar.ends_at + datetime.timedelta(hours=3)
        result = seminar_reminders_send(now=after)
        assert result["finished"] == 1 and result["thanks"] == 2
        assert not _mail("thanks").filter(to=broken.email).exists()
        assert Registration.objects.get(pk=broken.pk).thanks_sent_at is None

        settings.TEMPLATES = original
        assert seminar_reminders_send(now=after + datetime.timedelta(hours=1))["thanks"] == 1
        assert _mail("thanks").filter(to=broken.email).count() == 1
        assert broken.email not in caplog.text
