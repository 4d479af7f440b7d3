from celery import shared_task

from .services import outbound_email_deliver, outbound_email_due_ids


@shared_task(acks_late=True, ignore_result=True)
def outbound_email_send(email_id: int) -> None:
    """Deliver one outbox row; safe to run twice."""
    outbound_email_deliver(email_id=email_id)


@shared_task(ignore_result=True)
def outbox_flush() -> int:
    """Deliver every pending email that is due: retries after backoff, and mail whose first send
    was lost (for example while Redis was down)."""
    ids = outbound_email_due_ids()
    for email_id in ids:
        outbound_email_deliver(email_id=email_id)
    return len(ids)
