from celery import shared_task

from .services import dispatch_reminders_send as _reminders_send


@shared_task(ignore_result=True)
def dispatch_reminders_send() -> int:
    """Hourly: write every dispatch reminder that is due and not yet written (idempotent)."""
    return _reminders_send()
