from celery import shared_task

from .services import document_render_now


@shared_task(acks_late=True, ignore_result=True)
def document_render(document_id: int) -> None:
    """Render one generated document; safe to run twice."""
    document_render_now(document_id=document_id)
