"""Every write of the announcements app: opt-ins, the double opt-in of the subscribe page,
unsubscribing, bounces, and the life of an announcement from draft to sent. Delivery itself is
in ``delivery.py``."""

import datetime
import logging
import secrets

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from kosha_portal import clock
from kosha_portal.audit.services import audit_record, company_actor
from kosha_portal.errors import DomainError
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.mail.services import email_enqueue
from kosha_portal.workflow import transition

from . import emails
from .models import (
    Announcement,
    AnnouncementRecipient,
    Consent,
    SkipReason,
    Source,
    Subscriber,
    SubscriptionRequest,
    Suppression,
    SuppressionReason,
    address_hash,
    normalise_address,
    token_hash,
)
from .selectors import Audience, audience_subscribers

logger = logging.getLogger(__name__)

SELF_UNSUBSCRIBE_REASON = "ご本人による配信停止"


def _municipality_of(organisation) -> str:
    from kosha_portal.reports.municipalities import UNKNOWN, municipality_row

    if organisation is None:
        return ""
    row = municipality_row(
        prefecture=organisation.prefecture,
        prefecture_code=organisation.prefecture_code,
        municipality=organisation.municipality,
    )
    return "" if row == UNKNOWN else row


def _locked_subscriber(email: str) -> Subscriber | None:
    return Subscriber.objects.select_for_update().filter(email=email).first()


def _suppression(email: str) -> Suppression | None:
    return Suppression.objects.filter(address_hash=address_hash(email)).first()


def _activate(
    *,
    email: str,
    source: str,
    notice_version: str,
    client_ip: str | None,
    language: str,
    industry: str,
    municipality: str,
    requested_at=None,
    actor,
    now,
) -> Subscriber:
    """Record a consent and make the address an active subscriber (inside the caller's
    transaction). A new consent lifts an earlier unsubscription; only a confirmed subscription
    (the caller knows) may lift a bounce."""
    subscriber = _locked_subscriber(email)
    created = subscriber is None
    if created:
        try:
            with transaction.atomic():
                subscriber = Subscriber.objects.create(
                    email=email,
                    language=language,
                    industry=industry,
                    municipality=municipality,
                    activated_at=now,
                )
        except IntegrityError:  # a concurrent opt-in of the same address won
            subscriber = _locked_subscriber(email)
            created = False
    if not created and subscriber.status != Subscriber.Status.ACTIVE:
        transition(
            subscriber,
            Subscriber.Status.ACTIVE,
            actor=actor,
            at=now,
            action="subscriber.reactivate",
            changes={"source": source},
        )
    subscriber.language = language or subscriber.language
    subscriber.industry = industry or subscriber.industry
    subscriber.municipality = municipality or subscriber.municipality
    subscriber.unsubscribe_method = ""
    subscriber.bounce_reason = ""
    subscriber.save()
    Suppression.objects.filter(address_hash=subscriber.email_hash).delete()
    Consent.objects.create(
        subscriber=subscriber,
        given_at=now,
        source=source,
        notice_version=notice_version,
        client_ip=client_ip or None,
        requested_at=requested_at,
    )
    audit_record(
        actor=actor,
        action="subscriber.opt_in",
        obj=subscriber,
        changes={"source": source, "notice_version": notice_version, "new": created},
    )
    return subscriber


def subscription_opt_in(
    *,
    email: str,
    source: str,
    client_ip: str | None,
    language: str = "ja",
    organisation=None,
    notice_version: str | None = None,
) -> Subscriber | None:
    """Record the opt-in ticked on a public form, with the time, the form, the notice's version
    and the client address. It takes effect at once (特定電子メール法 accepts consent given with
    the address on a form; docs/announcements.md says why no confirmation mail is sent), except
    for an address whose mail bounced: that one gets the subscribe page's confirmation mail, and
    only opening its link reactivates it."""
    email = normalise_address(email)
    if not email:
        return None
    notice_version = notice_version or settings.ANNOUNCEMENT_NOTICE_VERSION
    now = clock.now()
    industry = getattr(organisation, "industry", "") or ""
    municipality = _municipality_of(organisation)
    with transaction.atomic():
        subscriber = _locked_subscriber(email)
        suppression = _suppression(email)
        bounced = (subscriber is not None and subscriber.status == Subscriber.Status.BOUNCED) or (
            suppression is not None and suppression.reason == SuppressionReason.BOUNCED
        )
        if bounced:
            subscription_request_create(
                email=email,
                source=source,
                client_ip=client_ip,
                language=language,
                industry=industry,
                municipality=municipality,
            )
            return None
        return _activate(
            email=email,
            source=source,
            notice_version=notice_version,
            client_ip=client_ip,
            language=language,
            industry=industry,
            municipality=municipality,
            actor=company_actor(email),
            now=now,
        )


def subscription_request_create(
    *,
    email: str,
    source: str = Source.SUBSCRIBE_PAGE,
    client_ip: str | None,
    language: str = "ja",
    industry: str = "",
    municipality: str = "",
) -> SubscriptionRequest | None:
    """Send the confirmation mail of a double opt-in (a single-use link that expires after
    ANNOUNCEMENT_CONFIRM_HOURS). Nothing is consented yet. At most
    ANNOUNCEMENT_CONFIRM_MAILS_PER_DAY mails a day go to one address, so the page cannot be used
    to flood a mailbox; the page answers the same either way."""
    email = normalise_address(email)
    now = clock.now()
    with transaction.atomic():
        recent = SubscriptionRequest.objects.filter(
            email=email, created_at__gte=now - datetime.timedelta(days=1)
        ).count()
        if recent >= settings.ANNOUNCEMENT_CONFIRM_MAILS_PER_DAY:
            logger.info("subscription request not sent: daily limit for one address reached")
            return None
        token = secrets.token_urlsafe(32)
        request = SubscriptionRequest.objects.create(
            email=email,
            token_hash=token_hash(token),
            source=source,
            notice_version=settings.ANNOUNCEMENT_NOTICE_VERSION,
            language=language,
            industry=industry,
            municipality=municipality,
            client_ip=client_ip or None,
            created_at=now,
            expires_at=now + datetime.timedelta(hours=settings.ANNOUNCEMENT_CONFIRM_HOURS),
        )
        from django.urls import reverse

        email_enqueue(
            to=email,
            template=emails.CONFIRM_TEMPLATE,
            language=language,
            context={
                "confirm_url": settings.SITE_URL + reverse("announcements:confirm", args=[token]),
                "expires_at": request.expires_at,
                "hours": settings.ANNOUNCEMENT_CONFIRM_HOURS,
            },
            related=request,
        )
        audit_record(
            actor=company_actor(email),
            action="subscription.request",
            obj=request,
            changes={"source": source},
        )
    return request


def subscription_request_state(request: SubscriptionRequest | None) -> str:
    """``valid``, ``used``, ``expired`` or ``invalid`` (no such link)."""
    if request is None:
        return "invalid"
    if request.confirmed_at is not None:
        return "used"
    if request.expires_at <= clock.now():
        return "expired"
    return "valid"


def subscription_confirm(*, request: SubscriptionRequest, client_ip: str | None) -> Subscriber:
    """The person opened the confirmation link and confirmed: now, and only now, the consent is
    recorded. The link works once."""
    now = clock.now()
    with transaction.atomic():
        locked = SubscriptionRequest.objects.select_for_update().get(pk=request.pk)
        state = subscription_request_state(locked)
        if state == "used":
            raise DomainError(_("このリンクはすでに使われています。"), code="used")
        if state == "expired":
            raise DomainError(_("このリンクは有効期限が切れています。"), code="expired")
        locked.confirmed_at = now
        locked.save(update_fields=["confirmed_at"])
        return _activate(
            email=locked.email,
            source=locked.source,
            notice_version=locked.notice_version,
            client_ip=client_ip,
            language=locked.language,
            industry=locked.industry,
            municipality=locked.municipality,
            requested_at=locked.created_at,
            actor=company_actor(locked.email),
            now=now,
        )


def _outbox_pending_cancel(subscriber: Subscriber, reason: str) -> int:
    """Cancel the announcement mail still waiting for this subscriber (not yet sent nor in
    flight), and mark those recipients skipped: an unsubscription or a bounce takes effect at
    once, also for mail already written to the outbox."""
    rows = OutboundEmail.objects.select_for_update(skip_locked=True).filter(
        content_type=ContentType.objects.get_for_model(Subscriber),
        object_id=str(subscriber.pk),
        status=OutboundEmail.Status.PENDING,
        template=emails.TEMPLATE,
    )
    count = 0
    for email in rows:
        transition(email, OutboundEmail.Status.CANCELLED, actor=None, audit=False)
        count += 1
    AnnouncementRecipient.objects.filter(
        subscriber=subscriber,
        skipped_at__isnull=True,
        email__status=OutboundEmail.Status.CANCELLED,
    ).update(skipped_at=clock.now(), skip_reason=reason)
    AnnouncementRecipient.objects.filter(
        subscriber=subscriber, skipped_at__isnull=True, email__isnull=True
    ).exclude(announcement__status__in=[Announcement.Status.SENT]).update(
        skipped_at=clock.now(), skip_reason=reason
    )
    return count


def _suppress(subscriber_or_hash, reason: str, detail: str, now) -> None:
    digest = (
        subscriber_or_hash.email_hash
        if isinstance(subscriber_or_hash, Subscriber)
        else subscriber_or_hash
    )
    Suppression.objects.update_or_create(
        address_hash=digest,
        defaults={"reason": reason, "detail": detail[:300], "created_at": now},
    )


def subscriber_unsubscribe(
    *, subscriber: Subscriber, method: str, actor, reason: str | None = None
) -> bool:
    """Stop announcements to the subscriber at once (no login needed: the personal link is the
    proof). Recorded on the row, in the suppression list and in the audit trail; mail not yet
    sent is cancelled. False when it was already stopped."""
    now = clock.now()
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if locked.status == Subscriber.Status.UNSUBSCRIBED:
            return False
        was = locked.status
        locked.unsubscribe_method = method
        transition(
            locked,
            Subscriber.Status.UNSUBSCRIBED,
            actor=actor,
            reason=reason or SELF_UNSUBSCRIBE_REASON,
            at=now,
            action="subscriber.unsubscribe",
            changes={"method": method},
        )
        if was != Subscriber.Status.BOUNCED:
            _suppress(locked, SuppressionReason.UNSUBSCRIBED, str(method), now)
        _outbox_pending_cancel(locked, SkipReason.UNSUBSCRIBED)
    return True


def subscriber_bounce(*, subscriber: Subscriber, detail: str) -> bool:
    """A permanent delivery failure (SMTP 5xx) for the address: no further announcement goes to
    it until the person confirms a new subscription on the subscribe page."""
    now = clock.now()
    with transaction.atomic():
        locked = Subscriber.objects.select_for_update().get(pk=subscriber.pk)
        if locked.status != Subscriber.Status.ACTIVE:
            return False
        locked.bounce_reason = detail[:300]
        transition(
            locked,
            Subscriber.Status.BOUNCED,
            actor=None,
            reason=_("メールサーバーが宛先を受け付けませんでした（恒久的なエラー）"),
            at=now,
            action="subscriber.bounce",
        )
        _suppress(locked, SuppressionReason.BOUNCED, detail, now)
        _outbox_pending_cancel(locked, SkipReason.SUPPRESSED)
    return True


def subscribers_bounces_record() -> int:
    """Bounce every active subscriber whose address failed for good (SMTP 5xx) in any outbox
    mail since they opted in: a seminar confirmation that bounced counts as much as an
    announcement. Safe to run twice."""
    from django.db.models import Exists

    from .selectors import permanent_failures_since_activation

    count = 0
    bounced = Subscriber.objects.filter(status=Subscriber.Status.ACTIVE).filter(
        Exists(permanent_failures_since_activation())
    )
    for subscriber in bounced[:1000]:
        failure = (
            OutboundEmail.objects.filter(
                status=OutboundEmail.Status.FAILED, to__iexact=subscriber.email
            )
            .order_by("-failed_at")
            .values_list("last_error", flat=True)
            .first()
        )
        if subscriber_bounce(subscriber=subscriber, detail=_redacted(failure or "")):
            count += 1
    return count


def _redacted(text: str) -> str:
    from kosha_portal.logging import redact

    return redact(text)[:300]


# --- announcements ---------------------------------------------------------------------------------


def _refuse_unless_draft(announcement: Announcement) -> None:
    if announcement.status != Announcement.Status.DRAFT:
        raise DomainError(
            _("送信予約済み・送信済みのお知らせメールは変更できません。"), code="not_draft"
        )


def announcement_validate(announcement: Announcement) -> None:
    """What must hold before an announcement may be sent: a subject, a text body and a
    meaningful audience."""
    if not announcement.subject.strip():
        raise DomainError(_("件名を入力してください。"), field="subject")
    if not announcement.body_text.strip():
        raise DomainError(_("本文（テキスト）を入力してください。"), field="body_text")
    audience = Audience.of(announcement)
    if not audience.everyone and not audience.has_filter:
        raise DomainError(
            _("配信先の条件を1つ以上選ぶか、「すべての登録者に送る」を選んでください。"),
            field="audience_all",
        )


def announcement_save(*, announcement: Announcement, actor, changed: list[str] = ()) -> None:
    """Create or update a draft (the composer's save)."""
    with transaction.atomic():
        if announcement.pk:
            current = Announcement.objects.select_for_update().get(pk=announcement.pk)
            _refuse_unless_draft(current)
        else:
            announcement.created_by = actor if getattr(actor, "is_authenticated", False) else None
        announcement.save()
        audit_record(
            actor=actor,
            action="announcement.save",
            obj=announcement,
            changes={"fields": list(changed) or ["__created__"]},
        )


def announcement_test_send(*, announcement: Announcement, actor) -> OutboundEmail:
    """Send the announcement as it will look to the staff member's own address, marked as a
    test; its unsubscribe links open the "invalid link" page."""
    address = normalise_address(getattr(actor, "email", ""))
    if not address:
        raise DomainError(
            _(
                "ご自分のアカウントにメールアドレスが登録されていないため、テスト送信できません。"
                "管理者にメールアドレスの登録を依頼してください。"
            ),
            code="no_email",
        )
    announcement_validate(announcement)
    with transaction.atomic():
        context = emails.announcement_context(announcement, token=emails.TEST_TOKEN, test=True)
        email = email_enqueue(
            to=address,
            template=emails.TEMPLATE,
            context=context,
            language="ja",
            headers=emails.unsubscribe_headers(emails.TEST_TOKEN),
            related=announcement,
        )
        audit_record(actor=actor, action="announcement.test_send", obj=announcement)
    return email


def announcement_schedule(
    *, announcement: Announcement, send_at: datetime.datetime | None, expected: int, actor
) -> Announcement:
    """Staff confirmed the send (after seeing its recipients' count): now, or at ``send_at``.
    From here it cannot be edited; a scheduled one can still be cancelled."""
    now = clock.now()
    when = send_at or now
    if when < now - datetime.timedelta(minutes=1):
        raise DomainError(
            _("送信日時が過去になっています。これからの日時を指定してください。"),
            field="send_at",
        )
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        _refuse_unless_draft(locked)
        announcement_validate(locked)
        locked.send_at = when
        locked.expected_recipients = expected
        locked.scheduled_by = actor if getattr(actor, "is_authenticated", False) else None
        transition(
            locked,
            Announcement.Status.SCHEDULED,
            actor=actor,
            at=now,
            action="announcement.schedule",
            changes={"send_at": when.isoformat(), "expected": expected},
        )
        if when <= now:
            from .tasks import announcement_send_all

            transaction.on_commit(lambda: announcement_send_all(locked.pk), robust=True)
    return locked


def announcement_unschedule(*, announcement: Announcement, reason: str, actor) -> Announcement:
    """Take a scheduled announcement back to a draft (to correct it) before it starts."""
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        locked.send_at = None
        locked.expected_recipients = None
        transition(
            locked,
            Announcement.Status.DRAFT,
            actor=actor,
            reason=reason,
            action="announcement.unschedule",
        )
    return locked


def announcement_cancel(*, announcement: Announcement, reason: str, actor) -> Announcement:
    """Cancel a scheduled announcement, or stop one being sent: what has not gone out yet is
    cancelled (mail already delivered cannot be recalled). Needs a reason."""
    now = clock.now()
    with transaction.atomic():
        locked = Announcement.objects.select_for_update().get(pk=announcement.pk)
        locked.cancel_reason = (reason or "").strip()[:500]
        was = locked.status
        transition(
            locked,
            Announcement.Status.CANCELLED,
            actor=actor,
            reason=reason,
            at=now,
            action="announcement.cancel",
        )
        if was == Announcement.Status.SENDING:
            waiting = OutboundEmail.objects.select_for_update(skip_locked=True).filter(
                announcement_recipient__announcement=locked,
                status=OutboundEmail.Status.PENDING,
            )
            for email in waiting:
                transition(email, OutboundEmail.Status.CANCELLED, actor=None, audit=False)
            locked.recipients.filter(skipped_at__isnull=True).filter(
                Q(email__isnull=True) | Q(email__status=OutboundEmail.Status.CANCELLED)
            ).update(skipped_at=now, skip_reason=SkipReason.CANCELLED)
    return locked


def announcement_start(*, announcement_id: int) -> Announcement | None:
    """Start a scheduled announcement whose time has come: freeze its recipients (the audience
    as it is now: whoever unsubscribed since it was scheduled is left out) and move it to
    sending. None when it is not (or no longer) due."""
    now = clock.now()
    with transaction.atomic():
        locked = (
            Announcement.objects.select_for_update(skip_locked=True)
            .filter(pk=announcement_id, status=Announcement.Status.SCHEDULED, send_at__lte=now)
            .first()
        )
        if locked is None:
            return None
        subscribers = audience_subscribers(Audience.of(locked)).values_list("pk", flat=True)
        ids = list(subscribers.order_by("pk"))
        AnnouncementRecipient.objects.bulk_create(
            [AnnouncementRecipient(announcement=locked, subscriber_id=pk) for pk in ids],
            batch_size=1000,
        )
        locked.recipient_count = len(ids)
        transition(
            locked,
            Announcement.Status.SENDING,
            actor=None,
            at=now,
            action="announcement.start",
            changes={"recipients": len(ids)},
        )
    return locked


def announcement_finish(*, announcement: Announcement) -> bool:
    """Mark a sending announcement as sent once every recipient has an outcome."""
    from .selectors import announcement_progress

    with transaction.atomic():
        locked = (
            Announcement.objects.select_for_update()
            .filter(pk=announcement.pk, status=Announcement.Status.SENDING)
            .first()
        )
        if locked is None:
            return False
        progress = announcement_progress(locked)
        if progress.waiting:
            return False
        transition(
            locked,
            Announcement.Status.SENT,
            actor=None,
            action="announcement.finish",
            changes={
                "sent": progress.sent,
                "failed": progress.failed,
                "skipped": progress.skipped,
            },
        )
    return True


def due_announcement_ids(*, now=None) -> list[int]:
    now = now or clock.now()
    return list(
        Announcement.objects.filter(status=Announcement.Status.SCHEDULED, send_at__lte=now)
        .order_by("send_at", "pk")
        .values_list("pk", flat=True)
    )


def unattended_slots(*, now=None) -> list[tuple[int, int]]:
    """(announcement, slot) of the senders of announcements being sent that no worker holds:
    never taken, or their lease expired (the worker died)."""
    from .models import SenderLease

    now = now or clock.now()
    held = set(
        SenderLease.objects.filter(
            announcement__status=Announcement.Status.SENDING, expires_at__gte=now
        ).values_list("announcement_id", "slot")
    )
    sending = Announcement.objects.filter(status=Announcement.Status.SENDING).order_by("pk")
    return [
        (pk, slot)
        for pk in sending.values_list("pk", flat=True)
        for slot in range(max(1, settings.ANNOUNCEMENT_SENDERS))
        if (pk, slot) not in held
    ]
