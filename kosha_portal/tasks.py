from celery import shared_task


@shared_task(ignore_result=True)
def retention_sweep():
    """Daily: apply the retention policy to every table and the private files (safe to run
    twice; docs/privacy.md)."""
    from kosha_portal.retention import retention_sweep as sweep

    return sweep()
