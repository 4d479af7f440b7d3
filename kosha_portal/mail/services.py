"""The mail outbox: every email is a row; delivery is a separate, repeatable step."""

import base64
import logging
import smtplib
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import translation

from kosha_portal import clock
from kosha_portal.accounts.sealing import access_tokens_seal, access_tokens_unseal
from kosha_portal.workflow import transition

from .models import OutboundEmail

logger = logging.getLogger(__name__)


def current_language() -> str:
    """The active (request) language if the portal offers it, else Japanese: what a record keeps
    as its contact's language so later emails reach them in the language they used."""
    code = (translation.get_language() or settings.LANGUAGE_CODE).split("-")[0]
    return code if code in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def render_email(template: str, context: dict, language: str) -> tuple[str, str, str]:
    """Render ``<template>.subject.txt``, ``.txt`` and (if present) ``.html`` in ``language``."""
    context = {"SITE_URL": settings.SITE_URL, "PROGRAM": settings.PROGRAM, **context}
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


def email_enqueue(
    *,
    to: str,
    template: str,
    context: dict,
    language: str = "ja",
    dedupe_key: str | None = None,
    attachments: list[tuple[str, bytes, str]] = (),
    related=None,
    reply_to: str = "",
) -> OutboundEmail | None:
    """Write an email to the outbox and send it once the surrounding transaction commits.

    With ``dedupe_key`` an email already written under that key is not written again (returns
    None), which makes reminder jobs safe to run twice."""
    if dedupe_key and OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    subject, text, html = render_email(template, context, language)
    text, html = access_tokens_seal(text, html)
    email = OutboundEmail(
        to=to,
        reply_to=reply_to,
        language=language,
        template=template,
        subject=subject[:300],
        body_text=text,
        body_html=html,
        dedupe_key=dedupe_key,
        attachments=[
            {
                "filename": name,
                "mimetype": mimetype,
                "content": base64.b64encode(content).decode("ascii"),
            }
            for name, content, mimetype in attachments
        ],
        next_attempt_at=clock.now(),
    )
    if related is not None:
        email.content_type = ContentType.objects.get_for_model(related)
        email.object_id = str(related.pk)
    try:
        with transaction.atomic():
            email.save()
    except IntegrityError:
        if dedupe_key:  # a concurrent job wrote the same reminder first
            return None
        raise
    _send_after_commit(email.pk)
    return email


def _send_after_commit(email_id: int) -> None:
    from .tasks import outbound_email_send

    # robust: a broker outage must not turn a saved submission into an error page; the periodic
    # outbox_flush delivers whatever was not handed to a worker.
    transaction.on_commit(lambda: outbound_email_send.delay(email_id), robust=True)


def _build_message(email: OutboundEmail, connection) -> EmailMultiAlternatives:
    body_text, body_html = access_tokens_unseal(email.body_text, email.body_html)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        reply_to=[email.reply_to] if email.reply_to else None,
        headers={"Message-ID": email.message_id},
        connection=connection,
    )
    if body_html:
        message.attach_alternative(body_html, "text/html")
    for item in email.attachments:
        message.attach(item["filename"], base64.b64decode(item["content"]), item["mimetype"])
    return message


def outbound_email_deliver(*, email_id: int, connection=None) -> OutboundEmail | None:
    """Deliver one pending email; a second call for the same row delivers nothing.

    The row stays locked while the SMTP conversation runs, so two workers never both send it."""
    with transaction.atomic():
        email = (
            OutboundEmail.objects.select_for_update(skip_locked=True)
            .filter(pk=email_id, status=OutboundEmail.Status.PENDING)
            .first()
        )
        if email is None:
            return None
        try:
            _build_message(email, connection or get_connection()).send()
        except (smtplib.SMTPException, OSError) as exc:
            email.attempts += 1
            email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            if email.attempts >= settings.OUTBOX_MAX_ATTEMPTS:
                transition(email, OutboundEmail.Status.FAILED, actor=None, audit=False)
                logger.error(
                    "outbox email %s failed for good after %s attempts", email.pk, email.attempts
                )
            else:
                delay = settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** (email.attempts - 1)
                email.next_attempt_at = clock.now() + timedelta(seconds=delay)
                logger.warning(
                    "outbox email %s attempt %s failed; retry in %ss",
                    email.pk,
                    email.attempts,
                    delay,
                )
                email.save()
        else:
            email.attempts += 1
            email.last_error = ""
            # The outbox row is the delivery log; the change that wrote the email is audited.
            transition(email, OutboundEmail.Status.SENT, actor=None, audit=False)
        return email


def outbound_email_due_ids(*, now=None, limit: int = 200) -> list[int]:
    """Pending emails whose (re)try time has come."""
    now = now or clock.now()
    return list(
        OutboundEmail.objects.filter(status=OutboundEmail.Status.PENDING, next_attempt_at__lte=now)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def outbound_email_retry(*, email: OutboundEmail, actor) -> None:
    """Staff put a failed (or cancelled) email back in the queue."""
    from kosha_portal.audit.services import audit_record

    with transaction.atomic():
        locked = OutboundEmail.objects.select_for_update().get(pk=email.pk)
        if locked.status == OutboundEmail.Status.SENT:
            return
        locked.attempts = 0
        locked.failed_at = None
        locked.next_attempt_at = clock.now()
        if locked.status == OutboundEmail.Status.PENDING:
            locked.save()
            audit_record(actor=actor, action="email.retry", obj=locked)
        else:
            transition(locked, OutboundEmail.Status.PENDING, actor=actor, action="email.retry")
        _send_after_commit(locked.pk)
