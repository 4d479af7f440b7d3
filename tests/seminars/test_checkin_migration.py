"""The migration that adds the check-in token and short code gives every existing registration
its own token and a short code unique within its seminar."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from seminars.models import CHECKIN_CODE_ALPHABET, Registration

from .factories import OrganisationFactory, SeminarFactory

BEFORE = ("seminars", "0003_registration_requested_format_survey_intentions")
AFTER = ("seminars", "0004_registration_checkin_token")


def _migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def _migrate_to_latest():
    """Every app back at its latest migration (also those that moving back unapplied, such as
    another migration of this app that depends on BEFORE)."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_existing_registrations_get_a_token_and_a_short_code_unique_in_their_seminar():
    seminars = [SeminarFactory(venue_seats=50), SeminarFactory(venue_seats=50)]
    organisation = OrganisationFactory()
    try:
        old_apps = _migrate(BEFORE)
        OldRegistration = old_apps.get_model("seminars", "Registration")
        for seminar in seminars:
            for n in range(30):
                OldRegistration.objects.create(
                    seminar_id=seminar.pk,
                    organisation_id=organisation.pk,
                    name=f"参加者{n}",
                    name_kana="サンカシャ",
                    email=f"p{n}@example.jp",
                    format="venue",
                    consent_at=datetime.datetime(2026, 11, 20, tzinfo=datetime.UTC),
                    privacy_notice_version="2026-04",
                    status="confirmed",
                )
    finally:
        _migrate_to_latest()
    assert AFTER in MigrationExecutor(connection).loader.applied_migrations
    rows = list(Registration.objects.values("seminar_id", "checkin_token", "checkin_code"))
    assert len(rows) == 60
    assert len({row["checkin_token"] for row in rows}) == 60
    for seminar in seminars:
        codes = [row["checkin_code"] for row in rows if row["seminar_id"] == seminar.pk]
        assert len(set(codes)) == 30
        assert all(len(code) == 8 and set(code) <= set(CHECKIN_CODE_ALPHABET) for code in codes)
