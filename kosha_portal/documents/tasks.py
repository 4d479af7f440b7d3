import logging

from celery import shared_task

from kosha_portal.mail.failures import exception_reason

from .services import document_render_now, documents_pending_ids, documents_requeue_stuck

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def document_render(document_id: int) -> None:
    """Render one generated document; safe to run twice."""
    document_render_now(document_id=document_id)


@shared_task(ignore_result=True)
def documents_render_pending() -> int:
    """Requeue renders left in flight by a stopped worker, then render what is due: retries, and
    documents whose render task never ran. Each document is on its own; safe to run at any time."""
    documents_requeue_stuck()
    ids = documents_pending_ids()
    for document_id in ids:
        try:
            document_render_now(document_id=document_id)
        except Exception as exc:  # noqa: BLE001 - one document must never stop the others
            logger.error("documents sweep: document %s: %s", document_id, exception_reason(exc))
    return len(ids)
