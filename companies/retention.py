"""The organisation registry's part of the retention sweep.

An organisation's contact details (representative, postal code, street address, phone, email;
for a sole proprietor also the name, which is often the owner's own) are erased once no record
still needs them: every consultation, dispatch, seminar registration and school application
that points at it has been anonymised — or, for a row no record points at, once it has not been
updated for RETENTION_ORGANISATION_YEARS fiscal years. What the annual figures count stays: kind,
法人番号 (public), corporate name, prefecture, municipality, industry, capital, employees and main
business."""

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils.translation import gettext_lazy as _

from kosha_portal.audit.services import audit_record

from .models import Organisation

ERASED_NAME_PREFIX = "（消去済み"
CONTACT_FIELDS = ("representative", "postal_code", "address", "phone", "email")


def _holds_personal_data() -> Q:
    condition = Q()
    for field in CONTACT_FIELDS:
        condition |= ~Q(**{field: ""})
    return condition | (
        Q(kind=Organisation.Kind.SOLE_PROPRIETOR) & ~Q(name__startswith=ERASED_NAME_PREFIX)
    )


def _references():
    """(model, its FK to Organisation) of every record that may still need the contact details."""
    from consultations.models import Consultation
    from dispatch.models import Dispatch
    from school.models import Application
    from seminars.models import Registration

    return [Consultation, Dispatch, Registration, Application]


def organisations_due(now):
    from kosha_portal.retention import fiscal_cutoff

    cutoff = fiscal_cutoff(settings.RETENTION_ORGANISATION_YEARS, now=now)
    queryset = Organisation.objects.filter(_holds_personal_data())
    any_record = Q()
    for model in _references():
        records = model.objects.filter(organisation=OuterRef("pk"))
        queryset = queryset.exclude(Exists(records.filter(anonymised_at__isnull=True)))
        any_record |= Exists(records)
    return queryset.filter(any_record | Q(updated_at__lt=cutoff))


def organisation_anonymise(*, organisation: Organisation, actor, fields=None, reason="retention"):
    """Erase the organisation's contact details (all of them, or only ``fields``: a deletion
    request of the person whose address or phone a row holds)."""
    from kosha_portal.retention import record_forget

    with transaction.atomic():
        locked = Organisation.objects.select_for_update().get(pk=organisation.pk)
        erase = list(fields or CONTACT_FIELDS)
        for field in erase:
            setattr(locked, field, "")
        if (
            fields is None
            and locked.kind == Organisation.Kind.SOLE_PROPRIETOR
            and not locked.name.startswith(ERASED_NAME_PREFIX)
        ):
            locked.name = f"{ERASED_NAME_PREFIX} #{locked.pk}）"
            locked.name_kana = ""
            erase += ["name", "name_kana"]
        locked.save()
        record_forget([locked])
        audit_record(
            actor=actor,
            action="organisation.anonymise",
            obj=locked,
            changes={"fields": erase, "basis": reason},
        )
        return locked


def _due(now, limit):
    return organisations_due(now).order_by("pk").values_list("pk", flat=True)[:limit]


def _handle(pk, now):
    organisation = organisations_due(now).filter(pk=pk).first()
    if organisation is None:
        return 0
    organisation_anonymise(organisation=organisation, actor=None)
    return 1


def _parts():
    from kosha_portal.retention import RetentionPart

    return [RetentionPart("organisations", _("事業者の連絡先"), due=_due, handle=_handle)]


PARTS = _parts()
