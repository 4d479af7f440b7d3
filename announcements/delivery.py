"""Sending an announcement through the outbox: in batches of at most ANNOUNCEMENT_BATCH_SIZE
(≤ 100) messages on one SMTP connection, at most ANNOUNCEMENT_RATE_PER_MINUTE, each recipient at
most once, resumable after a crash. docs/announcements.md tells the whole story; in short:

- One sender at a time holds the announcement's lease (renewed as it goes). When a worker dies
  its lease runs out and the periodic job's next run takes over.
- Each batch writes the outbox rows of its recipients (one row per recipient, dedupe key
  announcement + address hash) *reserved* for the sender: pending, due only after the lease
  period, so the outbox's own flush leaves them to the sender, yet delivers them if the sender
  never comes back.
- Each message is claimed on its own right before it is sent, in the same short transaction that
  checks the recipient again (still subscribed, not suppressed, the announcement not cancelled).
- At most once: the message is handed over (a mark committed on the recipient) after its content
  and before the end of DATA. A worker killed before the mark: the server never saw the end of
  DATA and drops the message; the next sender sends it. Killed after the mark: it counts as
  delivered and is not sent again. An explicit refusal of the end of DATA (4xx/5xx) is a failure
  recorded as the outbox records it.
- Outcomes are recorded with the outbox's own steps (sent right after the 250; failures with
  backoff or for good; a 5xx bounces the subscriber)."""

import logging
import re
import secrets
import smtplib
import socket
import time
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import get_connection
from django.core.mail.message import sanitize_address
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q

from kosha_portal import clock
from kosha_portal.mail.failures import exception_reason
from kosha_portal.mail.models import OutboundEmail

# The outbox's own delivery steps (build the message; record the outcome by compare-and-set on
# the claim), so that an announcement's rows move exactly as every other outbox row does.
from kosha_portal.mail.services import (
    _build_message,
    _close_quietly,
    _is_permanent,
    _record_failure,
    _record_sent,
    render_email,
)
from kosha_portal.workflow import transition

from . import emails
from .models import (
    Announcement,
    AnnouncementRecipient,
    SenderLease,
    SkipReason,
    Subscriber,
    Suppression,
)
from .selectors import deliverable_subscribers

logger = logging.getLogger(__name__)

MAX_PER_CONNECTION = 100
UNKNOWN_OUTCOME_NOTE = (
    "outcome unknown: the sender stopped after handing the message over; "
    "counted as delivered and not sent again (at most once)"
)


@dataclass
class BatchResult:
    """What one run did: ``more`` when the sender should go on at once."""

    announcement_id: int
    lease: str | None
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    more: bool = False
    stopped: str = ""


def batch_size() -> int:
    size = max(1, min(settings.ANNOUNCEMENT_BATCH_SIZE, MAX_PER_CONNECTION))
    rate = settings.ANNOUNCEMENT_RATE_PER_MINUTE / max(1, settings.ANNOUNCEMENT_SENDERS)
    if rate > 0:
        # A batch must end well inside the lease, or another sender would take over mid-batch.
        size = min(size, max(1, int(rate / 60 * settings.ANNOUNCEMENT_SENDER_LEASE_SECONDS / 3)))
    return size


def _lease_seconds() -> int:
    return settings.ANNOUNCEMENT_SENDER_LEASE_SECONDS


# --- the lease -------------------------------------------------------------------------------------


def lease_take(*, announcement_id: int, lease: str | None = None, slot: int = 0) -> str | None:
    """Renew ``lease`` if it is still ours, or take sender ``slot`` when nobody holds it (never
    taken, or its lease expired: its worker died). Taking a slot over first recovers what a dead
    sender left in flight. None when the announcement is not being sent or the slot is held."""
    now = clock.now()
    until = now + timedelta(seconds=_lease_seconds())
    if not Announcement.objects.filter(
        pk=announcement_id, status=Announcement.Status.SENDING
    ).exists():
        return None
    leases = SenderLease.objects.filter(announcement_id=announcement_id, slot=slot)
    if lease:
        return lease if leases.filter(token=lease).update(expires_at=until) else None
    token = secrets.token_hex(16)
    if not leases.filter(expires_at__lt=now).update(token=token, expires_at=until):
        try:
            with transaction.atomic():
                SenderLease.objects.create(
                    announcement_id=announcement_id, slot=slot, token=token, expires_at=until
                )
        except IntegrityError:  # held by a live sender
            return None
    orphans_recover(announcement_id=announcement_id)
    return token


def lease_release(*, announcement_id: int, lease: str | None, slot: int = 0) -> None:
    if lease:
        SenderLease.objects.filter(announcement_id=announcement_id, slot=slot, token=lease).update(
            expires_at=clock.now()
        )


def orphans_recover(*, announcement_id: int) -> int:
    """Messages a dead sender left in flight (claimed longer ago than the lease): handed over →
    counted as delivered (at most once); not handed over → the server dropped them, back in the
    queue for the next sender."""
    now = clock.now()
    # The dead sender renewed its lease before every message once a third of it had passed, so
    # each of its claims is at least two thirds of a lease old by the time the lease expired; a
    # message the outbox's own flush is sending right now is younger than that (checks.py).
    cutoff = now - timedelta(seconds=_lease_seconds() * 2 / 3)
    recovered = 0
    with transaction.atomic():
        orphans = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                announcement_recipient__announcement_id=announcement_id,
                status=OutboundEmail.Status.SENDING,
                claimed_at__lt=cutoff,
            )
            .select_related("announcement_recipient")
        )
        for email in orphans:
            recipient = email.announcement_recipient
            if recipient.handed_over_at is not None:
                email.last_error = UNKNOWN_OUTCOME_NOTE
                email.next_attempt_at = None
                transition(
                    email,
                    OutboundEmail.Status.SENT,
                    actor=None,
                    at=recipient.handed_over_at,
                    audit=False,
                )
            else:
                email.last_error = "requeued: the sender stopped before handing the message over"
                email.next_attempt_at = now
                transition(email, OutboundEmail.Status.PENDING, actor=None, audit=False)
            recovered += 1
    if recovered:
        logger.warning(
            "announcement %s: recovered %s message(s) in flight", announcement_id, recovered
        )
    return recovered


# --- writing a batch -------------------------------------------------------------------------------


def _due(announcement_id: int, now):
    """This announcement's pending rows any sender may take: due for a retry after a temporary
    failure, or written by a sender whose reservation ran out (it died before sending them).
    A live sender's own reserved rows are not due: it sends them itself."""
    return OutboundEmail.objects.filter(
        announcement_recipient__announcement_id=announcement_id,
        status=OutboundEmail.Status.PENDING,
        next_attempt_at__lte=now,
    )


def dedupe_key(announcement_id: int, subscriber: Subscriber) -> str:
    return f"announcement:{announcement_id}:{subscriber.email_hash[:40]}"


def _skip_reason(subscriber: Subscriber | None) -> str:
    if subscriber is None or subscriber.status == Subscriber.Status.UNSUBSCRIBED:
        return SkipReason.UNSUBSCRIBED
    return SkipReason.SUPPRESSED


class _Rendered:
    """The announcement rendered once per language with a placeholder where each recipient's
    unsubscribe token goes (the only difference between two recipients' messages): rendering
    5,000 times over would cost more than sending. The token is URL-safe, so it reads the same
    in the text, the escaped HTML and the mailto."""

    def __init__(self, announcement: Announcement):
        self.announcement = announcement
        self.placeholder = "tok" + secrets.token_hex(16)
        self.by_language: dict[str, tuple] = {}

    def for_subscriber(self, subscriber: Subscriber):
        language = subscriber.language
        if language not in self.by_language:
            message = emails.announcement_message(
                self.announcement, subscriber, token=self.placeholder
            )
            self.by_language[language] = (
                *render_email(message["template"], message["context"], language),
                message["headers"],
            )
        subject, text, html, headers = self.by_language[language]
        token = subscriber.unsubscribe_token

        def put(value: str) -> str:
            return value.replace(self.placeholder, token)

        return put(subject), put(text), put(html), {k: put(v) for k, v in headers.items()}


def batch_write(*, announcement: Announcement, limit: int) -> list[int]:
    """Write the outbox rows of the next ``limit`` recipients who have none yet (in one
    transaction), reserved for the calling sender; recipients no longer deliverable are marked
    skipped instead. Returns the ids of the rows written."""
    if limit <= 0:
        return []
    now = clock.now()
    with transaction.atomic():
        recipients = list(
            AnnouncementRecipient.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(announcement=announcement, email__isnull=True, skipped_at__isnull=True)
            .select_related("subscriber")
            .order_by("pk")[:limit]
        )
        if not recipients:
            return []
        deliverable = set(
            deliverable_subscribers()
            .filter(pk__in=[r.subscriber_id for r in recipients if r.subscriber_id])
            .values_list("pk", flat=True)
        )
        content_type = ContentType.objects.get_for_model(Subscriber)
        reserved_until = now + timedelta(seconds=_lease_seconds())
        rows, linked, skipped = [], [], []
        rendered = _Rendered(announcement)
        for recipient in recipients:
            subscriber = recipient.subscriber
            if subscriber is None or subscriber.pk not in deliverable:
                recipient.skipped_at = now
                recipient.skip_reason = _skip_reason(subscriber)
                skipped.append(recipient)
                continue
            subject, text, html, headers = rendered.for_subscriber(subscriber)
            rows.append(
                OutboundEmail(
                    to=subscriber.email,
                    language=subscriber.language,
                    template=emails.TEMPLATE,
                    subject=subject[:300],
                    body_text=text,
                    body_html=html,
                    headers=headers,
                    dedupe_key=dedupe_key(announcement.pk, subscriber),
                    next_attempt_at=reserved_until,
                    content_type=content_type,
                    object_id=str(subscriber.pk),
                )
            )
            linked.append(recipient)
        OutboundEmail.objects.bulk_create(rows)
        for recipient, row in zip(linked, rows, strict=True):
            recipient.email = row
        AnnouncementRecipient.objects.bulk_update(linked, ["email"])
        AnnouncementRecipient.objects.bulk_update(skipped, ["skipped_at", "skip_reason"])
    return [row.pk for row in rows]


# --- sending one message ---------------------------------------------------------------------------


def _claim(email_id: int):
    """Claim one reserved (or due) row and check its recipient again, in one short transaction
    (one query reads the row, its subscriber's state and whether the address is on the
    suppression list): (email, recipient) to send, or None (taken elsewhere, or skipped).

    A pending row is also how an unsubscription, a bounce or a cancelled announcement reaches
    the sender: each of them cancels the announcement's pending rows in its own transaction."""
    now = clock.now()
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
            .filter(Q(attempts=0) | Q(next_attempt_at__lte=now))
            .select_related("announcement_recipient__subscriber")
            .annotate(
                suppressed=Exists(
                    Suppression.objects.filter(
                        address_hash=OuterRef("announcement_recipient__subscriber__email_hash")
                    )
                )
            )
            .first()
        )
        if email is None:
            return None
        recipient = email.announcement_recipient
        subscriber = recipient.subscriber
        if subscriber is None or subscriber.status != Subscriber.Status.ACTIVE or email.suppressed:
            transition(email, OutboundEmail.Status.CANCELLED, actor=None, audit=False)
            recipient.skipped_at = now
            recipient.skip_reason = _skip_reason(subscriber)
            recipient.save(update_fields=["skipped_at", "skip_reason"])
            return None
        email.claimed_at = now
        email.attempts += 1
        transition(email, OutboundEmail.Status.SENDING, actor=None, audit=False)
    return email, recipient


class _HandOver:
    """The mark that makes a message count as delivered: committed before the end of DATA."""

    def __init__(self, recipient: AnnouncementRecipient):
        self.recipient = recipient
        self.done = False

    def __call__(self):
        AnnouncementRecipient.objects.filter(pk=self.recipient.pk).update(
            handed_over_at=clock.now()
        )
        self.done = True

    def undo(self):
        if self.done:
            AnnouncementRecipient.objects.filter(pk=self.recipient.pk).update(handed_over_at=None)
            self.done = False


def _smtp_of(connection) -> smtplib.SMTP | None:
    smtp = getattr(connection, "connection", None)
    return smtp if isinstance(smtp, smtplib.SMTP) else None


def send_handing_over(connection, message, hand_over) -> None:
    """Send ``message`` on the open ``connection``, calling ``hand_over`` after its content and
    before the end of DATA. Raises what the server answered (as smtplib's exceptions) or what
    broke the connection. Backends without SMTP (files, memory) hand over, then send."""
    smtp = _smtp_of(connection)
    if smtp is None:
        hand_over()
        if connection.send_messages([message]) != 1:
            raise smtplib.SMTPException("the mail backend did not send the message")
        return
    encoding = message.encoding or settings.DEFAULT_CHARSET
    sender = sanitize_address(message.from_email, encoding)
    recipients = [sanitize_address(address, encoding) for address in message.recipients()]
    data = message.message().as_bytes(linesep="\r\n")
    if smtp.sock is not None:
        # The content and the end of DATA are two writes with a database commit between them:
        # without this, Nagle's algorithm holds the second until the first is acknowledged.
        smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    smtp.ehlo_or_helo_if_needed()
    options = [f"size={len(data)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
    code, reply = smtp.mail(sender, options)
    if code != 250:
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {}
    for address in recipients:
        code, reply = smtp.rcpt(address)
        if code not in (250, 251):
            refused[address] = (code, reply)
    if refused:
        raise smtplib.SMTPRecipientsRefused(refused)
    code, reply = smtp.docmd("data")
    if code != 354:
        raise smtplib.SMTPDataError(code, reply)
    body = re.sub(rb"(?m)^\.", b"..", data)
    if not body.endswith(b"\r\n"):
        body += b"\r\n"
    smtp.send(body)
    try:
        hand_over()
    except BaseException:
        # Without the end of DATA the server discards the message; the connection is unusable.
        smtp.close()
        raise
    smtp.send(b".\r\n")
    code, reply = smtp.getreply()
    if code != 250:
        raise smtplib.SMTPDataError(code, reply)


def _connection_lost(exc: Exception) -> bool:
    if isinstance(exc, smtplib.SMTPServerDisconnected | OSError):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and exc.smtp_code == 421


def _is_open(connection) -> bool:
    smtp = _smtp_of(connection)
    return smtp is None or getattr(smtp, "sock", None) is not None


def _reset(connection) -> bool:
    smtp = _smtp_of(connection)
    if smtp is None:
        return True
    try:
        smtp.rset()
    except Exception:  # noqa: BLE001 - a connection that cannot reset is not reused
        return False
    return True


def deliver_one(*, email_id: int, connection) -> str:
    """Claim, check again and send one message on ``connection``: ``sent``, ``failed``,
    ``retry``, ``skipped`` or ``lost`` (the connection broke: stop this batch)."""
    claimed = _claim(email_id)
    if claimed is None:
        return "skipped"
    email, recipient = claimed
    hand_over = _HandOver(recipient)
    phase = "build"
    try:
        message = _build_message(email, connection)
        phase = "send"
        send_handing_over(connection, message, hand_over)
    except Exception as exc:  # noqa: BLE001 - every failure is this attempt's outcome
        refused_at_end = isinstance(exc, smtplib.SMTPResponseException) and not _connection_lost(
            exc
        )
        if hand_over.done and not refused_at_end:
            # The end of DATA may have reached the server: at most once, so it is not resent.
            _record_sent(email)
            OutboundEmail.objects.filter(pk=email.pk).update(
                last_error=UNKNOWN_OUTCOME_NOTE + f" ({exception_reason(exc)})"
            )
            return "lost" if _connection_lost(exc) else "sent"
        hand_over.undo()
        permanent = phase == "send" and _is_permanent(exc)
        delivery = _record_failure(email, exc, permanent=permanent, phase=phase)
        if delivery.outcome == "failed" and permanent and recipient.subscriber is not None:
            from .services import subscriber_bounce

            subscriber_bounce(subscriber=recipient.subscriber, detail=delivery.reason)
        lost = _connection_lost(exc) or not _is_open(connection)
        if lost or (phase == "send" and not _reset(connection)):
            return "lost"
        return "failed" if delivery.outcome == "failed" else "retry"
    _record_sent(email)
    return "sent"


# --- one run -----------------------------------------------------------------------------------------


class _Pace:
    """At most ANNOUNCEMENT_RATE_PER_MINUTE messages (0: as fast as the server takes them)."""

    def __init__(self):
        rate = settings.ANNOUNCEMENT_RATE_PER_MINUTE / max(1, settings.ANNOUNCEMENT_SENDERS)
        self.interval = 60.0 / rate if rate > 0 else 0.0
        self.next_at = time.monotonic()

    def wait(self):
        if not self.interval:
            return
        delay = self.next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        self.next_at = max(self.next_at, time.monotonic()) + self.interval


def _release(ids: list[int]) -> None:
    """Rows this sender reserved and did not try: due at once, for whichever sender (or the
    outbox's flush) comes next."""
    if ids:
        OutboundEmail.objects.filter(
            pk__in=ids, status=OutboundEmail.Status.PENDING, attempts=0
        ).update(next_attempt_at=clock.now())


def announcement_send_batch(
    *, announcement_id: int, lease: str | None = None, slot: int = 0
) -> BatchResult:
    """One batch of one announcement as sender ``slot``: take (or renew) the slot's lease, write
    the next recipients' rows, send them (and any due retries) on one SMTP connection, and say
    whether more is to do. Safe to run twice: a second worker finds the slot held."""
    from .services import announcement_finish

    lease = lease_take(announcement_id=announcement_id, lease=lease, slot=slot)
    result = BatchResult(announcement_id, lease)
    if lease is None:
        result.stopped = "slot held elsewhere, or not sending"
        return result
    announcement = Announcement.objects.get(pk=announcement_id)
    size = batch_size()
    ids = list(
        _due(announcement_id, clock.now()).order_by("pk").values_list("pk", flat=True)[:size]
    )
    ids += batch_write(announcement=announcement, limit=size - len(ids))
    if not ids:
        announcement_finish(announcement=announcement)
        lease_release(announcement_id=announcement_id, lease=lease, slot=slot)
        result.stopped = "nothing to send now"
        return result

    connection = get_connection()
    try:
        connection.open()
    except Exception as exc:  # noqa: BLE001 - the server is down: the periodic job tries again
        logger.warning(
            "announcement %s: the mail server cannot be reached: %s",
            announcement_id,
            exception_reason(exc),
        )
        _close_quietly(connection)
        _release(ids)
        lease_release(announcement_id=announcement_id, lease=lease, slot=slot)
        result.stopped = "unreachable"
        return result

    pace = _Pace()
    renewed = time.monotonic()
    tried = 0
    try:
        for email_id in ids:
            if time.monotonic() - renewed > _lease_seconds() / 3:
                if lease_take(announcement_id=announcement_id, lease=lease, slot=slot) is None:
                    result.stopped = "lease lost"
                    break
                renewed = time.monotonic()
            pace.wait()
            outcome = deliver_one(email_id=email_id, connection=connection)
            tried += 1
            if outcome == "sent":
                result.sent += 1
            elif outcome in ("failed", "retry"):
                result.failed += 1
            elif outcome == "skipped":
                result.skipped += 1
            elif outcome == "lost":
                result.stopped = "connection lost"
                break
    finally:
        _close_quietly(connection)
    _release(ids[tried:])

    if result.stopped == "lease lost":
        return result
    announcement.refresh_from_db(fields=["status"])
    still_sending = announcement.status == Announcement.Status.SENDING
    pending = _due(announcement_id, clock.now()).exists() or (
        AnnouncementRecipient.objects.filter(
            announcement_id=announcement_id, email__isnull=True, skipped_at__isnull=True
        ).exists()
    )
    result.more = still_sending and pending
    if not result.more:
        announcement_finish(announcement=announcement)
        lease_release(announcement_id=announcement_id, lease=lease, slot=slot)
    return result
