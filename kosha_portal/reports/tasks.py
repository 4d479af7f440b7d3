from celery import shared_task

from .services import report_snapshots_refresh_current


@shared_task(ignore_result=True)
def reports_refresh() -> int:
    """Keep the reports page's figures of this fiscal year and the last fresh; safe to run twice."""
    return report_snapshots_refresh_current()
