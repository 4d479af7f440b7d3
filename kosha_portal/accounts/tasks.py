from celery import shared_task
from django.contrib.sessions.models import Session

from kosha_portal import clock


@shared_task(ignore_result=True)
def sessions_clear() -> int:
    """Delete expired sessions from the database (they are refused anyway; this keeps the table
    small). Safe to run twice."""
    deleted, _ = Session.objects.filter(expire_date__lt=clock.now()).delete()
    return deleted
