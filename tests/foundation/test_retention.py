"""APPI retention: after every period has passed, the one sweep leaves no personal data in any
table (the whole database, dumped with pg_dump) or in any file under the private files root."""

import datetime
import os
import subprocess
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from kosha_portal.audit.models import AuditEvent
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.retention import fiscal_cutoff, retention_sweep
from kosha_portal.tasks import retention_sweep as retention_sweep_task

from .privacy_journeys import all_journeys, jst, new_marker

pytestmark = pytest.mark.django_db(transaction=True)


def database_dump() -> str:
    """The whole test database as pg_dump writes it (schema and data)."""
    db = connection.settings_dict
    env = {**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""}
    command = ["pg_dump", "--no-owner", "-h", db["HOST"] or "127.0.0.1", "-U", db["USER"]]
    command += ["-p", str(db["PORT"] or 5432), db["NAME"]]
    return subprocess.run(command, env=env, capture_output=True, check=True, text=True).stdout


def private_files_text() -> str:
    root = Path(settings.PRIVATE_FILES_ROOT)
    chunks = []
    for path in root.rglob("*"):
        if path.is_file():
            chunks.append(path.read_bytes().decode("utf-8", errors="replace"))
    return "\n".join(chunks)


def found(planted, text: str) -> list[str]:
    return [marker for marker in planted.texts if marker in text]


def test_fiscal_cutoff_counts_whole_fiscal_years_after_the_year_ended():
    now = jst(2026, 12, 1, 10)
    assert fiscal_cutoff(5, now=now) == jst(2021, 4, 1)
    assert fiscal_cutoff(5, now=jst(2027, 3, 31, 23)) == jst(2021, 4, 1)
    assert fiscal_cutoff(5, now=jst(2027, 4, 1, 0, 1)) == jst(2022, 4, 1)


def test_after_every_period_no_marker_is_left_in_the_database_or_the_files(
    desk_user, time_machine, mailoutbox
):
    planted = all_journeys(
        new_marker(), desk_user=desk_user, move_to=time_machine.move_to, start=jst(2026, 6, 1, 10)
    )
    # The journeys really left the data everywhere: mail went out, PDFs were rendered.
    assert OutboundEmail.objects.filter(status="sent").count() >= 8
    assert any(planted.email in m.to for m in mailoutbox)
    ready = GeneratedDocument.objects.filter(status="ready")
    assert {d.kind for d in ready} >= {
        "dispatch.visit_report",
        "dispatch.completion_report",
        "school.certificate",
        "school.roster",
    }
    before = database_dump()
    assert set(found(planted, before)) >= {planted.email, planted.phone, planted.name}
    assert len(found(planted, before)) > 40
    assert found(planted, private_files_text())

    time_machine.move_to(jst(2038, 6, 1, 3))
    counts = retention_sweep()

    assert counts["consultations"] == 1 and counts["dispatches"] == 1
    assert counts["seminar_registrations"] == 1 and counts["school_applications"] == 1
    assert counts["organisations"] == 3
    # the confirmed request goes with its subscriber; the one never confirmed on its own
    assert counts["announcement_subscribers"] == 2 and counts["announcement_requests"] == 1
    dump = database_dump()
    assert found(planted, dump) == []
    assert found(planted, private_files_text()) == []
    assert not list(Path(settings.PRIVATE_FILES_ROOT).rglob("consultations/**/*.*"))

    # Run again (the daily task): nothing more to do, and the run is audited with its counts.
    again = retention_sweep_task()
    assert sum(again.values()) == 0
    runs = AuditEvent.objects.filter(action="retention.sweep").order_by("pk")
    assert runs.count() == 2 and runs[0].changes["counts"]["consultations"] == 1


def test_the_sweep_works_in_batches(desk_user, time_machine, settings):
    from consultations.models import Consultation
    from consultations.services import consultation_close, consultation_start, consultation_submit
    from tests.consultations.conftest import consultation_data, organisation_data

    time_machine.move_to(jst(2020, 5, 11, 10))
    for n in range(5):
        c = consultation_submit(
            organisation_data=organisation_data(),
            data=consultation_data(contact_email=f"batch{n}@example.jp"),
            privacy_consented=True,
            actor="test",
        )
        consultation_start(consultation=c, actor=desk_user)
        consultation_close(consultation=c, actor=desk_user)
    settings.RETENTION_BATCH_SIZE = 2
    time_machine.move_to(jst(2026, 5, 1, 3))
    assert retention_sweep()["consultations"] == 5
    assert not Consultation.objects.filter(anonymised_at__isnull=True).exists()


def test_the_daily_beat_runs_the_one_sweep():
    from kosha_portal.celery import app

    tasks = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "kosha_portal.tasks.retention_sweep" in tasks
    assert "consultations.tasks.consultations_retention" not in tasks


def test_an_orphan_private_file_is_deleted_once_old(time_machine, settings):
    root = Path(settings.PRIVATE_FILES_ROOT) / "consultations" / "2026"
    root.mkdir(parents=True, exist_ok=True)
    orphan = root / "orphan-test-file"
    orphan.write_bytes(b"left behind")
    now = jst(2026, 6, 1, 10)
    time_machine.move_to(now)
    os.utime(orphan, (now.timestamp(), now.timestamp()))  # the file system's clock may differ
    retention_sweep()
    assert orphan.exists()  # too young: its transaction may still be running
    time_machine.move_to(now + datetime.timedelta(days=2))
    retention_sweep()
    assert not orphan.exists()
