from celery import shared_task

from .services import desk_digest_send as _desk_digest_send


@shared_task
def desk_digest_send():
    """Daily: email desk staff the new and overdue consultations (safe to run twice)."""
    return _desk_digest_send()
