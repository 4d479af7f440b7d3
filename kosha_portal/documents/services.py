import logging
from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F, Q

from kosha_portal import clock
from kosha_portal.audit.services import audit_record
from kosha_portal.mail.failures import exception_reason

from .models import GeneratedDocument

logger = logging.getLogger(__name__)


def document_request(
    *,
    kind: str,
    template: str,
    context: dict,
    filename: str,
    related=None,
    actor=None,
    language: str = "ja",
) -> GeneratedDocument:
    """Freeze ``context`` (JSON-serialisable) and render the PDF in a task after commit."""
    document = GeneratedDocument.objects.create(
        kind=kind,
        template=template,
        context=context,
        filename=filename,
        language=language,
        content_type=ContentType.objects.get_for_model(related) if related is not None else None,
        object_id=str(related.pk) if related is not None else "",
    )
    audit_record(actor=actor, action="document.request", obj=document)
    from .tasks import document_render

    # robust: a broker outage must not fail the business change; documents_render_pending
    # renders whatever was not handed to a worker.
    transaction.on_commit(lambda: document_render.delay(document.pk), robust=True)
    return document


# --- rendering -----------------------------------------------------------------------------------
#
# Claim the row (RENDERING, claimed_at, one more attempt) and commit; render with WeasyPrint and
# write the file outside any transaction; record the outcome in a second short transaction that
# only applies while the claim is still ours. A worker killed mid-render leaves the row RENDERING;
# documents_render_pending requeues it after PDF_RENDER_TIMEOUT_SECONDS.

# A freshly requested document is left to its own task this long before the sweep renders it.
SWEEP_GRACE_SECONDS = 120


def _due(now) -> Q:
    return Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)


def document_claim(*, document_id: int, now=None) -> GeneratedDocument | None:
    """Claim one pending, due document for rendering and commit the claim; None when another
    worker holds it or there is nothing to render. The claim counts as an attempt."""
    now = now or clock.now()
    with transaction.atomic():
        document = (
            GeneratedDocument.objects.select_for_update(skip_locked=True)
            .filter(_due(now), pk=document_id, status=GeneratedDocument.Status.PENDING)
            .first()
        )
        if document is None:
            return None
        document.status = GeneratedDocument.Status.RENDERING
        document.claimed_at = now
        document.attempts += 1
        document.save(update_fields=["status", "claimed_at", "attempts"])
    return document


def _claimed(document: GeneratedDocument):
    return GeneratedDocument.objects.filter(
        pk=document.pk,
        status=GeneratedDocument.Status.RENDERING,
        attempts=document.attempts,
        claimed_at=document.claimed_at,
    )


def _record_failure(document: GeneratedDocument, exc: Exception) -> None:
    reason = exception_reason(exc)
    now = clock.now()
    with transaction.atomic():
        row = _claimed(document).select_for_update().first()
        if row is None:
            return
        row.error = reason
        if row.attempts >= settings.PDF_MAX_ATTEMPTS:
            row.status = GeneratedDocument.Status.FAILED
            row.next_attempt_at = None
        else:
            row.status = GeneratedDocument.Status.PENDING
            delay = settings.PDF_RETRY_BASE_SECONDS * 2 ** (row.attempts - 1)
            row.next_attempt_at = now + timedelta(seconds=delay)
        row.save(update_fields=["error", "status", "next_attempt_at"])
    # The reason names the exception and where it was raised, never the document's data.
    logger.error(
        "document %s (%s) failed to render, attempt %s (%s): %s",
        document.pk,
        document.template,
        row.attempts,
        row.status,
        reason,
    )


def document_render_now(*, document_id: int) -> GeneratedDocument | None:
    """Render a pending document and store the file; a document that is ready, failed for good,
    being rendered elsewhere or waiting for its retry time is left as it is. Never raises for a
    render problem: every exception counts as an attempt and is recorded."""
    from .pdf import render_pdf

    document = document_claim(document_id=document_id)
    if document is None:
        return GeneratedDocument.objects.filter(pk=document_id).first()
    try:
        content, pages, missing = render_pdf(
            document.template, document.context, language=document.language
        )
        name = document.file.storage.save(
            document.file.field.generate_filename(document, f"{document.uuid}.pdf"),
            ContentFile(content),
        )
    except Exception as exc:  # noqa: BLE001 - any failure is this attempt's outcome
        _record_failure(document, exc)
        return GeneratedDocument.objects.get(pk=document.pk)
    updated = _claimed(document).update(
        file=name,
        status=GeneratedDocument.Status.READY,
        rendered_at=clock.now(),
        page_count=pages,
        size_bytes=len(content),
        missing_glyphs=missing[:200],
        error="",
        next_attempt_at=None,
    )
    if not updated:  # requeued and rendered by another worker meanwhile: keep theirs
        document.file.storage.delete(name)
        logger.warning(
            "document %s: render of attempt %s arrived late", document.pk, document.attempts
        )
    return GeneratedDocument.objects.get(pk=document.pk)


def documents_requeue_stuck(*, now=None) -> int:
    """Put back every document left RENDERING longer than PDF_RENDER_TIMEOUT_SECONDS (its worker
    was killed); one that used its last attempt is marked failed."""
    now = now or clock.now()
    cutoff = now - timedelta(seconds=settings.PDF_RENDER_TIMEOUT_SECONDS)
    with transaction.atomic():
        stuck = list(
            GeneratedDocument.objects.select_for_update(skip_locked=True).filter(
                status=GeneratedDocument.Status.RENDERING, claimed_at__lt=cutoff
            )
        )
        for document in stuck:
            document.error = (
                f"no outcome recorded within {settings.PDF_RENDER_TIMEOUT_SECONDS}s of "
                f"attempt {document.attempts} (worker stopped?); requeued"
            )
            if document.attempts >= settings.PDF_MAX_ATTEMPTS:
                document.status = GeneratedDocument.Status.FAILED
                document.next_attempt_at = None
            else:
                document.status = GeneratedDocument.Status.PENDING
                document.next_attempt_at = now
            document.save(update_fields=["error", "status", "next_attempt_at"])
            logger.warning(
                "document %s was rendering since %s without an outcome; now %s",
                document.pk,
                document.claimed_at.isoformat(),
                document.status,
            )
    return len(stuck)


def documents_pending_ids(*, now=None, limit: int = 50) -> list[int]:
    """Documents to render now: retries whose time has come, and first renders still waiting a
    while after they were requested (their task was lost, e.g. while the broker was down)."""
    now = now or clock.now()
    fresh_cutoff = now - timedelta(seconds=SWEEP_GRACE_SECONDS)
    return list(
        GeneratedDocument.objects.filter(status=GeneratedDocument.Status.PENDING)
        .filter(
            Q(next_attempt_at__lte=now)
            | Q(next_attempt_at__isnull=True, created_at__lte=fresh_cutoff)
        )
        .order_by(F("next_attempt_at").asc(nulls_first=True), "created_at", "pk")
        .values_list("pk", flat=True)[:limit]
    )


def documents_for(obj, *, kind: str | None = None):
    queryset = GeneratedDocument.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    )
    return queryset.filter(kind=kind) if kind else queryset


def latest_ready_document(obj, *, kind: str) -> GeneratedDocument | None:
    return (
        documents_for(obj, kind=kind)
        .filter(status=GeneratedDocument.Status.READY)
        .order_by("-rendered_at")
        .first()
    )
