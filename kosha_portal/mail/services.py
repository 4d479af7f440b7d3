"""The mail outbox: every email is a row; delivery is a separate, repeatable step."""

import base64
import logging
import re
import smtplib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from email.mime.image import MIMEImage
from typing import TypeVar

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import SafeMIMEMultipart
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.utils import translation

from kosha_portal import clock
from kosha_portal.accounts.sealing import access_tokens_seal, access_tokens_unseal

from .failures import exception_reason, smtp_code
from .models import OutboundEmail

logger = logging.getLogger(__name__)

T = TypeVar("T")

# Headers the outbox writes itself (or the mail backend does): an extra header may not replace or
# repeat them, so a caller cannot change who a message is from or to, or its identity.
RESERVED_HEADERS = frozenset(
    name.lower()
    for name in (
        "From",
        "To",
        "Cc",
        "Bcc",
        "Reply-To",
        "Subject",
        "Date",
        "Message-ID",
        "Sender",
        "Return-Path",
        "MIME-Version",
        "Content-Type",
        "Content-Transfer-Encoding",
    )
)
_HEADER_NAME = re.compile(r"^[!-9;-~]+$")  # RFC 5322 field name: printable ASCII except ":"


def extra_headers_clean(headers: dict | None) -> dict[str, str]:
    """``headers`` checked for a message of the outbox: names are RFC 5322 field names outside
    RESERVED_HEADERS, values single lines (a CR or LF would let a value start a header of its
    own). Raises ValueError for anything else: a programming error, never a user's input."""
    cleaned: dict[str, str] = {}
    for name, value in (headers or {}).items():
        name, value = str(name), str(value)
        if not _HEADER_NAME.match(name) or name.lower() in RESERVED_HEADERS:
            raise ValueError(f"the outbox does not accept the extra header {name!r}")
        if any(char in value for char in "\r\n\0"):
            raise ValueError(f"the extra header {name} has a line break in its value")
        if name.lower() in {n.lower() for n in cleaned}:
            raise ValueError(f"the extra header {name} is given twice")
        cleaned[name] = value
    return cleaned


def current_language() -> str:
    """The active (request) language if the portal offers it, else Japanese: what a record keeps
    as its contact's language so later emails reach them in the language they used."""
    code = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render_email(template: str, context: dict, language: str) -> tuple[str, str, str]:
    """Render ``<template>.subject.txt``, ``.txt`` and (if present) ``.html`` in ``language``."""
    context = {
        "SITE_URL": settings.SITE_URL,
        "PROGRAM": settings.PROGRAM,
        "SCHOOL_MAIL_SIGNATURE": settings.SCHOOL_CONTACT["name"],
        **context,
    }
    with translation.override(language):
        subject = " ".join(render_to_string(f"{template}.subject.txt", context).split())
        text = render_to_string(f"{template}.txt", context).strip() + "\n"
        try:
            html = render_to_string(f"{template}.html", context)
        except Exception as exc:  # noqa: BLE001
            from django.template import TemplateDoesNotExist

            if not isinstance(exc, TemplateDoesNotExist):
                raise
            html = ""
    return subject, text, html


def email_enqueue(*, dedupe_key: str | None = None, **fields) -> OutboundEmail | None:
    """Write an email to the outbox and send it once the surrounding transaction commits; its
    ``fields`` are ``email_build``'s.

    With ``dedupe_key`` an email already written under that key is not written again (returns
    None), which makes reminder jobs safe to run twice."""
    email = email_build(dedupe_key=dedupe_key, **fields)
    if email is None:
        return None
    if dedupe_key:
        try:
            with transaction.atomic():
                email.save()
        except IntegrityError:  # a concurrent job wrote the same reminder first
            return None
    else:
        email.save()
    email_send_after_commit(email)
    return email


def email_build(
    *,
    to: str,
    template: str,
    context: dict,
    language: str = "ja",
    dedupe_key: str | None = None,
    attachments: list[tuple[str, bytes, str]] = (),
    inline_images: list[tuple[str, str, bytes, str]] = (),
    related=None,
    reply_to: str = "",
    headers: dict[str, str] | None = None,
    links=(),
) -> OutboundEmail | None:
    """An email for the outbox, rendered and sealed but unsaved (None if one was written under its
    ``dedupe_key`` already): ``email_enqueue`` saves it, and a write that saves it together with
    other rows (``kosha_portal.database.insert_together``) then calls ``email_send_after_commit``.

    ``headers`` are extra header fields of this message (see ``extra_headers_clean``), sent with
    every attempt. ``inline_images`` are ``(content_id, filename, content, mimetype)`` images the
    HTML body shows as ``<img src="cid:content_id">``: they travel in a multipart/related part
    beside the HTML. ``links``: the ``(AccessLink, token)`` pairs the caller has just issued for
    this email, sealed without looking them up again."""
    headers = extra_headers_clean(headers)
    if dedupe_key and OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    subject, text, html = render_email(template, context, language)
    text, html = access_tokens_seal(text, html, known={token: link.pk for link, token in links})
    email = OutboundEmail(
        to=to,
        reply_to=reply_to,
        language=language,
        template=template,
        subject=subject[:300],
        body_text=text,
        body_html=html,
        dedupe_key=dedupe_key,
        headers=headers,
        attachments=[
            {
                "filename": name,
                "mimetype": mimetype,
                "content": base64.b64encode(content).decode("ascii"),
            }
            for name, content, mimetype in attachments
        ]
        + [
            {
                "filename": name,
                "mimetype": mimetype,
                "content": base64.b64encode(content).decode("ascii"),
                "cid": content_id,
            }
            for content_id, name, content, mimetype in inline_images
        ],
        next_attempt_at=clock.now(),
    )
    if related is not None:
        email.content_type = ContentType.objects.get_for_model(related)
        email.object_id = str(related.pk)
    return email


def email_send_after_commit(email: OutboundEmail) -> None:
    """Send ``email`` (saved, in the outbox) once the surrounding transaction commits."""
    _send_after_commit(email.pk)


def write_isolated(label: str, write: Callable[[], T]) -> T | None:
    """Run ``write`` in its own transaction for a periodic job that writes many independent rows
    (reminders, digests): what one raises is rolled back, logged under ``label`` (an id or a
    dedupe key, never personal data) and does not stop the others. Nothing of it is saved, so
    the job's next run tries it again."""
    try:
        with transaction.atomic():
            return write()
    except Exception as exc:  # noqa: BLE001 - one bad row must not drop the others
        logger.error("%s was not written: %s", label, exception_reason(exc))
        return None


# The outbox's wake-up: one per commit, whatever number of emails the transaction wrote, and
# none while another wake-up is already on its way to a worker (a flag in the cache, set with
# SET NX and cleared by the worker before it looks for due rows, so a row committed while the
# flag stands is found by that worker). The wake-up is an optimisation only: outbox_flush runs
# every minute and delivers whatever was written and not sent, so a lost wake-up (a broker or
# Redis outage, a worker killed) only delays the email.
WAKE_FLAG = "outbox:wake-pending"
WAKE_FLAG_SECONDS = 30  # a flag whose wake-up was lost stops suppressing new ones after this


class _Wake:
    """The on-commit callback of one transaction: the ids of the emails it wrote."""

    def __init__(self):
        self.ids: list[int] = []
        self.fired = False
        self.__qualname__ = "outbox wake-up"  # what Django logs when a robust callback fails

    def __call__(self):
        from django.core.cache import cache

        self.fired = True

        from .tasks import outbox_wake

        outage = getattr(cache, "outage", None)
        # While Redis is down the flag cannot be set: wake anyway rather than never.
        if cache.add(WAKE_FLAG, 1, timeout=WAKE_FLAG_SECONDS) or (outage and outage.is_down):
            try:
                outbox_wake.delay(self.ids)
            except Exception:
                cache.delete(WAKE_FLAG)  # the next commit tries again
                raise


def _send_after_commit(email_id: int) -> None:
    connection = transaction.get_connection()
    if connection.in_atomic_block:
        # Joined to the wake-up this transaction already has at the same savepoint (a rolled
        # back savepoint discards its wake-up with the rows it wrote).
        current = set(connection.savepoint_ids)
        for sids, callback, _robust in connection.run_on_commit:
            if isinstance(callback, _Wake) and sids == current and not callback.fired:
                callback.ids.append(email_id)
                return
    wake = _Wake()
    wake.ids.append(email_id)
    # robust: a broker outage must not turn a saved submission into an error page; the periodic
    # outbox_flush delivers whatever was not handed to a worker.
    transaction.on_commit(wake, robust=True)


def outbox_wake_flag_clear() -> None:
    from django.core.cache import cache

    cache.delete(WAKE_FLAG)


# --- delivery ------------------------------------------------------------------------------------
#
# A delivery is three steps, none of which holds a transaction or a row lock while waiting on the
# mail server: claim the row (SENDING, claimed_at, one more attempt) and commit; build the message
# and talk SMTP; record the outcome in a second short transaction. A worker killed in between
# leaves the row SENDING, and outbox_flush requeues it after OUTBOX_SENDING_TIMEOUT_SECONDS.
# docs/architecture.md ("Outbox") says what a crash can still do.


@dataclass(frozen=True)
class Delivery:
    """What one delivery attempt came to: ``sent``, ``retry`` (back in the queue after backoff),
    ``failed`` (for good) or ``unreachable`` (the server could not be reached at all; retried)."""

    email_id: int
    outcome: str
    reason: str = ""


def _due(now) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def _backoff_seconds(attempts: int) -> int:
    return settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)


def outbound_email_claim(*, email_id: int, now=None) -> OutboundEmail | None:
    """Claim one pending, due email for delivery and commit the claim at once; None when another
    worker holds it, it is not due, or it is no longer pending. The claim counts as an attempt."""
    now = now or clock.now()
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(_due(now), pk=email_id, status=OutboundEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return None
        email.status = OutboundEmail.Status.SENDING
        email.claimed_at = now
        email.attempts += 1
        email.save(update_fields=["status", "claimed_at", "attempts"])
    return email


def _claimed(email: OutboundEmail):
    """The row as long as it is still held by this claim (same attempt, same claim time)."""
    return OutboundEmail.objects.filter(
        pk=email.pk, attempts=email.attempts, claimed_at=email.claimed_at
    )


class _RelatedEmail(EmailMultiAlternatives):
    """An email whose HTML alternative shows inline images (``cid:`` references): the
    alternatives go into a multipart/related part together with the images, so that clients
    show them in the body rather than as attachments (RFC 2387)."""

    def __init__(self, *args, inline_images=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.inline_images = list(inline_images)

    def _create_alternatives(self, msg):
        msg = super()._create_alternatives(msg)
        if not self.inline_images:
            return msg
        related = SafeMIMEMultipart(
            _subtype="related", encoding=self.encoding or settings.DEFAULT_CHARSET
        )
        related.attach(msg)
        for content_id, filename, content, mimetype in self.inline_images:
            image = MIMEImage(content, _subtype=mimetype.partition("/")[2])
            image.add_header("Content-ID", f"<{content_id}>")
            image.add_header("Content-Disposition", "inline", filename=filename)
            related.attach(image)
        return related


def _build_message(email: OutboundEmail, connection) -> EmailMultiAlternatives:
    # The links' delivery tokens are derived from the Message-ID, so every attempt of this email
    # carries the same working link; their hashes are committed before the server sees DATA.
    with transaction.atomic():
        body_text, body_html = access_tokens_unseal(
            email.body_text, email.body_html, key=email.message_id
        )
    # Inline images belong to the HTML body: without one they are not sent at all.
    inline_images = [
        (item["cid"], item["filename"], base64.b64decode(item["content"]), item["mimetype"])
        for item in email.attachments
        if item.get("cid") and body_html
    ]
    message = _RelatedEmail(
        inline_images=inline_images,
        subject=email.subject,
        body=body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        # The extra headers were checked when the row was written; checked again here because a
        # row may have been written another way, and a bad one must fail before a connection.
        headers={**extra_headers_clean(email.headers), "Message-ID": email.message_id},
        connection=connection,
    )
    if body_html:
        message.attach_alternative(body_html, "text/html")
    for item in email.attachments:
        if item.get("cid"):
            continue
        message.attach(item["filename"], base64.b64decode(item["content"]), item["mimetype"])
    # Encode now: a message that cannot be encoded fails before a connection is opened.
    message.message().as_bytes()
    return message


def _close_quietly(connection) -> None:
    try:
        connection.close()
    except Exception as exc:  # noqa: BLE001 - the outcome is recorded; QUIT is a courtesy
        logger.info("outbox: closing the mail connection failed: %s", exception_reason(exc))


def _record_sent(email: OutboundEmail) -> Delivery:
    # Also when the row was requeued meanwhile (a slow server, not a dead worker) but not yet
    # claimed again: it was delivered, and must not go out a second time.
    updated = (
        _claimed(email)
        .exclude(status=OutboundEmail.Status.SENT)
        .update(
            status=OutboundEmail.Status.SENT,
            sent_at=clock.now(),
            last_error="",
            next_attempt_at=None,
        )
    )
    if not updated:
        logger.warning(
            "outbox email %s was delivered by attempt %s after another attempt had claimed it",
            email.pk,
            email.attempts,
        )
    return Delivery(email.pk, "sent")


def _record_failure(email: OutboundEmail, exc: Exception, *, permanent: bool, phase: str):
    reason = exception_reason(exc)
    now = clock.now()
    with transaction.atomic():
        row = (
            _claimed(email).select_for_update().filter(status=OutboundEmail.Status.SENDING).first()
        )
        if row is None:  # requeued and claimed again meanwhile: that attempt owns the row
            logger.warning(
                "outbox email %s attempt %s failed late: %s", email.pk, email.attempts, reason
            )
            return Delivery(email.pk, "retry", reason)
        row.last_error = reason
        if permanent or row.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
            row.status = OutboundEmail.Status.FAILED
            row.failed_at = now
            row.next_attempt_at = None
            outcome = "failed"
        else:
            row.status = OutboundEmail.Status.PENDING
            row.next_attempt_at = now + timedelta(seconds=_backoff_seconds(row.attempts))
            outcome = "unreachable" if phase == "connect" else "retry"
        row.save(update_fields=["last_error", "status", "failed_at", "next_attempt_at"])
    if outcome == "failed":
        logger.error(
            "outbox email %s failed for good after %s attempt(s): %s",
            email.pk,
            row.attempts,
            reason,
        )
    else:
        logger.warning(
            "outbox email %s attempt %s failed (%s); next try at %s",
            email.pk,
            row.attempts,
            reason,
            row.next_attempt_at.isoformat(),
        )
    return Delivery(email.pk, outcome, reason)


def _is_permanent(exc: Exception) -> bool:
    """A 5xx reply to this message's envelope or content: sending it again cannot help."""
    code = smtp_code(exc)
    return code is not None and 500 <= code < 600


def outbound_email_deliver(*, email_id: int) -> Delivery | None:
    """Deliver one pending email; None when there was nothing to do (already sent, claimed by
    another worker, or not due). Never raises for a delivery problem: every exception counts as
    an attempt and is recorded with its reason."""
    email = outbound_email_claim(email_id=email_id)
    if email is None:
        return None
    connection = get_connection()
    phase = "build"
    try:
        message = _build_message(email, connection)
        phase = "connect"  # greeting, EHLO, STARTTLS, login: nothing about this message yet
        connection.open()
        phase = "send"  # MAIL, RCPT, DATA
        if connection.send_messages([message]) != 1:
            raise smtplib.SMTPException("the mail backend did not send the message")
    except Exception as exc:  # noqa: BLE001 - any failure is this attempt's outcome
        _close_quietly(connection)
        return _record_failure(
            email, exc, permanent=phase == "send" and _is_permanent(exc), phase=phase
        )
    # Recorded right after the server's 250 for DATA, before QUIT: a QUIT that fails or never
    # comes does not make a delivered message look undelivered.
    delivery = _record_sent(email)
    _close_quietly(connection)
    return delivery


def outbound_email_requeue_stuck(*, now=None) -> int:
    """Put back in the queue every email left SENDING longer than OUTBOX_SENDING_TIMEOUT_SECONDS
    (its worker was killed or lost its database connection); one that used its last attempt is
    marked failed."""
    now = now or clock.now()
    cutoff = now - timedelta(seconds=settings.OUTBOX_SENDING_TIMEOUT_SECONDS)
    with transaction.atomic():
        stuck = list(
            OutboundEmail.objects.select_for_update(skip_locked=True).filter(
                status=OutboundEmail.Status.SENDING, claimed_at__lt=cutoff
            )
        )
        for email in stuck:
            email.last_error = (
                f"no outcome recorded within {settings.OUTBOX_SENDING_TIMEOUT_SECONDS}s of "
                f"attempt {email.attempts} (worker stopped?); requeued"
            )
            if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                email.status = OutboundEmail.Status.FAILED
                email.failed_at = now
                email.next_attempt_at = None
            else:
                email.status = OutboundEmail.Status.PENDING
                email.next_attempt_at = now
            email.save(update_fields=["last_error", "status", "failed_at", "next_attempt_at"])
            logger.warning(
                "outbox email %s was in flight since %s without an outcome; now %s",
                email.pk,
                email.claimed_at.isoformat(),
                email.status,
            )
    return len(stuck)


def outbound_email_due_ids(*, now=None, limit: int = 200) -> list[int]:
    """Pending emails whose (re)try time has come, longest waiting first."""
    now = now or clock.now()
    return list(
        OutboundEmail.objects.filter(_due(now), status=OutboundEmail.Status.PENDING)
        .order_by(F("next_attempt_at").asc(nulls_first=True), "pk")
        .values_list("pk", flat=True)[:limit]
    )


RETRYABLE = (
    OutboundEmail.Status.FAILED,
    OutboundEmail.Status.CANCELLED,
    OutboundEmail.Status.PENDING,
)


def outbound_email_retry(*, email: OutboundEmail, actor) -> bool:
    """Staff put a failed (or cancelled, or waiting) email back in the queue to be sent now, with
    a fresh set of attempts; False for one that is sent or being sent."""
    from kosha_portal.audit.services import audit_record

    with transaction.atomic():
        locked = OutboundEmail.objects.select_for_update().get(pk=email.pk)
        if locked.status not in RETRYABLE:
            return False
        previous = {"status": locked.status, "attempts": locked.attempts}
        locked.status = OutboundEmail.Status.PENDING
        locked.attempts = 0
        locked.failed_at = None
        locked.next_attempt_at = clock.now()
        locked.save(update_fields=["status", "attempts", "failed_at", "next_attempt_at"])
        audit_record(actor=actor, action="email.retry", obj=locked, changes=previous)
        _send_after_commit(locked.pk)
    return True
