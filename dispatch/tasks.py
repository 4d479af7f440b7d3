from celery import shared_task

from .services import dispatch_reminders_send as _reminders_send
from .services import dispatches_expire_due


@shared_task(ignore_result=True)
def dispatch_reminders_send() -> int:
    """Hourly: write every dispatch reminder that is due and not yet written (idempotent)."""
    return _reminders_send()


@shared_task(ignore_result=True)
def dispatches_expire() -> int:
    """Hourly: expire the decided dispatches whose period ended without a 完了報告 (idempotent)."""
    return dispatches_expire_due()
