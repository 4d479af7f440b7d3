"""Retention of outbox mail: once its period is over (or the record it belongs to is anonymised
or erased), a message keeps its metadata — when, which template, which record, its status — but
not its recipient, subject, body or attachments."""

import hashlib

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock
from kosha_portal.workflow import transition

from .models import OutboundEmail

# Delivery is finished for these; a message being delivered is left alone until it is.
FINISHED = (OutboundEmail.Status.SENT, OutboundEmail.Status.FAILED, OutboundEmail.Status.CANCELLED)
_HOLDS_CONTENT = ~Q(to="") | ~Q(subject="") | ~Q(body_text="") | ~Q(body_html="") | ~Q(headers={})


def _erase(email: OutboundEmail) -> None:
    email.to = ""
    email.reply_to = ""
    email.subject = ""
    email.body_text = ""
    email.body_html = ""
    email.attachments = []
    email.headers = {}  # List-Unsubscribe carries the recipient's personal unsubscribe link
    email.last_error = ""  # SMTP errors quote the recipient
    if email.dedupe_key and "@" in email.dedupe_key:
        # Keys such as "digest:<address>:<date>" stay unique without the address.
        email.dedupe_key = "erased:" + hashlib.sha256(email.dedupe_key.encode()).hexdigest()[:40]
    email.save(
        update_fields=[
            "to",
            "reply_to",
            "subject",
            "body_text",
            "body_html",
            "attachments",
            "headers",
            "last_error",
            "dedupe_key",
        ]
    )


def outbox_erase(queryset, *, now=None) -> int:
    """Erase the content of the mail in ``queryset``; mail still waiting to be sent is cancelled
    first (its record is gone). Returns the number of messages erased."""
    now = now or clock.now()
    count = 0
    for email in (
        queryset.filter(_HOLDS_CONTENT)
        .filter(status__in=[*FINISHED, OutboundEmail.Status.PENDING])
        .select_for_update(skip_locked=True)
    ):
        if email.status == OutboundEmail.Status.PENDING:
            # The erasure that cancels it is audited by its caller; the row is its own log.
            transition(email, OutboundEmail.Status.CANCELLED, actor=None, audit=False)
        _erase(email)
        count += 1
    return count


def outbox_erase_for(records, *, now=None) -> int:
    """Erase the mail that belongs to ``records`` (of one model)."""
    records = list(records)
    content_type = ContentType.objects.get_for_model(records[0])
    return outbox_erase(
        OutboundEmail.objects.filter(
            content_type=content_type, object_id__in=[str(r.pk) for r in records]
        ),
        now=now,
    )


def outbox_erase_to(email: str, *, now=None) -> int:
    """Erase every message sent to (or with a reply address of) ``email``."""
    email = (email or "").strip()
    if not email:
        return 0
    return outbox_erase(
        OutboundEmail.objects.filter(Q(to__iexact=email) | Q(reply_to__iexact=email)), now=now
    )


def _past_period(now):
    from kosha_portal.retention import days_cutoff

    cutoff = days_cutoff(settings.RETENTION_OUTBOX_DAYS, now=now)
    return (
        OutboundEmail.objects.filter(status__in=FINISHED)
        .filter(_HOLDS_CONTENT)
        .filter(
            Q(sent_at__lt=cutoff)
            | Q(sent_at__isnull=True, failed_at__lt=cutoff)
            | Q(sent_at__isnull=True, failed_at__isnull=True, created_at__lt=cutoff)
        )
    )


def _due(now, limit):
    return _past_period(now).order_by("pk").values_list("pk", flat=True)[:limit]


def _handle(pk, now):
    with transaction.atomic():
        return outbox_erase(OutboundEmail.objects.filter(pk=pk), now=now)


def _parts():
    from kosha_portal.retention import RetentionPart

    return [RetentionPart("outbox", _("送信メール"), due=_due, handle=_handle)]


PARTS = _parts()
