"""The announcements' part of the retention sweep (docs/privacy.md).

An active subscriber keeps their address and consent records for as long as they receive
announcements: that is the purpose they agreed to. Once unsubscribed (or bounced) the address and
its consents stay RETENTION_ANNOUNCEMENT_SUBSCRIBER_DAYS (特定電子メール法 施行規則: the record of
consent is kept at least one month after the last mail sent under it); then the row goes with its
consents, its outbox mail and its audit free text, and only the keyed hash in the suppression list
remains, so the address is never mailed again. A subscribe-page request that was confirmed or
expired goes after RETENTION_ANNOUNCEMENT_REQUEST_DAYS."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock
from kosha_portal.audit.services import audit_forget_company_actor, audit_record

from .models import (
    Subscriber,
    SubscriptionRequest,
    Suppression,
    SuppressionReason,
    UnsubscribeMethod,
)


def subscribers_due(now):
    from kosha_portal.retention import days_cutoff

    cutoff = days_cutoff(settings.RETENTION_ANNOUNCEMENT_SUBSCRIBER_DAYS, now=now)
    return Subscriber.objects.filter(
        Q(status=Subscriber.Status.UNSUBSCRIBED, unsubscribed_at__lt=cutoff)
        | Q(status=Subscriber.Status.BOUNCED, bounced_at__lt=cutoff)
    )


def subscriber_erase(*, subscriber: Subscriber, actor, now=None, on_request=False) -> int:
    """Delete a subscriber (their consents with them) and what they left in the outbox and the
    audit trail; the suppression list keeps the keyed hash of the address. On a deletion request
    an active subscriber is unsubscribed by it."""
    from kosha_portal.retention import record_forget

    now = now or clock.now()
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().filter(pk=subscriber.pk).first()
        if locked is None:
            return 0
        if locked.status == Subscriber.Status.BOUNCED:
            reason, detail = SuppressionReason.BOUNCED, locked.bounce_reason
        else:
            reason = SuppressionReason.UNSUBSCRIBED
            detail = locked.unsubscribe_method or (UnsubscribeMethod.ERASURE if on_request else "")
        Suppression.objects.get_or_create(
            address_hash=locked.email_hash,
            defaults={"reason": reason, "detail": detail, "created_at": now},
        )
        requests = list(SubscriptionRequest.objects.filter(email=locked.email))
        record_forget([locked], now=now)
        if requests:
            record_forget(requests, now=now)
        SubscriptionRequest.objects.filter(pk__in=[r.pk for r in requests]).delete()
        email = locked.email
        audit_record(
            actor=actor,
            action="subscriber.erase",
            obj=locked,
            changes={"basis": "request" if on_request else "retention"},
        )
        if on_request:
            audit_forget_company_actor(email)
        locked.delete()
    return 1


def requests_due(now):
    from kosha_portal.retention import days_cutoff

    cutoff = days_cutoff(settings.RETENTION_ANNOUNCEMENT_REQUEST_DAYS, now=now)
    return SubscriptionRequest.objects.filter(
        Q(confirmed_at__lt=cutoff) | Q(confirmed_at__isnull=True, expires_at__lt=cutoff)
    )


def subscription_request_delete(*, request: SubscriptionRequest, now=None) -> int:
    from kosha_portal.retention import record_forget

    with transaction.atomic():
        locked = SubscriptionRequest.objects.select_for_update().filter(pk=request.pk).first()
        if locked is None:
            return 0
        record_forget([locked], now=now)
        locked.delete()
    return 1


def _subscribers_due(now, limit):
    return subscribers_due(now).order_by("pk").values_list("pk", flat=True)[:limit]


def _subscriber_handle(pk, now):
    subscriber = Subscriber.objects.filter(pk=pk).first()
    if subscriber is None:
        return 0
    return subscriber_erase(subscriber=subscriber, actor=None, now=now)


def _requests_due(now, limit):
    return requests_due(now).order_by("pk").values_list("pk", flat=True)[:limit]


def _request_handle(pk, now):
    request = SubscriptionRequest.objects.filter(pk=pk).first()
    if request is None:
        return 0
    return subscription_request_delete(request=request, now=now)


def _parts():
    from kosha_portal.retention import RetentionPart

    return [
        RetentionPart(
            "announcement_subscribers",
            _("お知らせメールの登録者（配信停止・配信不能）"),
            due=_subscribers_due,
            handle=_subscriber_handle,
        ),
        RetentionPart(
            "announcement_requests",
            _("お知らせメールの登録の確認待ち"),
            due=_requests_due,
            handle=_request_handle,
        ),
    ]


PARTS = _parts()
