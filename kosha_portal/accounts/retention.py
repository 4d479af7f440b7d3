"""Retention of personal links: an expired or revoked link is deleted (with its address) after
RETENTION_ACCESS_LINK_DAYS, and every link to a record goes when the record is anonymised."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from .models import AccessLink


def access_links_delete_for(records) -> int:
    records = list(records)
    content_type = ContentType.objects.get_for_model(records[0])
    deleted, _by_model = AccessLink.objects.filter(
        content_type=content_type, object_id__in=[str(r.pk) for r in records]
    ).delete()
    return deleted


def access_links_delete_to(email: str) -> int:
    deleted, _by_model = AccessLink.objects.filter(email__iexact=(email or "").strip()).delete()
    return deleted


def _bulk(now, limit):
    from kosha_portal.retention import days_cutoff

    cutoff = days_cutoff(settings.RETENTION_ACCESS_LINK_DAYS, now=now)
    ids = list(
        AccessLink.objects.filter(Q(revoked_at__lt=cutoff) | Q(expires_at__lt=cutoff))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    AccessLink.objects.filter(pk__in=ids).delete()
    return len(ids)


def _parts():
    from kosha_portal.retention import RetentionPart

    return [RetentionPart("access_links", _("個人用リンク"), bulk=_bulk)]


PARTS = _parts()
