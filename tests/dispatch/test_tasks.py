import datetime

import pytest

from dispatch import services
from dispatch.tasks import dispatch_reminders_send
from kosha_portal.mail.models import OutboundEmail
from tests.dispatch import factories as f
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


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
    services.visit_cancel(visit=tomorrow, actor="e")  # its report would be overdue later on
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


def test_celery_task_runs_the_same_job(year2026):
    assert dispatch_reminders_send.apply().get() == 0
