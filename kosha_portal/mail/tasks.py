import logging

from celery import shared_task

from .failures import exception_reason
from .services import outbound_email_deliver, outbound_email_due_ids, outbound_email_requeue_stuck

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def outbound_email_send(email_id: int) -> None:
    """Deliver one outbox row; safe to run twice."""
    outbound_email_deliver(email_id=email_id)


@shared_task(ignore_result=True)
def outbox_flush() -> int:
    """Requeue rows left in flight by a stopped worker, then deliver every pending email that is
    due: retries after backoff, and mail whose first send was lost (e.g. while Redis was down).

    Each row is on its own: whatever one raises is logged and the next is tried. When the mail
    server cannot be reached at all the rest wait for the next flush instead of each spending an
    attempt on the same outage."""
    outbound_email_requeue_stuck()
    ids = outbound_email_due_ids()
    for email_id in ids:
        try:
            delivery = outbound_email_deliver(email_id=email_id)
        except Exception as exc:  # noqa: BLE001 - one row must never stop the others
            logger.error("outbox flush: email %s: %s", email_id, exception_reason(exc))
            continue
        if delivery is not None and delivery.outcome == "unreachable":
            logger.warning("outbox flush stopped: the mail server cannot be reached")
            break
    return len(ids)
