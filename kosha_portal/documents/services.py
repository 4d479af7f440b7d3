import logging
from datetime import timedelta

from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import transaction

from kosha_portal import clock
from kosha_portal.audit.services import audit_record
from kosha_portal.workflow import transition

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


def document_render_now(*, document_id: int) -> GeneratedDocument | None:
    """Render a pending document and store the file; a ready document is left as it is."""
    from .pdf import render_pdf

    with transaction.atomic():
        document = (
            GeneratedDocument.objects.select_for_update(skip_locked=True)
            .filter(pk=document_id)
            .first()
        )
        if document is None or document.status == GeneratedDocument.Status.READY:
            return document
        try:
            content, pages, missing = render_pdf(
                document.template, document.context, language=document.language
            )
        except Exception as exc:
            # Record the failure and commit it; raising inside this block would roll it back.
            document.error = f"{type(exc).__name__}: {exc}"[:2000]
            if document.status == GeneratedDocument.Status.FAILED:
                document.save()  # failed again: only the error is new
            else:
                transition(document, GeneratedDocument.Status.FAILED, actor=None, audit=False)
            logger.exception("document %s (%s) failed to render", document.pk, document.template)
            return document
        document.file.save(f"{document.uuid}.pdf", ContentFile(content), save=False)
        document.page_count = pages
        document.size_bytes = len(content)
        document.missing_glyphs = missing[:200]
        document.error = ""
        # The document row is its own log; its request was audited (document.request).
        transition(document, GeneratedDocument.Status.READY, actor=None, audit=False)
        return document


def documents_pending_ids(*, older_than_seconds: int = 120, limit: int = 50) -> list[int]:
    """Documents still waiting to be rendered a while after they were requested (their task was
    lost, e.g. while the broker was down)."""
    cutoff = clock.now() - timedelta(seconds=older_than_seconds)
    return list(
        GeneratedDocument.objects.filter(
            status=GeneratedDocument.Status.PENDING, created_at__lte=cutoff
        )
        .order_by("created_at")
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
