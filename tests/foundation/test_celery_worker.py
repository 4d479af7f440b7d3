"""A real Celery worker on the Redis broker delivers an enqueued email (no eager mode)."""

import datetime
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction

from kosha_portal.celery import app
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.mail.services import email_enqueue


@pytest.fixture
def real_worker(settings):
    # Read the app's configuration before touching Django settings: it loads them lazily.
    saved = app.conf.task_always_eager, app.conf.worker_hijack_root_logger
    settings.CELERY_TASK_ALWAYS_EAGER = False  # what /healthz looks at
    app.conf.task_always_eager = False
    app.conf.worker_hijack_root_logger = False
    app.control.purge()  # leftovers of an earlier, interrupted run
    try:
        with start_worker(app, perform_ping_check=False, shutdown_timeout=20) as worker:
            yield worker
    finally:
        app.conf.task_always_eager, app.conf.worker_hijack_root_logger = saved


def wait_for(predicate, timeout=15.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


@pytest.mark.django_db(transaction=True)
def test_worker_delivers_an_enqueued_email(real_worker, smtp_server, test_templates, client):
    with transaction.atomic():
        email = email_enqueue(
            to="worker@example.jp",
            template="foundation_tests/emails/greeting",
            context={"name": "山田", "day": datetime.date(2023, 4, 3)},
        )
    # The row is committed and still pending: the send happens in the worker, not here.
    assert wait_for(lambda: OutboundEmail.objects.get(pk=email.pk).status == "sent")
    assert [m["To"] for m in smtp_server.messages] == ["worker@example.jp"]

    health = client.get("/healthz")
    assert health.status_code == 200
    assert health.json()["checks"]["celery"] == "ok"
