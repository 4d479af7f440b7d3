"""Retention of the logs: audit events (no personal data, but not kept for ever), access-log
events (views, downloads, exports), Django's admin log and the staff login records."""

from functools import reduce
from operator import or_

from django.conf import settings
from django.db.models import F, Q, Value
from django.db.models.functions import Concat
from django.utils.translation import gettext_lazy as _

from .describe import ACCESS_SUFFIXES
from .models import AuditEvent

_ACCESS = reduce(or_, (Q(action__endswith=suffix) for suffix in ACCESS_SUFFIXES))


def _delete_batch(queryset, limit) -> int:
    ids = list(queryset.order_by("pk").values_list("pk", flat=True)[:limit])
    if ids:
        queryset.model.objects.filter(pk__in=ids).delete()
    return len(ids)


def _audit_events(now, limit):
    from kosha_portal.retention import fiscal_cutoff

    cutoff = fiscal_cutoff(settings.RETENTION_AUDIT_YEARS, now=now)
    return _delete_batch(AuditEvent.objects.exclude(_ACCESS).filter(created_at__lt=cutoff), limit)


def _access_log(now, limit):
    from kosha_portal.retention import fiscal_cutoff

    cutoff = fiscal_cutoff(settings.RETENTION_ACCESS_LOG_YEARS, now=now)
    return _delete_batch(AuditEvent.objects.filter(_ACCESS).filter(created_at__lt=cutoff), limit)


def _admin_log(now, limit):
    """Django's own admin log names objects with ``str(obj)``: entries of deleted objects get the
    neutral 「#<id>」 (live ones are relabelled when their record is anonymised), and entries past
    the audit period are deleted."""
    from django.contrib.admin.models import DELETION, LogEntry

    from kosha_portal.retention import fiscal_cutoff

    cutoff = fiscal_cutoff(settings.RETENTION_AUDIT_YEARS, now=now)
    deleted = _delete_batch(LogEntry.objects.filter(action_time__lt=cutoff), limit)
    pending = LogEntry.objects.filter(action_flag=DELETION).exclude(object_repr__startswith="#")
    ids = list(pending.values_list("pk", flat=True)[:limit])
    relabelled = LogEntry.objects.filter(pk__in=ids).update(
        object_repr=Concat(Value("#"), F("object_id"))
    )
    return deleted + relabelled


def _login_log(now, limit):
    from axes.models import AccessAttempt, AccessFailureLog, AccessLog

    from kosha_portal.retention import days_cutoff

    cutoff = days_cutoff(settings.RETENTION_LOGIN_LOG_DAYS, now=now)
    return (
        _delete_batch(AccessLog.objects.filter(attempt_time__lt=cutoff), limit)
        + _delete_batch(AccessFailureLog.objects.filter(attempt_time__lt=cutoff), limit)
        + _delete_batch(AccessAttempt.objects.filter(attempt_time__lt=cutoff), limit)
    )


def _parts():
    from kosha_portal.retention import RetentionPart

    return [
        RetentionPart("audit_events", _("監査ログ"), bulk=_audit_events),
        RetentionPart("access_log", _("アクセスログ"), bulk=_access_log),
        RetentionPart("admin_log", _("管理画面の操作記録"), bulk=_admin_log),
        RetentionPart("login_log", _("ログイン記録"), bulk=_login_log),
    ]


PARTS = _parts()
