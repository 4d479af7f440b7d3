import logging

from celery import shared_task

from .failures import exception_reason
from .services import (
    outbound_email_deliver,
    outbound_email_due_ids,
    outbound_email_requeue_stuck,
    outbox_wake_flag_clear,
)

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def outbound_email_send(email_id: int) -> None:
    """Deliver one outbox row; safe to run twice."""
    outbound_email_deliver(email_id=email_id)


@shared_task(acks_late=True, ignore_result=True)
def outbox_wake(email_ids: list[int]) -> int:
    """The wake-up a commit that wrote emails sends (kosha_portal.mail.services._Wake): deliver
    those emails, then any other that is due (written while this wake-up was pending, whose own
    commits did not send one). Safe to run twice; outbox_flush stands in for a lost one."""
    outbox_wake_flag_clear()
    # Oldest first, as they were written.
    return _deliver(sorted({*email_ids, *outbound_email_due_ids()}))


def _deliver(ids: list[int]) -> int:
    """Deliver ``ids`` one by one; each is on its own, and when the mail server cannot be reached
    at all the rest wait for the next flush instead of each spending an attempt on the outage."""
    for email_id in ids:
        try:
            delivery = outbound_email_deliver(email_id=email_id)
        except Exception as exc:  # noqa: BLE001 - one row must never stop the others
            logger.error("outbox: email %s: %s", email_id, exception_reason(exc))
            continue
        if delivery is not None and delivery.outcome == "unreachable":
            logger.warning("outbox: stopped, the mail server cannot be reached")
            break
    return len(ids)


@shared_task(ignore_result=True)
def outbox_flush() -> int:
    """Requeue rows left in flight by a stopped worker, then deliver every pending email that is
    due: retries after backoff, and mail whose first send was lost (e.g. while Redis was down).

    Each row is on its own: whatever one raises is logged and the next is tried. When the mail
    server cannot be reached at all the rest wait for the next flush instead of each spending an
    attempt on the same outage."""
    outbound_email_requeue_stuck()
    return _deliver(outbound_email_due_ids())
