from celery import shared_task

from .services import document_render_now, documents_pending_ids


@shared_task(acks_late=True, ignore_result=True)
def document_render(document_id: int) -> None:
    """Render one generated document; safe to run twice."""
    document_render_now(document_id=document_id)


@shared_task(ignore_result=True)
def documents_render_pending() -> int:
    """Render documents whose render task never ran; safe to run at any time."""
    ids = documents_pending_ids()
    for document_id in ids:
        document_render_now(document_id=document_id)
    return len(ids)
