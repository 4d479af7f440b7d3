"""The database connection's settings (kosha_portal/database.py)."""

import environ
import pytest
from django.db import connection

from companies.models import Organisation
from kosha_portal.database import PREPARE, connection_settings


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
