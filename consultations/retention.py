"""The consultations' part of the retention sweep: a closed or withdrawn consultation keeps its
personal data for RETENTION_CONSULTATION_YEARS fiscal years after the fiscal year it ended in."""

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import Consultation

Status = Consultation.Status


def consultations_due(now):
    """Consultations whose retention period is over and that still hold personal data."""
    from kosha_portal.retention import fiscal_cutoff

    cutoff = fiscal_cutoff(settings.RETENTION_CONSULTATION_YEARS, now=now)
    return Consultation.objects.filter(anonymised_at__isnull=True).filter(
        Q(status=Status.CLOSED, closed_at__lt=cutoff)
        | Q(status=Status.WITHDRAWN, withdrawn_at__lt=cutoff)
    )


def _due(now, limit):
    return consultations_due(now).order_by("pk").values_list("pk", flat=True)[:limit]


def _handle(pk, now):
    from .services import consultation_anonymise

    consultation = Consultation.objects.filter(pk=pk, anonymised_at__isnull=True).first()
    if consultation is None:
        return 0
    consultation_anonymise(consultation=consultation, actor=None, now=now)
    return 1


def _parts():
    from kosha_portal.retention import RetentionPart

    return [RetentionPart("consultations", _("相談"), due=_due, handle=_handle)]


PARTS = _parts()
