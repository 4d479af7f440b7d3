"""The database connection's settings (kosha_portal/database.py)."""

import environ
import pytest
from django.db import connection

from companies.models import Organisation
from kosha_portal.database import connection_settings


def _settings(monkeypatch, url: str, **variables) -> dict:
    monkeypatch.setenv("DATABASE_URL", url)
    for name, value in variables.items():
        monkeypatch.setenv(name, value)
    return connection_settings(environ.Env(), "sqlite:///unused.sqlite3")


def test_postgresql_connections_bind_parameters_on_the_server_and_prepare(monkeypatch):
    settings = _settings(monkeypatch, "postgres://kosha@db.example.jp:5432/kosha")
    assert settings["OPTIONS"] == {"server_side_binding": True, "prepare_threshold": 5}
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


@pytest.mark.django_db
def test_a_statement_run_five_times_on_a_connection_is_prepared_on_postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's")

    def prepared() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
                ["%companies_organisation%corporate_number%"],
            )
            return cursor.fetchone()[0]

    before = prepared()
    for number in ("1000012050001", "2000012050002", "3000012050003", "4000012050004"):
        Organisation.objects.filter(corporate_number=number).exists()
    assert prepared() == before  # four runs: still planned each time
    for number in ("5000012050005", "6000012050006"):
        Organisation.objects.filter(corporate_number=number).exists()
    assert prepared() == before + 1
