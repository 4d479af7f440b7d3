import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dispatch import services
from dispatch.tasks import dispatch_reminders_send
from kosha_portal.mail.models import OutboundEmail
from tests import timeline
from tests.dispatch import factories as f
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]
JST = ZoneInfo("Asia/Tokyo")


def _by_template():
    rows = OutboundEmail.objects.filter(template__contains="reminder").values_list("template", "to")
    return sorted((template.rsplit("/", 1)[1], to) for template, to in rows)


def test_each_reminder_is_written_once_when_the_job_runs_twice(year2026):
    # Tomorrow's visit (business day before 2026-12-01 is 2026-11-30).
    dispatch = f.decided_dispatch(year2026, planned=3)
    tomorrow = services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2026, 12, 1),
        start_time=datetime.time(14),
        mode="onsite",
        place="本社",
        actor="e",
    )
    # A visit held 2026-11-20 whose report is still missing: 5 business days later is 11-30
    # (11-23 is a holiday, weekends skipped).
    services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2026, 11, 20),
        start_time=None,
        mode="online",
        actor="e",
    )
    # A company whose need was confirmed but has not applied.
    waiting = f.consultation(OrganisationFactory(), email="waiting@example.jp")

    today = datetime.date(2026, 11, 30)
    assert services.dispatch_reminders_send(today=datetime.date(2026, 11, 27)) == 0
    first = services.dispatch_reminders_send(today=today)
    assert first == 3
    assert services.dispatch_reminders_send(today=today) == 0
    assert _by_template() == sorted(
        [
            ("reminder_visit", dispatch.contact_email),
            ("reminder_visit", dispatch.expert.email),
            ("reminder_report_overdue", dispatch.expert.email),
        ]
    )
    services.visit_cancel(
        visit=tomorrow, reason="日程変更", actor="e"
    )  # its report would be overdue later on
    # 14 days before the application deadline (2027-01-29) the waiting company is reminded,
    # and the period-ending reminder comes 14 days before 2027-02-26 for unused visits.
    assert services.dispatch_reminders_send(today=datetime.date(2027, 1, 15)) == 1
    assert services.dispatch_reminders_send(today=datetime.date(2027, 1, 15)) == 0
    apply = OutboundEmail.objects.get(template="dispatch/emails/reminder_apply_deadline")
    assert apply.to == waiting.contact_email
    assert "令和9年1月29日(金)" in apply.body_text and "/access/" in apply.body_text
    assert services.dispatch_reminders_send(today=datetime.date(2027, 2, 12)) == 1
    assert services.dispatch_reminders_send(today=datetime.date(2027, 2, 13)) == 0
    ending = OutboundEmail.objects.get(template="dispatch/emails/reminder_period_ending")
    assert ending.to == dispatch.contact_email and "2回分" in ending.body_text


def test_one_failing_reminder_template_does_not_drop_the_other_reminders(
    year2026, broken_templates, settings, caplog
):
    with time_machine.travel(datetime.datetime(2026, 11, 30, 10, 0, tzinfo=JST), tick=False):
        dispatch = f.decided_dispatch(year2026, planned=3)
        services.visit_schedule(
            dispatch=dispatch,
            date=datetime.date(2026, 12, 1),
            start_time=datetime.time(14),
            mode="onsite",
            place="本社",
            actor="e",
        )
        overdue = services.visit_schedule(
            dispatch=dispatch,
            date=datetime.date(2026, 11, 20),
            start_time=None,
            mode="online",
            actor="e",
        )
        original = settings.TEMPLATES
        broken_templates(
            {
                "dispatch/emails/reminder_report_overdue.txt": (
                    '{% include "dispatch/emails/does_not_exist.txt" %}'
                )
            }
        )
        today = datetime.date(2026, 11, 30)
        assert services.dispatch_reminders_send(today=today) == 2
        assert _by_template() == sorted(
            [
                ("reminder_visit", dispatch.contact_email),
                ("reminder_visit", dispatch.expert.email),
            ]
        )
        assert f"dispatch:visit:{overdue.pk}:report-overdue was not written" in caplog.text
        assert "TemplateDoesNotExist" in caplog.text
        assert dispatch.expert.email not in caplog.text

        # Nothing of the failed one was kept, so the next run writes it once the template works.
        settings.TEMPLATES = original
        assert services.dispatch_reminders_send(today=today) == 1
        assert ("reminder_report_overdue", dispatch.expert.email) in _by_template()


def test_celery_task_runs_the_same_job(year2026):
    assert dispatch_reminders_send.apply().get() == 0


def _ended_year_dispatch(year2023, *, visit_on=datetime.date(2024, 2, 20)):
    """A 2023 dispatch decided in its period, with a visit still scheduled (never reported)."""
    dispatch = f.decided_dispatch(year2023, planned=2, decision_date=datetime.date(2023, 11, 1))
    visit = services.visit_schedule(
        dispatch=dispatch, date=visit_on, start_time=None, mode="online", actor="e"
    )
    return dispatch, visit


def test_expiry_task_expires_exactly_the_ended_decided_dispatches_once(year2023, year2026):
    from dispatch.models import Dispatch, Visit
    from dispatch.tasks import dispatches_expire
    from kosha_portal.audit.models import AuditEvent

    ended, scheduled = _ended_year_dispatch(year2023)
    held = services.visit_schedule(
        dispatch=ended, date=datetime.date(2024, 1, 10), start_time=None, mode="online", actor="e"
    )
    services.visit_no_show(visit=held, actor="e")
    completed, visit = _ended_year_dispatch(year2023, visit_on=datetime.date(2024, 1, 15))
    services.visit_no_show(visit=visit, actor="e")
    completed = services.dispatch_complete(
        dispatch=completed, summary="総括", outcomes="", actor="e"
    )
    applied_last_year = f.applied_dispatch(year2023)
    running = f.decided_dispatch(year2026, planned=2)

    assert dispatches_expire.apply().get() == 1
    assert dispatches_expire.apply().get() == 0  # idempotent
    statuses = dict(Dispatch.objects.values_list("pk", "status"))
    assert statuses == {
        ended.pk: Dispatch.Status.EXPIRED,
        completed.pk: Dispatch.Status.COMPLETED,
        applied_last_year.pk: Dispatch.Status.APPLIED,
        running.pk: Dispatch.Status.DECIDED,
    }
    scheduled.refresh_from_db()
    held.refresh_from_db()
    # The visit never reported no longer counts; the one the company missed still does.
    assert scheduled.status == Visit.Status.CANCELLED and scheduled.cancelled_at
    assert held.status == Visit.Status.NO_SHOW
    assert AuditEvent.objects.filter(action="dispatch.expire").count() == 1


def test_expiry_waits_for_the_end_of_the_last_day_of_the_period(year2026):
    dispatch = f.decided_dispatch(year2026, planned=1)
    assert services.dispatches_expire_due(today=datetime.date(2027, 2, 26)) == 0
    assert services.dispatches_expire_due(today=datetime.date(2027, 2, 27)) == 1
    dispatch.refresh_from_db()
    assert dispatch.status == "expired"


def test_period_ending_reminders_take_the_same_queries_for_one_or_many_dispatches(year2026):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def fully_scheduled_dispatch():
        dispatch = f.decided_dispatch(year2026, planned=1)
        visit = services.visit_schedule(
            dispatch=dispatch,
            date=datetime.date(2026, 11, 10),
            start_time=None,
            mode="online",
            actor="e",
        )
        services.visit_no_show(visit=visit, actor="e")

    today = datetime.date(2027, 2, 12)  # 14 days before the period ends on 2027-02-26
    fully_scheduled_dispatch()
    with CaptureQueriesContext(connection) as one:
        assert services.dispatch_reminders_send(today=today) == 0
    for _n in range(3):
        fully_scheduled_dispatch()
    with CaptureQueriesContext(connection) as many:
        assert services.dispatch_reminders_send(today=today) == 0
    assert len(many) == len(one)


def test_celery_expiry_task_is_scheduled_hourly():
    from kosha_portal.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "dispatch.tasks.dispatches_expire" in tasks
