"""Backups that restore: a set made by `manage.py backup` comes back with `manage.py restore` into
a fresh PostgreSQL database and files root, with every row and every byte; a damaged set is
refused; an older set migrates forward; retention keeps what its rule says."""

import datetime
import hashlib
import io
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

import psycopg
import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command, get_commands, load_command_class
from django.core.management.base import CommandError
from django.db import connection
from django.db.migrations.loader import MigrationLoader

from consultations.models import ConsultationAttachment
from consultations.services import consultation_submit
from kosha_portal import clock
from kosha_portal.backups import (
    BackupError,
    Database,
    backup_create,
    backup_restore,
    backup_sets,
    next_daily_run,
    retention_keep,
)
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.documents.services import document_request

ROOT = Path(__file__).resolve().parents[2]
JST = ZoneInfo("Asia/Tokyo")
PNG = b"\x89PNG\r\n\x1a\n" + b"backup-marker-attachment-bytes" * 40


# --- fixtures ---------------------------------------------------------------------------------


@pytest.fixture
def files_root(tmp_path, settings):
    """A private files root of this test's own, for the storage the models write through."""
    root = tmp_path / "private"
    root.mkdir()
    settings.PRIVATE_FILES_ROOT = root
    settings.MEDIA_ROOT = root
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {**settings.STORAGES["default"], "OPTIONS": {"location": str(root)}},
    }
    return root


@pytest.fixture
def backup_root(tmp_path, settings):
    settings.BACKUP_ROOT = tmp_path / "backups"
    settings.BACKUP_AGE_RECIPIENT = []
    settings.BACKUP_AGE_IDENTITY_FILE = ""
    return settings.BACKUP_ROOT


@pytest.fixture
def fresh_database():
    """Names of databases nobody has created yet (derived from the test database's name, so
    parallel runs never meet); every one is dropped afterwards, whatever the test did."""
    made = []
    base = Database.from_settings()

    def make() -> Database:
        database = base.with_name(f"{base.name}_restore_{uuid.uuid4().hex[:10]}")
        made.append(database)
        return database

    yield make
    for database in made:
        database.drop()
    with base.connect(autocommit=True, dbname="postgres") as conn:
        left = conn.execute(
            "SELECT datname FROM pg_database WHERE datname = ANY(%s)", [[d.name for d in made]]
        ).fetchall()
    assert not left, f"databases left behind: {left}"


@pytest.fixture
def age_key(tmp_path):
    identity = tmp_path / "age-key.txt"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()
    return identity, recipient


def submit_consultation_with_attachment(content: bytes = PNG):
    return consultation_submit(
        organisation_data={
            "kind": "corporation",
            "name": "株式会社バックアップ商店",
            "name_kana": "バックアップショウテン",
            "corporate_number": "",
            "postal_code": "101-0025",
            "prefecture": "東京都",
            "municipality": "千代田区",
            "address": "神田佐久間町1-9",
            "phone": "",
            "main_business": "小売",
            "industry": "retail",
            "capital_yen": None,
            "employees": None,
        },
        data={
            "contact_name": "控 花子",
            "contact_kana": "ヒカエ ハナコ",
            "contact_department": "",
            "contact_role": "",
            "contact_email": "backup-test@example.jp",
            "contact_phone": "",
            "contact_way": "email",
            "contact_time": "any",
            "places": ["shop"],
            "behaviour_types": ["verbal_abuse"],
            "damages": [],
            "measures": [],
            "requested_support": ["advice"],
            "description": "暴言が続いています。",
        },
        files=[(SimpleUploadedFile("s.png", content), "image/png", "スクリーンショット.png")],
        privacy_consented=True,
        actor="test",
    )


def render_pdf_for(consultation) -> GeneratedDocument:
    document = document_request(
        kind="backup-test",
        template="foundation_tests/pdf/sample.html",
        filename="通知書.pdf",
        related=consultation,
        context={"title": "相談受付票", "issued": "2026-04-01", "body": "控えの帳票です。"},
    )
    document.refresh_from_db()  # autocommit: rendered by the eager task right away
    assert document.status == GeneratedDocument.Status.READY, document.error
    return document


def counts_through_django() -> dict[str, int]:
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
        counts = {}
        for table in tables:
            cursor.execute(f'SELECT count(*) FROM "{table}"')  # noqa: S608 - catalogue names
            counts[table] = cursor.fetchone()[0]
    return counts


def counts_in(database: Database) -> dict[str, int]:
    with psycopg.connect(database.url) as conn:
        tables = [
            row[0]
            for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        ]
        return {
            table: conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]  # noqa: S608
            for table in tables
        }


def applied_in(database: Database) -> set[tuple[str, str]]:
    with psycopg.connect(database.url) as conn:
        return set(conn.execute("SELECT app, name FROM django_migrations").fetchall())


def manage(database: Database, *args: str) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={
            **os.environ,
            "DATABASE_URL": database.url,
            "DJANGO_SETTINGS_MODULE": settings.SETTINGS_MODULE,
        },
        check=True,
        capture_output=True,
    )


# --- the round trip -----------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_backup_and_restore_bring_back_every_table_the_attachment_and_the_pdf(
    files_root, backup_root, fresh_database, test_templates, tmp_path
):
    call_command("load_demo", stdout=io.StringIO())
    consultation = submit_consultation_with_attachment()
    attachment = ConsultationAttachment.objects.get(consultation=consultation)
    document = render_pdf_for(consultation)
    pdf_bytes = (files_root / document.file.name).read_bytes()
    assert pdf_bytes.startswith(b"%PDF-")

    out = io.StringIO()
    call_command("backup", stdout=out)
    assert "Backup set kosha-" in out.getvalue()
    source_counts = counts_through_django()
    (made,) = backup_sets(backup_root)

    target, restored_root = fresh_database(), tmp_path / "restored-private"
    out = io.StringIO()
    call_command(
        "restore", made.name, database_url=target.url, files_root=str(restored_root), stdout=out
    )

    summary = out.getvalue()
    assert f"Restored {made.name}" in summary
    assert "row counts equal to the manifest" in summary
    assert "migrations: none to apply" in summary
    restored_counts = counts_in(target)
    assert len(source_counts) > 30
    assert restored_counts == source_counts
    assert source_counts["consultations_consultationattachment"] >= 1
    # The demo data came along (its consultations and logins; what else depends on the date).
    assert source_counts["consultations_consultation"] > 1 and source_counts["auth_user"] > 1
    assert (restored_root / attachment.file.name).read_bytes() == PNG
    assert (restored_root / document.file.name).read_bytes() == pdf_bytes
    with psycopg.connect(target.url) as conn:
        restored_names = {
            row[0]
            for row in conn.execute(
                "SELECT file FROM consultations_consultationattachment"
                " UNION SELECT file FROM documents_generateddocument"
            )
        }
    assert {attachment.file.name, document.file.name} <= restored_names
    manifest = made.manifest
    assert manifest["files"]["sha256"][attachment.file.name] == hashlib.sha256(PNG).hexdigest()
    assert manifest["database"]["row_counts"] == source_counts
    assert manifest["database"]["missing_files"] == []
    assert manifest["portal_version"] and manifest["database"]["migrations"]["consultations"]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("victim", "damage", "message"),
    [
        ("files.tar", "corrupt", "files.tar does not match its SHA-256"),
        ("database.dump", "corrupt", "database.dump does not match its SHA-256"),
        ("files.tar", "delete", "files.tar is missing"),
        ("manifest.json", "corrupt", "manifest.json does not match its SHA-256"),
        ("SHA256SUMS", "delete", "SHA256SUMS is missing"),
    ],
)
def test_restore_refuses_a_set_with_a_corrupt_or_missing_file(
    victim, damage, message, files_root, backup_root, fresh_database, tmp_path
):
    submit_consultation_with_attachment()
    made = backup_create().set
    path = made.path / victim
    if damage == "delete":
        path.unlink()
    else:
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0x01
        path.write_bytes(bytes(data))
    target, restored_root = fresh_database(), tmp_path / "restored"

    with pytest.raises(CommandError) as refused:
        call_command("restore", str(made.path), database_url=target.url, files_root=restored_root)

    assert "The backup set is damaged" in str(refused.value)
    assert message in str(refused.value)
    assert "Nothing was restored" in str(refused.value)
    assert not target.exists()
    assert not restored_root.exists()


@pytest.mark.django_db(transaction=True)
def test_a_file_inside_the_archive_that_differs_from_the_manifest_is_refused(
    files_root, backup_root, fresh_database, tmp_path
):
    submit_consultation_with_attachment()
    made = backup_create().set
    manifest_path = made.path / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    name = next(iter(manifest["files"]["sha256"]))
    manifest["files"]["sha256"][name] = "0" * 64
    manifest_path.write_text(json.dumps(manifest))
    sums = (made.path / "SHA256SUMS").read_text()
    new_sum = hashlib.sha256(manifest_path.read_bytes()).hexdigest()
    (made.path / "SHA256SUMS").write_text(
        re.sub(r"^\w+  manifest.json$", f"{new_sum}  manifest.json", sums, flags=re.MULTILINE)
    )
    target = fresh_database()

    with pytest.raises(BackupError, match=f"the file {name} does not match its SHA-256"):
        backup_restore(made.path, database=target, files_root=tmp_path / "restored")
    assert not target.exists()


# --- migrations ---------------------------------------------------------------------------------


def reversible_latest_migration() -> tuple[str, str, str]:
    """(app, latest migration, its parent) for a project app whose latest migration can be
    unapplied: the set below is made one migration behind the code."""
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for app, name in sorted(loader.graph.leaf_nodes()):
        module = sys.modules[loader.graph.nodes[(app, name)].__module__]
        if not Path(module.__file__).resolve().is_relative_to(ROOT):
            continue
        parents = [p for p in loader.graph.node_map[(app, name)].parents if p[0] == app]
        migration = loader.graph.nodes[(app, name)]
        if parents and all(op.reversible for op in migration.operations):
            return app, name, parents[0][1]
    raise AssertionError("no project app has a reversible latest migration")


def test_a_set_made_before_the_latest_migration_restores_and_migrates_forward(
    fresh_database, tmp_path
):
    app, latest, previous = reversible_latest_migration()
    scratch = fresh_database()
    scratch.create()
    manage(scratch, "migrate", "--noinput")
    manage(scratch, "migrate", app, previous, "--noinput")
    assert (app, latest) not in applied_in(scratch)
    (tmp_path / "empty-files").mkdir()

    made = backup_create(
        database=scratch, files_root=tmp_path / "empty-files", root=tmp_path / "sets"
    ).set
    assert latest not in made.manifest["database"]["migrations"][app]
    target = fresh_database()
    report = backup_restore(made.path, database=target, files_root=tmp_path / "restored")

    assert f"{app}.{latest}" in report.migrations_applied
    loader = MigrationLoader(None, ignore_no_migrations=True)
    assert set(loader.graph.nodes) <= applied_in(target)


# --- encryption ---------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_an_encrypted_set_holds_no_plain_data_and_restores_with_the_identity(
    files_root, backup_root, fresh_database, age_key, settings, tmp_path
):
    identity, recipient = age_key
    settings.BACKUP_AGE_RECIPIENT = [recipient]
    consultation = submit_consultation_with_attachment()
    attachment = ConsultationAttachment.objects.get(consultation=consultation)

    made = backup_create().set
    stored = sorted(p.name for p in made.path.iterdir())
    assert stored == ["SHA256SUMS", "database.dump.age", "files.tar.age", "manifest.json"]
    for path in made.path.iterdir():
        data = path.read_bytes()
        assert b"backup-marker-attachment-bytes" not in data
        assert b"backup-test@example.jp" not in data
    assert made.manifest["encryption"] == {"tool": "age", "recipients": [recipient]}

    target = fresh_database()
    with pytest.raises(BackupError, match="encrypted with age"):
        backup_restore(made.path, database=target, files_root=tmp_path / "r0")
    other = tmp_path / "other-key.txt"
    subprocess.run(["age-keygen", "-o", str(other)], check=True, capture_output=True)
    with pytest.raises(BackupError, match="age could not decrypt"):
        backup_restore(made.path, database=target, files_root=tmp_path / "r0", identity=other)
    assert not (tmp_path / "r0").exists()

    settings.BACKUP_AGE_IDENTITY_FILE = str(identity)
    report = backup_restore(made.path, database=target, files_root=tmp_path / "restored")
    assert (tmp_path / "restored" / attachment.file.name).read_bytes() == PNG
    assert counts_in(target) == counts_through_django()
    assert report.files == 1


# --- refusing to overwrite ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_restore_refuses_a_non_empty_database_or_files_root_unless_forced(
    files_root, backup_root, fresh_database, tmp_path
):
    consultation = submit_consultation_with_attachment()
    made = backup_create().set
    before = counts_through_django()

    with pytest.raises(CommandError, match="is not empty .*pass --force"):
        call_command("restore", made.name, files_root=str(tmp_path / "elsewhere"))
    assert counts_through_django() == before  # the configured database was left alone

    target = fresh_database()
    backup_restore(made.path, database=target, files_root=tmp_path / "first")
    with psycopg.connect(target.url, autocommit=True) as conn:
        conn.execute("DELETE FROM consultations_consultationattachment")
    with pytest.raises(BackupError, match=f"The database {re.escape(str(target))} is not empty"):
        backup_restore(made.path, database=target, files_root=tmp_path / "second")
    (tmp_path / "second").mkdir()
    (tmp_path / "second" / "stray.txt").write_text("x")
    untouched = fresh_database()
    with pytest.raises(BackupError, match="files root .* is not empty"):
        backup_restore(made.path, database=untouched, files_root=tmp_path / "second")
    assert not untouched.exists()  # created for the restore, dropped when it was refused
    assert counts_in(target)["consultations_consultationattachment"] == 0

    report = backup_restore(made.path, database=target, files_root=tmp_path / "second", force=True)
    assert report.replaced
    assert counts_in(target) == counts_through_django()
    assert not (tmp_path / "second" / "stray.txt").exists()
    name = consultation.attachments.get().file.name
    assert (tmp_path / "second" / name).read_bytes() == PNG


# --- consistency between the dump and the files -------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_file_the_database_points_to_but_the_disk_lost_is_named_in_the_manifest(
    files_root, backup_root, fresh_database, tmp_path
):
    consultation = submit_consultation_with_attachment()
    lost = consultation.attachments.get().file.name
    (files_root / lost).unlink()

    report = backup_create()

    assert report.missing_files == [lost]
    assert report.set.manifest["database"]["missing_files"] == [lost]
    restored = backup_restore(report.set.path, database=fresh_database(), files_root=tmp_path / "r")
    assert restored.missing_files == [lost]


# --- retention ----------------------------------------------------------------------------------


def jst(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=JST)


def daily_sets(first: datetime.date, last: datetime.date) -> list[datetime.datetime]:
    days = (last - first).days + 1
    return [
        jst(d.year, d.month, d.day, 2, 30)
        for d in (first + datetime.timedelta(n) for n in range(days))
    ]


def test_retention_keeps_14_daily_8_weekly_and_12_monthly_sets():
    sets = daily_sets(datetime.date(2025, 10, 1), datetime.date(2026, 12, 1))
    kept = retention_keep(sets, now=jst(2026, 12, 1, 12, 0), daily=14, weekly=8, monthly=12)

    expected_days = (
        # daily: 2026-11-18 .. 2026-12-01
        [(11, d) for d in range(18, 31)]
        + [(12, 1)]
        # weekly: the Sundays of the five older weeks starting on Monday 2026-10-12
        + [(10, 18), (10, 25), (11, 1), (11, 8), (11, 15)]
        # monthly: the last day of January .. October 2026
        + [(1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30), (7, 31), (8, 31), (9, 30)]
        + [(10, 31)]
    )
    assert kept == {jst(2026, m, d, 2, 30) for m, d in expected_days}
    assert len(kept) == 29
    assert min(kept) == jst(2026, 1, 31, 2, 30)  # nothing from 2025 survives


def test_retention_keeps_the_newest_set_of_a_day_and_never_prunes_everything():
    morning, evening = jst(2026, 6, 10, 2, 30), jst(2026, 6, 10, 20, 0)
    now = jst(2026, 6, 10, 21, 0)
    assert retention_keep([morning, evening], now=now, daily=14, weekly=8, monthly=12) == {evening}
    # Backups stopped long ago: only the newest survives, as the one thing left to restore.
    old = daily_sets(datetime.date(2026, 1, 1), datetime.date(2026, 1, 10))
    assert retention_keep(old, now=jst(2028, 1, 1), daily=14, weekly=8, monthly=12) == {old[-1]}
    # A set dated after "now" (the clock went back) is not judged.
    future = jst(2026, 6, 12, 2, 30)
    assert future in retention_keep([morning, future], now=now, daily=1, weekly=0, monthly=0)
    assert retention_keep([], now=now, daily=14, weekly=8, monthly=12) == set()


def fake_set(root: Path, created: datetime.datetime) -> Path:
    name = "kosha-" + created.astimezone(datetime.UTC).strftime("%Y%m%dT%H%M%SZ")
    path = root / name
    path.mkdir(parents=True)
    manifest = {"format": "kosha-backup/1", "name": name, "created_at": created.isoformat()}
    (path / "manifest.json").write_text(json.dumps(manifest))
    return path


@pytest.mark.django_db(transaction=True)
def test_the_backup_command_prunes_what_the_rule_drops_and_leaves_foreign_directories(
    files_root, backup_root
):
    now = clock.now()
    too_old = fake_set(backup_root, now - datetime.timedelta(days=400))
    yesterday = fake_set(backup_root, now - datetime.timedelta(days=1))
    foreign = backup_root / "kosha-notes"
    foreign.mkdir()
    no_manifest = backup_root / "kosha-20200101T000000Z"
    no_manifest.mkdir()

    out = io.StringIO()
    call_command("backup", stdout=out)

    assert not too_old.exists()
    assert yesterday.exists() and foreign.exists() and no_manifest.exists()
    assert f"1 removed: {too_old.name}" in out.getvalue()
    assert len(backup_sets(backup_root)) == 2

    call_command("backup", "--no-prune", stdout=io.StringIO())
    assert len(backup_sets(backup_root)) == 3


def test_next_daily_run_is_the_next_wall_clock_time_in_japan():
    at = datetime.time(2, 30)
    assert next_daily_run(jst(2026, 12, 1, 1, 0), at) == jst(2026, 12, 1, 2, 30)
    assert next_daily_run(jst(2026, 12, 1, 2, 30), at) == jst(2026, 12, 2, 2, 30)
    utc_evening = datetime.datetime(2026, 12, 31, 18, 0, tzinfo=datetime.UTC)  # 03:00 JST Jan 1
    assert next_daily_run(utc_evening, at) == jst(2027, 1, 2, 2, 30)


def test_check_fresh_fails_without_a_recent_set(backup_root):
    with pytest.raises(CommandError, match="No backup set"):
        call_command("backup", "--check-fresh", stdout=io.StringIO())
    fake_set(backup_root, clock.now() - datetime.timedelta(hours=30))
    with pytest.raises(CommandError, match="30.0 hours old"):
        call_command("backup", "--check-fresh", stdout=io.StringIO())
    fake_set(backup_root, clock.now() - datetime.timedelta(hours=2))
    call_command("backup", "--check-fresh", stdout=io.StringIO())


# --- deployment files ---------------------------------------------------------------------------


def deployment_section() -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"^## Deployment\n(.*?)(?=^## )", readme, re.MULTILINE | re.DOTALL)
    assert match, "README.md has no Deployment section"
    return match.group(1)


def test_readme_deployment_section_names_restore_steps_with_commands_that_exist():
    section = deployment_section().replace("\\\n", " ")  # join continued shell lines
    assert "manage.py restore" in section and "manage.py backup" in section
    commands = get_commands()
    named = re.findall(r"manage\.py (\w+)((?: +[^\s`|\\]+)*)", section)
    assert named
    for command, rest in named:
        assert command in commands, command
        parser = load_command_class(commands[command], command).create_parser("manage.py", command)
        known = {s for action in parser._actions for s in action.option_strings}
        for option in re.findall(r"(--[a-z-]+)", rest):
            assert option in known, f"manage.py {command} has no {option}"
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    services = re.findall(r"docker compose (?:run|exec)\b[^\n]*?\b(\w+) python", section)
    assert {"backup", "migrate"} <= set(services)
    for service in services:
        assert re.search(rf"^  {service}:$", compose, re.MULTILINE), service


def test_compose_runs_a_scheduled_backup_into_its_own_volume():
    compose = (ROOT / "docker-compose.yml").read_text(encoding="utf-8")
    assert re.search(r"^  backup:$", compose, re.MULTILINE)
    assert '"python", "manage.py", "backup", "--schedule"' in compose
    assert "backups:/data/backups" in compose
    assert "private-files:/data/private:ro" in compose
    assert re.search(r"^  backups:$", compose, re.MULTILINE)
    assert "--check-fresh" in compose
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert "postgresql-client-15" in dockerfile and " age " in dockerfile
    assert "/data/backups" in dockerfile
    assert shutil.which("pg_dump") and shutil.which("age")
