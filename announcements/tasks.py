import logging

from celery import shared_task

from kosha_portal.mail.failures import exception_reason

from . import delivery, services

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, ignore_result=True)
def announcement_send(announcement_id: int, lease: str = "", slot: int = 0) -> None:
    """Start the announcement if its time has come, send one batch as sender ``slot``, and go
    on with the next while there is more; safe to run twice (a slot's lease lets one worker send
    for it at a time)."""
    services.announcement_start(announcement_id=announcement_id)
    result = delivery.announcement_send_batch(
        announcement_id=announcement_id, lease=lease or None, slot=slot
    )
    if result.more:
        announcement_send.delay(announcement_id, result.lease or "", slot)


def announcement_send_all(announcement_id: int) -> None:
    """Hand the announcement to each of its ANNOUNCEMENT_SENDERS senders."""
    from django.conf import settings

    for slot in range(max(1, settings.ANNOUNCEMENT_SENDERS)):
        announcement_send.delay(announcement_id, "", slot)


@shared_task(ignore_result=True)
def announcements_dispatch_due() -> int:
    """Every minute: record bounces, start the announcements whose time has come and take over
    those whose sender stopped (its lease expired). Computed from rows, so a missed tick or a
    second run changes nothing."""
    try:
        services.subscribers_bounces_record()
    except Exception as exc:  # noqa: BLE001 - sending must not wait on the bounce scan
        logger.error("announcements: recording bounces failed: %s", exception_reason(exc))
    due = services.due_announcement_ids()
    for announcement_id in due:
        announcement_send_all(announcement_id)
    unattended = services.unattended_slots()
    for announcement_id, slot in unattended:
        announcement_send.delay(announcement_id, "", slot)
    return len(due) + len(unattended)
