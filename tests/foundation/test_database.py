"""The database connection's settings, and the writes that send fewer statements
(kosha_portal/database.py)."""

import datetime

import environ
import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from companies.models import Organisation
from kosha_portal.accounts.models import AccessLink
from kosha_portal.audit.models import AuditEvent
from kosha_portal.database import PREPARE, connection_settings, insert_together


def _settings(monkeypatch, url: str, **variables) -> dict:
    monkeypatch.setenv("DATABASE_URL", url)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return connection_settings(environ.Env(), "sqlite:///unused.sqlite3")


def test_postgresql_connections_bind_parameters_on_the_server_and_prepare(monkeypatch):
    settings = _settings(monkeypatch, "postgres://kosha@db.example.jp:5432/kosha")
    options = settings["OPTIONS"]
    assert (options["server_side_binding"], options["prepare_threshold"]) == (True, 5)
    assert options["cursor_factory"].__name__ == "InsertPreparingCursor"
    assert (settings["CONN_MAX_AGE"], settings["CONN_HEALTH_CHECKS"]) == (60, True)


def test_prepared_statements_can_be_turned_off_behind_a_transaction_pooler(monkeypatch):
    settings = _settings(
        monkeypatch,
        "postgres://kosha@pgbouncer.example.jp:6432/kosha",
        DATABASE_PREPARED_STATEMENTS="false",
    )
    assert "server_side_binding" not in settings.get("OPTIONS", {})
    assert "prepare_threshold" not in settings.get("OPTIONS", {})


def test_sqlite_gets_no_postgresql_options(monkeypatch):
    settings = _settings(monkeypatch, "sqlite:///var/db.sqlite3")
    assert "server_side_binding" not in settings.get("OPTIONS", {})


def _prepared(pattern: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s", [pattern]
        )
        return cursor.fetchone()[0]


@pytest.mark.django_db
def test_an_insert_is_prepared_at_its_fifth_run_on_a_connection():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    pattern = 'INSERT INTO "companies_organisation"%'
    before = _prepared(pattern)
    for n in range(4):
        Organisation.objects.create(name=f"準備商店{n}")
    assert _prepared(pattern) == before  # four runs: still planned each time
    for n in range(4, 6):
        Organisation.objects.create(name=f"準備商店{n}")
    assert _prepared(pattern) == before + 1


@pytest.mark.django_db
def test_a_select_is_planned_for_its_values_unless_it_asks_to_be_prepared():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")
    pattern = "%FROM %companies_organisation%corporate_number% = $1%"
    for number in range(8):
        Organisation.objects.filter(corporate_number=f"{number}000012050001").exists()
    assert _prepared(pattern) == 0
    lookup = "SELECT 1 FROM companies_organisation WHERE corporate_number = %s"
    marked = PREPARE + lookup
    with connection.cursor() as cursor:
        for number in range(6):
            cursor.execute(marked, [f"{number}000012050001"])
    assert _prepared(pattern) == 1


def _link(organisation, token_hash: str) -> AccessLink:
    return AccessLink(
        token_hash=token_hash,
        email="together@example.jp",
        organisation=organisation,
        expires_at=datetime.datetime(2027, 3, 1, tzinfo=datetime.UTC),
    )


@pytest.mark.django_db
def test_rows_of_different_models_are_inserted_in_one_statement_and_get_their_keys():
    organisation = Organisation.objects.create(name="一括商店")
    first = AuditEvent(actor_label="テスト", action="together.first", changes={"n": 1})
    second = AuditEvent(actor_label="テスト", action="together.second")
    link = _link(organisation, "a" * 64)
    with CaptureQueriesContext(connection) as captured:
        insert_together(first, second, link)
    assert len(captured.captured_queries) == (1 if connection.vendor == "postgresql" else 3)
    assert all(obj.pk and not obj._state.adding for obj in (first, second, link))
    assert first.pk != second.pk
    saved = AuditEvent.objects.get(pk=first.pk)
    assert (saved.action, saved.changes, saved.created_at) == (
        "together.first",
        {"n": 1},
        first.created_at,  # auto_now_add was filled in, as by save()
    )
    assert AuditEvent.objects.get(pk=second.pk).action == "together.second"
    assert AccessLink.objects.get(pk=link.pk).organisation == organisation


@pytest.mark.django_db
def test_rows_inserted_together_are_saved_all_or_none():
    organisation = Organisation.objects.create(name="一括商店")
    insert_together(_link(organisation, "b" * 64))
    event = AuditEvent(actor_label="テスト", action="together.lost")
    with pytest.raises(IntegrityError), transaction.atomic():
        insert_together(event, _link(organisation, "b" * 64))  # the token hash is taken
    assert not AuditEvent.objects.filter(action="together.lost").exists()
    assert AccessLink.objects.filter(token_hash="b" * 64).count() == 1


@pytest.mark.django_db
def test_rows_inserted_together_refuse_an_unsaved_related_row():
    unsaved = Organisation(name="未保存商店")
    with pytest.raises(ValueError, match="unsaved related object"):
        insert_together(AuditEvent(action="together.x"), _link(unsaved, "c" * 64))
