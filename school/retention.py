"""The school's part of the retention sweep: an application (with its participants, attendance,
coaching visits and certificates) keeps its personal data for RETENTION_SCHOOL_YEARS fiscal years
after the fiscal year in which its cohort ended (or in which it was declined). Anonymising keeps
the cohort, the company link, main business, concerns (codes), status, roster number, dates,
attendance marks, coaching dates and the certificate numbers; names, kana, contacts,
departments, roles, free texts and the certificate PDFs go. The cohort's roster PDFs go once
every application of the cohort is anonymised."""

import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock
from kosha_portal.audit.services import audit_record
from kosha_portal.workflow import transition

from .models import Application, Cohort, Participant


def applications_due(now):
    from kosha_portal.retention import fiscal_cutoff

    cutoff = fiscal_cutoff(settings.RETENTION_SCHOOL_YEARS, now=now)
    # The cutoff is 1 April 00:00 JST, so a cohort ending on 31 March of the year before is due.
    last_day = cutoff.date() - datetime.timedelta(days=1)
    return Application.objects.filter(anonymised_at__isnull=True).filter(
        Q(cohort__end_date__lte=last_day)
        | Q(status=Application.Status.DECLINED, declined_at__lt=cutoff)
    )


def application_anonymise(*, application: Application, actor, now=None, on_request=False):
    """Erase an application's personal data (see the module docstring). On a deletion request an
    application still under selection or waiting is declined first (without a mail)."""
    from kosha_portal.retention import ERASED, ERASURE_REASON, record_forget

    now = now or clock.now()
    with transaction.atomic():
        Cohort.objects.select_for_update().get(pk=application.cohort_id)
        locked = Application.objects.select_for_update().get(pk=application.pk)
        if locked.anonymised_at:
            return locked
        if on_request and locked.status in (
            Application.Status.SUBMITTED,
            Application.Status.WAITING,
        ):
            transition(
                locked,
                Application.Status.DECLINED,
                actor=actor,
                reason=ERASURE_REASON,
                at=now,
                changes={"basis": "request"},
            )
        locked.contact_name = ERASED
        for field in (
            "contact_name_kana",
            "contact_email",
            "contact_phone",
            "concerns_other",
            "decision_note",
        ):
            setattr(locked, field, "")
        locked.anonymised_at = now
        locked.save()
        participants = list(locked.participants.all())
        locked.participants.update(name=ERASED, name_kana="", department="", role="", email="")
        locked.coaching_visits.update(notes="", topics="")
        forgotten = record_forget([locked], now=now)
        if participants:
            record_forget(participants, now=now)
        if not locked.cohort.applications.filter(anonymised_at__isnull=True).exists():
            record_forget([locked.cohort], now=now)
        audit_record(
            actor=actor,
            action="school.application.anonymise",
            obj=locked,
            changes={
                "participants": len(participants),
                "basis": "request" if on_request else "retention",
                **forgotten,
            },
        )
        return locked


def participant_erase(*, participant: Participant, actor, now=None):
    """A deletion request from one participant (not the application's contact): only their own
    details and certificate PDF go."""
    from kosha_portal.retention import ERASED, record_forget

    now = now or clock.now()
    with transaction.atomic():
        locked = Participant.objects.select_for_update().get(pk=participant.pk)
        if locked.name == ERASED and not locked.email:
            return locked
        locked.name = ERASED
        locked.name_kana = locked.department = locked.role = locked.email = ""
        locked.save()
        record_forget([locked], now=now)
        audit_record(actor=actor, action="school.participant.anonymise", obj=locked, changes={})
        return locked


def _due(now, limit):
    return applications_due(now).order_by("pk").values_list("pk", flat=True)[:limit]


def _handle(pk, now):
    application = Application.objects.filter(pk=pk, anonymised_at__isnull=True).first()
    if application is None:
        return 0
    application_anonymise(application=application, actor=None, now=now)
    return 1


def _parts():
    from kosha_portal.retention import RetentionPart

    return [RetentionPart("school_applications", _("スクール申込"), due=_due, handle=_handle)]


PARTS = _parts()
