"""Retention of generated PDFs: a PDF holds the personal data of the record it was made for, so
it is deleted (file and frozen data) when that record is anonymised or erased, and a PDF whose
record no longer exists is deleted by the daily sweep."""

import contextlib

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from .models import GeneratedDocument


def documents_delete(documents) -> int:
    """Delete ``documents`` (rows now, files once the transaction commits)."""
    documents = list(documents)
    files = [(d.file.storage, d.file.name) for d in documents if d.file]
    GeneratedDocument.objects.filter(pk__in=[d.pk for d in documents]).delete()

    def remove():
        for storage, name in files:
            with contextlib.suppress(OSError):
                storage.delete(name)

    transaction.on_commit(remove)
    return len(documents)


def documents_delete_for(records) -> int:
    records = list(records)
    content_type = ContentType.objects.get_for_model(records[0])
    return documents_delete(
        GeneratedDocument.objects.filter(
            content_type=content_type, object_id__in=[str(r.pk) for r in records]
        )
    )


def _orphans(limit):
    """Documents whose record was deleted (the generic relation does not cascade)."""
    found = []
    by_type = {}
    for pk, content_type_id, object_id in (
        GeneratedDocument.objects.exclude(content_type=None)
        .order_by("pk")
        .values_list("pk", "content_type_id", "object_id")
        .iterator(chunk_size=2000)
    ):
        by_type.setdefault(content_type_id, []).append((pk, object_id))
    for content_type_id, rows in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if model is None:
            found.extend(pk for pk, _object_id in rows)
            continue
        existing = {
            str(pk)
            for pk in model._default_manager.filter(
                pk__in=[o for _pk, o in rows if o.isdigit()]
            ).values_list("pk", flat=True)
        }
        found.extend(pk for pk, object_id in rows if object_id not in existing)
        if len(found) >= limit:
            break
    return found[:limit]


def _bulk(now, limit):
    ids = _orphans(limit)
    with transaction.atomic():
        return documents_delete(GeneratedDocument.objects.filter(pk__in=ids))


def _parts():
    from kosha_portal.retention import RetentionPart

    return [RetentionPart("documents_orphaned", _("帳票（PDF）"), bulk=_bulk)]


PARTS = _parts()
