import datetime

from celery import shared_task
from django.conf import settings

from kosha_portal import clock
from kosha_portal.mail.services import write_isolated

from .models import Registration, Seminar
from .services import (
    REMINDER_EARLY,
    REMINDER_EVE,
    registration_reminder_send,
    registration_thanks_send,
    registrations_due_for_reminder,
    reminder_due_at,
    seminar_finish,
)


@shared_task(ignore_result=True)
def seminar_reminders_send(now=None) -> dict:
    """Hourly: reminders that are due and not yet handled, closing seminars that have ended,
    and the thank-you after them. Safe to run twice: each step is recorded on its row and every
    email carries a dedupe key. Each step is its own transaction: one that fails is logged and
    retried at the next run, and the others go ahead."""
    now = now or clock.now()
    result = {"reminders": 0, "finished": 0, "thanks": 0}
    upcoming = Seminar.objects.filter(
        status=Seminar.Status.PUBLISHED,
        starts_at__gt=now,
        starts_at__lte=now + datetime.timedelta(days=21),
    )
    for seminar in upcoming:
        # The day-before reminder first: once it is due, it supersedes the earlier one.
        for kind in (REMINDER_EVE, REMINDER_EARLY):
            if reminder_due_at(seminar, kind) > now:
                continue
            for registration_id in list(registrations_due_for_reminder(seminar, kind)):
                result["reminders"] += bool(
                    write_isolated(
                        f"seminar registration {registration_id} reminder {kind}",
                        lambda pk=registration_id, kind=kind: registration_reminder_send(
                            registration_id=pk, kind=kind, now=now
                        ),
                    )
                )
    delay = datetime.timedelta(hours=getattr(settings, "SEMINAR_THANKS_DELAY_HOURS", 2))
    for seminar in Seminar.objects.filter(
        status=Seminar.Status.PUBLISHED, ends_at__lte=now - delay
    ):
        finished = write_isolated(
            f"seminar {seminar.pk} finish",
            lambda seminar=seminar: seminar_finish(seminar=seminar, actor=None, now=now),
        )
        result["finished"] += finished is not None
    ids = Registration.objects.filter(
        seminar__status=Seminar.Status.FINISHED,
        thanks_sent_at__isnull=True,
        status__in=[Registration.Status.ATTENDED, Registration.Status.NO_SHOW],
        seminar__finished_at__gte=now - datetime.timedelta(days=14),
    ).values_list("pk", flat=True)
    for registration_id in list(ids):
        result["thanks"] += bool(
            write_isolated(
                f"seminar registration {registration_id} thanks",
                lambda pk=registration_id: registration_thanks_send(registration_id=pk),
            )
        )
    return result
