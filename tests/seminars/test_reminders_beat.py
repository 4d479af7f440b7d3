"""The seminar reminders (3 business days before, and the day before) run by the periodic task at
the times Celery beat runs it (kosha_portal/celery.py), over a frozen week: each reminder reaches
each confirmed registrant exactly once, whenever they were confirmed.

The bug this pins: a seminar the next day whose 2 registrants were confirmed that morning got no
reminder by the evening run, because the day-before reminder was skipped for anyone confirmed
after 9:00 on the day before (the dispatch day-before reminder has no such rule and arrived)."""

import datetime

import pytest

from kosha_portal.celery import app
from kosha_portal.japan.deadlines import JST
from kosha_portal.mail.models import OutboundEmail
from seminars import services
from seminars.models import Registration, Seminar
from seminars.tasks import seminar_reminders_send
from tests import timeline

from .factories import SeminarFactory, register

pytestmark = [pytest.mark.django_db]

WEEK_STARTS = timeline.NOW  # Tue 2026-12-01 10:00
WEEK_ENDS = timeline.jst(2026, 12, 9, 16)  # Wed 2026-12-09 16:00


def beat_times(name: str, start: datetime.datetime, end: datetime.datetime):
    """Every minute in [start, end) at which beat starts the periodic task ``name``: its crontab
    read from the schedule the workers run, in CELERY_TIMEZONE (Asia/Tokyo)."""
    schedule = app.conf.beat_schedule[name]["schedule"]
    assert str(app.conf.timezone) == "Asia/Tokyo"
    moment = start.astimezone(JST).replace(second=0, microsecond=0)
    while moment < end:
        celery_weekday = (moment.weekday() + 1) % 7  # crontab counts from Sunday = 0
        if (
            moment.minute in schedule.minute
            and moment.hour in schedule.hour
            and celery_weekday in schedule.day_of_week
            and moment.day in schedule.day_of_month
            and moment.month in schedule.month_of_year
        ):
            yield moment
        moment += datetime.timedelta(minutes=1)


def reminders_of(registration) -> list[tuple[str, datetime.datetime]]:
    """(kind, JST time written) of every reminder written to ``registration``'s address."""
    rows = OutboundEmail.objects.filter(
        template="seminars/emails/reminder", object_id=str(registration.pk)
    ).order_by("created_at")
    return [
        (row.dedupe_key.split(":")[1].removeprefix("reminder-"), row.created_at) for row in rows
    ]


def at(*args):
    return timeline.jst(*args)


@pytest.mark.time_machine(datetime.datetime(2026, 11, 20, 10, tzinfo=JST), tick=False)
def test_each_reminder_is_sent_exactly_once_at_beats_times_over_a_frozen_week(time_machine):
    ticks = list(beat_times("seminars-reminders", WEEK_STARTS, WEEK_ENDS))
    # Hourly at :05 (8 days and 6 hours of them).
    assert len(ticks) == 8 * 24 + 6 and all(t.minute == 5 for t in ticks)

    # Wed 2026-12-09 14:00: early reminder due Fri 12-04 9:00, day-before Tue 12-08 9:00.
    wednesday = SeminarFactory(
        starts_at=at(2026, 12, 9, 14),
        registration_opens_at=at(2026, 11, 16, 10),
        venue_seats=2,
        online_seats=5,
    )
    a, c = register(wednesday, 1), register(wednesday, 3)
    b = register(wednesday, 2, join_waitlist=True)  # the venue is full: B waits
    assert b.status == Registration.Status.WAITING

    # Thu 2026-12-03 14:00, set up at short notice on Wed 12-02: its registrants sign up
    # that day, after the day-before reminder's 9:00.
    thursday = None
    e = f = None

    def publish_thursday():
        nonlocal thursday
        thursday = SeminarFactory(
            starts_at=at(2026, 12, 3, 14),
            registration_opens_at=at(2026, 12, 2, 8),
            registration_closes_at=at(2026, 12, 3, 12),
            published_at=at(2026, 12, 2, 8),
        )

    def register_e():
        nonlocal e
        e = register(thursday, 5)

    def register_f():
        nonlocal f
        f = register(thursday, 6, fmt="online")

    def online_d():
        return register(wednesday, 4, fmt="online")

    registered = {}
    events = [
        (at(2026, 12, 2, 8), publish_thursday),
        (at(2026, 12, 2, 10, 30), register_e),
        (at(2026, 12, 2, 15, 20), register_f),
        (at(2026, 12, 3, 11), lambda: registered.setdefault("d", online_d())),
        # C cancels on Mon 12-07 13:00: B is promoted after the early reminder fell due.
        (
            at(2026, 12, 7, 13),
            lambda: services.registration_cancel(
                registration=c, reason="都合", actor="test", by_registrant=True
            ),
        ),
    ]
    timeline_ = sorted([(t, "tick", None) for t in ticks] + [(t, "do", fn) for t, fn in events])
    for moment, what, action in timeline_:
        time_machine.move_to(moment)
        if what == "do":
            action()
        else:
            seminar_reminders_send()
            if moment.hour == 12:
                seminar_reminders_send()  # a doubled beat tick changes nothing

    d = registered["d"]
    assert reminders_of(a) == [
        ("early", at(2026, 12, 4, 9, 5)),
        ("eve", at(2026, 12, 8, 9, 5)),
    ]
    assert reminders_of(c) == [("early", at(2026, 12, 4, 9, 5))]  # cancelled afterwards
    assert reminders_of(d) == [
        ("early", at(2026, 12, 4, 9, 5)),
        ("eve", at(2026, 12, 8, 9, 5)),
    ]
    # Promoted after the early reminder was due: the promotion mail, then the day before.
    assert Registration.objects.get(pk=b.pk).status == Registration.Status.CONFIRMED
    assert reminders_of(b) == [("eve", at(2026, 12, 8, 9, 5))]
    # The seminar the next day: both registrants reminded by the evening run, once.
    assert reminders_of(e) == [("eve", at(2026, 12, 2, 11, 5))]
    assert reminders_of(f) == [("eve", at(2026, 12, 2, 16, 5))]
    evening = at(2026, 12, 2, 18, 5)
    assert all(sent <= evening for _kind, sent in reminders_of(e) + reminders_of(f))
    assert Seminar.objects.get(pk=thursday.pk).status == Seminar.Status.FINISHED


@pytest.mark.time_machine(timeline.NOW, tick=False)
def test_no_day_before_reminder_on_the_seminar_day_itself(time_machine):
    seminar = SeminarFactory(
        starts_at=at(2026, 12, 2, 14),
        registration_opens_at=at(2026, 11, 16, 10),
        registration_closes_at=at(2026, 12, 2, 12),
    )
    time_machine.move_to(at(2026, 12, 2, 8))
    late = register(seminar, 1)
    for hour in (8, 9, 10, 11, 12, 13):
        time_machine.move_to(at(2026, 12, 2, hour, 5))
        seminar_reminders_send()
    assert reminders_of(late) == []
    registration = Registration.objects.get(pk=late.pk)
    assert registration.reminder_eve_at is not None  # handled: never sent late


@pytest.mark.time_machine(datetime.datetime(2026, 11, 20, 10, tzinfo=JST), tick=False)
def test_a_postponed_seminar_is_reminded_again_for_its_new_date(time_machine):
    seminar = SeminarFactory(starts_at=at(2026, 12, 3, 14), registration_opens_at=at(2026, 11, 16))
    registration = register(seminar, 1)
    time_machine.move_to(at(2026, 12, 2, 9, 5))
    seminar_reminders_send()
    assert [kind for kind, _t in reminders_of(registration)] == ["eve"]

    Seminar.objects.filter(pk=seminar.pk).update(
        starts_at=at(2026, 12, 10, 14), ends_at=at(2026, 12, 10, 16)
    )
    for moment in (at(2026, 12, 7, 9, 5), at(2026, 12, 9, 9, 5), at(2026, 12, 9, 10, 5)):
        time_machine.move_to(moment)
        seminar_reminders_send()
    assert [kind for kind, _t in reminders_of(registration)] == ["eve", "early", "eve"]
