"""Certificate numbers stay distinct when staff issue several at once (real PostgreSQL)."""

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, transaction

from school import services
from school.models import Application, Certificate

from .factories import SessionFactory, accepted_application, recruiting_cohort

WORKERS = 8


@pytest.mark.django_db(transaction=True)
def test_concurrent_certificate_issues_in_one_cohort_get_distinct_numbers(monkeypatch):
    monkeypatch.setattr(services, "document_request", lambda **kwargs: None)
    cohort = recruiting_cohort(completion_threshold_percent=80)
    session = SessionFactory(cohort=cohort, number=1)
    participants = []
    for _ in range(WORKERS):
        application = accepted_application(cohort, participants=1)
        participants.append(application.participants.get())
    services.attendance_record(
        cohort=cohort, marks={(p.pk, session.pk): "present" for p in participants}, actor="desk"
    )
    barrier = threading.Barrier(WORKERS)
    errors = []

    def issue(participant):
        try:
            barrier.wait(timeout=30)
            services.certificate_issue(participant=participant, actor="desk")
        except Exception as exc:  # noqa: BLE001 - any error fails the test below
            errors.append(repr(exc))
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(issue, participants))

    assert errors == []
    numbers = sorted(Certificate.objects.values_list("number", flat=True))
    assert numbers == [f"{cohort.number}-{n:03d}" for n in range(1, WORKERS + 1)]


@pytest.mark.django_db(transaction=True)
def test_certificate_issue_takes_the_cohort_lock_before_the_participant_rows(monkeypatch):
    """Other school services lock the cohort, then its applications; a certificate issue waiting
    for the cohort must not already hold the application (the crossed order deadlocks)."""
    monkeypatch.setattr(services, "document_request", lambda **kwargs: None)
    cohort = recruiting_cohort(completion_threshold_percent=80)
    session = SessionFactory(cohort=cohort, number=1)
    application = accepted_application(cohort, participants=1)
    participant = application.participants.get()
    services.attendance_record(
        cohort=cohort, marks={(participant.pk, session.pk): "present"}, actor="desk"
    )
    errors = []

    def issue():
        try:
            services.certificate_issue(participant=participant, actor="desk")
        except Exception as exc:  # noqa: BLE001 - any error fails the test below
            errors.append(repr(exc))
        finally:
            connection.close()

    with transaction.atomic():
        services.Cohort.objects.select_for_update().get(pk=cohort.pk)
        worker = threading.Thread(target=issue)
        worker.start()
        for _ in range(200):  # until the worker waits for a row lock
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
                if cursor.fetchone()[0]:
                    break
            time.sleep(0.02)
        else:
            pytest.fail(f"the certificate issue never waited for the cohort lock: {errors}")
        Application.objects.select_for_update(nowait=True).get(pk=application.pk)
    worker.join(timeout=30)
    assert errors == []
    assert Certificate.objects.filter(participant=participant).exists()
