from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kosha_portal.audit.labels import audit_label
from kosha_portal.audit.services import audit_record
from kosha_portal.errors import DomainError
from kosha_portal.japan.normalize import company_name_key
from kosha_portal.japan.postal import lookup_postal_code

from .models import Organisation

ORGANISATION_FIELDS = [
    "kind",
    "name",
    "name_kana",
    "corporate_number",
    "representative",
    "postal_code",
    "prefecture",
    "municipality",
    "address",
    "phone",
    "email",
    "main_business",
    "industry",
    "capital_yen",
    "employees",
]


def _fill_area(data: dict) -> dict:
    """Prefecture code (and missing prefecture/municipality) from the postal code."""
    areas = lookup_postal_code(data.get("postal_code") or "")
    if areas:
        data.setdefault("prefecture", areas[0].prefecture)
        data["prefecture"] = data["prefecture"] or areas[0].prefecture
        data["municipality"] = data.get("municipality") or areas[0].municipality
        if data["prefecture"] == areas[0].prefecture:
            data["prefecture_code"] = areas[0].prefecture_code
    elif data.get("prefecture") == "東京都":
        data["prefecture_code"] = "13"
    return data


def organisation_find_or_create(*, data: dict, actor) -> Organisation:
    """The registry row for what a public form submitted.

    With a 法人番号 the existing row is reused and *not* overwritten by an anonymous submitter
    (staff reconcile differences); without one a new row is created and possible duplicates show
    up for staff by the normalised name key."""
    data = _fill_area({k: v for k, v in data.items() if k in ORGANISATION_FIELDS})
    number = data.get("corporate_number") or ""
    # No savepoint of its own: callers (the intake services) already run in a transaction.
    with transaction.atomic(savepoint=False):
        if number:
            existing = (
                Organisation.objects.select_for_update().filter(corporate_number=number).first()
            )
            if existing:
                return existing
        organisation = Organisation(
            **{k: v for k, v in data.items() if k in ORGANISATION_FIELDS + ["prefecture_code"]}
        )
        if number:
            try:
                with transaction.atomic():
                    organisation.save()
            except IntegrityError:
                # A concurrent submission created the same 法人番号 first: use its row.
                return Organisation.objects.get(corporate_number=number)
        else:
            organisation.save()
        audit_record(actor=actor, action="organisation.create", obj=organisation)
        return organisation


def organisation_duplicates(organisation: Organisation):
    """Other rows with the same 法人番号 or the same normalised name."""
    condition = Q(name_key=organisation.name_key)
    if organisation.corporate_number:
        condition |= Q(corporate_number=organisation.corporate_number)
    return Organisation.objects.filter(condition).exclude(pk=organisation.pk)


def organisation_duplicates_by_name(name: str):
    return Organisation.objects.filter(name_key=company_name_key(name))


def organisation_merge(*, keep: Organisation, remove: Organisation, actor) -> Organisation:
    """Move every record that points at ``remove`` to ``keep``, fill ``keep``'s empty fields from
    ``remove``, then delete ``remove``. Nothing pointing at either is lost."""
    if keep.pk == remove.pk:
        raise DomainError(_("同じ事業者同士は統合できません。"), code="same")
    with transaction.atomic():
        keep = Organisation.objects.select_for_update().get(pk=keep.pk)
        remove = Organisation.objects.select_for_update().get(pk=remove.pk)
        if (
            keep.corporate_number
            and remove.corporate_number
            and (keep.corporate_number != remove.corporate_number)
        ):
            raise DomainError(
                _("法人番号が異なる事業者は統合できません。"), code="different_number"
            )
        moved = {}
        for relation in Organisation._meta.related_objects:
            model = relation.related_model
            field = relation.field.name
            try:
                # A savepoint per relation: a unique constraint that both rows would break
                # (one school application per company and cohort, ...) is refused by name.
                with transaction.atomic():
                    if relation.many_to_many:
                        # Deleting ``remove`` would drop these rows (an expert's conflicts).
                        related = list(getattr(remove, relation.get_accessor_name()).all())
                        getattr(keep, relation.get_accessor_name()).add(*related)
                        count = len(related)
                    else:
                        count = model._base_manager.filter(**{field: remove}).update(
                            **{field: keep}
                        )
            except IntegrityError as error:
                raise DomainError(
                    _(
                        "両方の事業者に同じ「%(records)s」の記録があり、統合すると重複します。"
                        "先にどちらかの記録を整理してから統合してください。"
                    )
                    % {"records": model._meta.verbose_name},
                    code="conflict",
                ) from error
            if count:
                moved[f"{model._meta.label}.{field}"] = count
        for m2m in Organisation._meta.many_to_many:
            related = list(getattr(remove, m2m.name).all())
            getattr(keep, m2m.name).add(*related)
            if related:
                moved[f"{Organisation._meta.label}.{m2m.name}"] = len(related)
        filled = []
        for name in ORGANISATION_FIELDS:
            if getattr(keep, name) in ("", None) and getattr(remove, name) not in ("", None):
                filled.append(name)
                setattr(keep, name, getattr(remove, name))
        removed_number = remove.corporate_number
        removed_repr = audit_label(remove)
        remove.delete()
        if removed_number and not keep.corporate_number:
            keep.corporate_number = removed_number
        keep.save()
        audit_record(
            actor=actor,
            action="organisation.merge",
            obj=keep,
            changes={"removed": removed_repr, "moved": moved, "filled": filled},
        )
        return keep


def organisation_update(*, organisation: Organisation, data: dict, actor) -> Organisation:
    """Staff edit of an organisation's registry data."""
    with transaction.atomic():
        organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
        changed = [
            k for k, v in data.items() if k in ORGANISATION_FIELDS and getattr(organisation, k) != v
        ]
        for key in changed:
            setattr(organisation, key, data[key])
        _fill_area_on(organisation)
        organisation.save()
        if changed:
            audit_record(
                actor=actor,
                action="organisation.update",
                obj=organisation,
                changes={"fields": changed},
            )
        return organisation


def _fill_area_on(organisation: Organisation) -> None:
    data = _fill_area(
        {
            "postal_code": organisation.postal_code,
            "prefecture": organisation.prefecture,
            "municipality": organisation.municipality,
        }
    )
    organisation.prefecture = data.get("prefecture", "")
    organisation.municipality = data.get("municipality", "")
    organisation.prefecture_code = data.get("prefecture_code", organisation.prefecture_code)
