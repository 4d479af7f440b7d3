"""The seminars' part of the retention sweep: a registration keeps its personal data for
RETENTION_SEMINAR_YEARS fiscal years after the fiscal year of the seminar (or of its
cancellation). Anonymising keeps the status, format, dates, how they heard of it, the company
link and the survey's ratings; name, kana, department, role, address, phone, question and the
survey comment go."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock
from kosha_portal.audit.services import audit_record
from kosha_portal.workflow import transition

from .models import Registration, Seminar, SurveyResponse


def registrations_due(now):
    from kosha_portal.retention import fiscal_cutoff

    cutoff = fiscal_cutoff(settings.RETENTION_SEMINAR_YEARS, now=now)
    return Registration.objects.filter(anonymised_at__isnull=True).filter(
        Q(seminar__ends_at__lt=cutoff)
        | Q(status=Registration.Status.CANCELLED, cancelled_at__lt=cutoff)
        | Q(seminar__status=Seminar.Status.CANCELLED, seminar__cancelled_at__lt=cutoff)
    )


def registration_anonymise(*, registration: Registration, actor, now=None, on_request=False):
    """Erase a registration's personal data. On a deletion request a registration still holding
    a seat or a waiting place for a seminar to come is cancelled first, and its seat goes to the
    waiting list."""
    from kosha_portal.retention import ERASED, ERASURE_REASON, record_forget

    from .services import waitlist_fill

    now = now or clock.now()
    with transaction.atomic():
        locked = Registration.objects.select_for_update().get(pk=registration.pk)
        if locked.anonymised_at:
            return locked
        freed_seat = False
        if on_request and locked.status in (
            Registration.Status.WAITING,
            Registration.Status.CONFIRMED,
        ):
            freed_seat = locked.status == Registration.Status.CONFIRMED
            locked.waiting_position = None
            transition(
                locked,
                Registration.Status.CANCELLED,
                actor=actor,
                reason=ERASURE_REASON,
                at=now,
                changes={"basis": "request"},
            )
        locked.name = ERASED
        for field in ("name_kana", "department", "role", "email", "phone", "question"):
            setattr(locked, field, "")
        locked.anonymised_at = now
        locked.save()
        SurveyResponse.objects.filter(registration=locked).update(comment="")
        forgotten = record_forget([locked], now=now)
        audit_record(
            actor=actor,
            action="seminar_registration.anonymise",
            obj=locked,
            changes={"basis": "request" if on_request else "retention", **forgotten},
        )
        if freed_seat:
            waitlist_fill(
                seminar=locked.seminar, attendance_format=locked.format, actor=actor, now=now
            )
        return locked


def _due(now, limit):
    return registrations_due(now).order_by("pk").values_list("pk", flat=True)[:limit]


def _handle(pk, now):
    registration = Registration.objects.filter(pk=pk, anonymised_at__isnull=True).first()
    if registration is None:
        return 0
    registration_anonymise(registration=registration, actor=None, now=now)
    return 1


def _parts():
    from kosha_portal.retention import RetentionPart

    return [RetentionPart("seminar_registrations", _("セミナー申込"), due=_due, handle=_handle)]


PARTS = _parts()
