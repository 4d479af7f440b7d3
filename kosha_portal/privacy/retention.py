"""The request register's part of the retention sweep: a request record (no personal data in
it) is deleted RETENTION_PRIVACY_REQUEST_YEARS fiscal years after the fiscal year it was made."""

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from .models import PrivacyRequest


def _bulk(now, limit):
    from kosha_portal.retention import fiscal_cutoff

    cutoff = fiscal_cutoff(settings.RETENTION_PRIVACY_REQUEST_YEARS, now=now)
    ids = list(
        PrivacyRequest.objects.filter(created_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    PrivacyRequest.objects.filter(pk__in=ids).delete()
    return len(ids)


def _parts():
    from kosha_portal.retention import RetentionPart

    return [RetentionPart("privacy_requests", _("開示・削除請求の記録"), bulk=_bulk)]


PARTS = _parts()
