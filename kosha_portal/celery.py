import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kosha_portal.settings")

app = Celery("kosha_portal")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(
    lambda: [
        "kosha_portal",
        "kosha_portal.mail",
        "kosha_portal.documents",
        "kosha_portal.accounts",
        "companies",
        "consultations",
        "dispatch",
        "seminars",
        "school",
        "announcements",
        "kosha_portal.reports",
    ]
)

# Periodic work is computed from rows ("what is due and not yet sent"), so a missed beat tick or a
# task that runs twice neither loses nor doubles anything.
app.conf.beat_schedule = {
    "outbox-flush": {"task": "kosha_portal.mail.tasks.outbox_flush", "schedule": 60.0},
    "documents-render-pending": {
        "task": "kosha_portal.documents.tasks.documents_render_pending",
        "schedule": 300.0,
    },
    "consultations-desk-digest": {
        "task": "consultations.tasks.desk_digest_send",
        "schedule": crontab(hour=8, minute=30),
    },
    "dispatch-expire": {"task": "dispatch.tasks.dispatches_expire", "schedule": crontab(minute=10)},
    # One sweep for every kind of record and the private files (docs/privacy.md).
    "retention-sweep": {
        "task": "kosha_portal.tasks.retention_sweep",
        "schedule": crontab(hour=3, minute=0),
    },
    "dispatch-reminders": {
        "task": "dispatch.tasks.dispatch_reminders_send",
        "schedule": crontab(minute=15),
    },
    "sessions-clear": {
        "task": "kosha_portal.accounts.tasks.sessions_clear",
        "schedule": crontab(hour=4, minute=20),
    },
    "reports-refresh": {
        "task": "kosha_portal.reports.tasks.reports_refresh",
        "schedule": 600.0,
    },
    "announcements-dispatch": {
        "task": "announcements.tasks.announcements_dispatch_due",
        # The environment, not the settings: this module is imported before they are configured.
        "schedule": float(os.environ.get("ANNOUNCEMENT_DISPATCH_INTERVAL_SECONDS") or 60.0),
    },
    "seminars-reminders": {
        "task": "seminars.tasks.seminar_reminders_send",
        "schedule": crontab(minute=5),
    },
}
