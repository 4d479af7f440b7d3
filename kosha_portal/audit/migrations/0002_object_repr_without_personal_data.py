"""Existing audit events named their object with ``str(obj)``, which for a seminar registration
holds the registrant's name and for a consultation the company's; exports recorded the list's
search words. Rewrite them as the portal now records them: a non-personal label, filter names only.
"""

from urllib.parse import parse_qsl

from django.db import migrations
from django.utils import translation

# Models whose ``__str__`` never held personal data keep their recorded text.
STR_IS_SAFE = {
    "seminars.seminar",
    "school.cohort",
    "school.curriculumsession",
    "dispatch.programyear",
    "dispatch.eligibilityitem",
    "dispatch.visit",
    "japan.closureday",
}
BATCH = 2000


def _labels(apps, content_type, ids):
    key = f"{content_type.app_label}.{content_type.model}"
    try:
        model = apps.get_model(content_type.app_label, content_type.model)
    except LookupError:
        model = None
    verbose = str(model._meta.verbose_name) if model else content_type.model
    numeric = [int(i) for i in ids if str(i).isdigit()]
    if key == "consultations.consultation":
        found = dict(model.objects.filter(pk__in=numeric).values_list("pk", "reference"))
        return {i: f"相談番号 {found[int(i)]}" for i in ids if i.isdigit() and int(i) in found}
    if key == "dispatch.dispatch":
        found = dict(model.objects.filter(pk__in=numeric).values_list("pk", "reference"))
        return {i: f"申込番号 {found[int(i)]}" for i in ids if i.isdigit() and int(i) in found}
    if key == "school.certificate":
        found = dict(model.objects.filter(pk__in=numeric).values_list("pk", "number"))
        return {i: f"修了証番号 {found[int(i)]}" for i in ids if i.isdigit() and int(i) in found}
    return {i: f"{verbose} #{i}" for i in ids}


def _export_filters(text: str) -> str:
    """Keep which filters an export used, never the words searched for."""
    pairs = parse_qsl(text or "", keep_blank_values=True)
    return "&".join(f"{k}=*" if k == "q" else f"{k}={v}" for k, v in sorted(pairs))[:500]


def forwards(apps, schema_editor):
    AuditEvent = apps.get_model("audit", "AuditEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    with translation.override("ja"):
        for content_type in ContentType.objects.filter(
            pk__in=AuditEvent.objects.values("content_type_id").distinct()
        ):
            if f"{content_type.app_label}.{content_type.model}" in STR_IS_SAFE:
                continue
            events = AuditEvent.objects.filter(content_type=content_type)
            ids = list(events.values_list("object_id", flat=True).distinct())
            for start in range(0, len(ids), BATCH):
                chunk = ids[start : start + BATCH]
                labels = _labels(apps, content_type, chunk)
                for object_id in chunk:
                    label = labels.get(object_id) or f"#{object_id}"
                    events.filter(object_id=object_id).exclude(object_repr=label).update(
                        object_repr=label[:200]
                    )
    for event in AuditEvent.objects.filter(changes__has_key="filters").iterator():
        cleaned = _export_filters(event.changes.get("filters"))
        if cleaned != event.changes.get("filters"):
            event.changes["filters"] = cleaned
            event.save(update_fields=["changes"])
    for event in AuditEvent.objects.filter(
        action="organisation.merge", changes__has_key="removed"
    ).iterator():
        event.changes["removed"] = "事業者"
        event.save(update_fields=["changes"])
    for event in AuditEvent.objects.filter(content_type__isnull=True).exclude(object_repr=""):
        event.object_repr = ""
        event.save(update_fields=["object_repr"])


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("consultations", "0001_initial"),
        ("dispatch", "0001_initial"),
        ("school", "0001_initial"),
    ]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
