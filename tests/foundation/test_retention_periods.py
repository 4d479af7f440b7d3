"""Records still inside their retention period keep their personal data, and the annual figures
(counts by status, industry, municipality and month) are the same before and after the sweep."""

import pytest
from django.db.models import Count
from django.db.models.functions import TruncMonth

from companies.models import Organisation
from consultations.models import Consultation
from dispatch.models import Dispatch, Visit
from kosha_portal.retention import retention_sweep
from school.models import Application, Certificate, Participant
from seminars.models import Registration, SurveyResponse

from .privacy_journeys import all_journeys, jst, new_marker
from .test_retention import database_dump, found, private_files_text

pytestmark = pytest.mark.django_db(transaction=True)


def annual_figures() -> dict:
    def counted(queryset, *fields):
        return sorted(
            (tuple(str(row[f]) for f in fields), row["n"])
            for row in queryset.values(*fields).annotate(n=Count("pk"))
        )

    return {
        "consultations": counted(
            Consultation.objects.annotate(month=TruncMonth("received_at")),
            "fiscal_year",
            "status",
            "channel",
            "month",
            "organisation__industry",
            "organisation__municipality",
        ),
        "behaviour_types": sorted(
            (str(c.fiscal_year), code)
            for c in Consultation.objects.all()
            for code in c.behaviour_types
        ),
        "dispatches": counted(Dispatch.objects.all(), "program_year__fiscal_year", "status"),
        "visits": counted(Visit.objects.all(), "status", "mode", "date"),
        "registrations": counted(Registration.objects.all(), "seminar_id", "status", "format"),
        "seminar_ratings": counted(SurveyResponse.objects.all(), "satisfaction", "usefulness"),
        "school": counted(Application.objects.all(), "cohort__number", "status", "main_business"),
        "participants": Participant.objects.count(),
        "certificates": Certificate.objects.count(),
        "organisations": counted(
            Organisation.objects.all(), "industry", "municipality", "prefecture", "kind"
        ),
    }


def test_recent_records_keep_their_data_and_the_annual_figures_do_not_change(
    desk_user, time_machine, settings
):
    # The journeys' announcement subscribers unsubscribe at once, and their addresses go 60 days
    # later (RETENTION_ANNOUNCEMENT_SUBSCRIBER_DAYS): longer here, so "recent" keeps them too.
    settings.RETENTION_ANNOUNCEMENT_SUBSCRIBER_DAYS = 365
    settings.RETENTION_ANNOUNCEMENT_REQUEST_DAYS = 365
    old = all_journeys(
        new_marker(), desk_user=desk_user, move_to=time_machine.move_to, start=jst(2019, 6, 3, 10)
    )
    recent = all_journeys(
        new_marker(), desk_user=desk_user, move_to=time_machine.move_to, start=jst(2026, 6, 1, 10)
    )
    time_machine.move_to(jst(2026, 8, 3, 3))
    before = annual_figures()

    counts = retention_sweep()

    assert counts["consultations"] == 1 and counts["seminar_registrations"] == 1
    assert annual_figures() == before
    dump = database_dump()
    assert found(old, dump) == []
    files = private_files_text()
    assert {recent.email, recent.phone, recent.name} <= set(found(recent, dump))
    # Every recent marker is still somewhere: rows, mail, PDFs' data and the files sent.
    assert set(found(recent, dump)) | set(found(recent, files)) == set(recent.texts)
    assert found(old, files) == []
    for name in ("consultation", "dispatch", "registration", "application"):
        row = type(recent.objects[name]).objects.get(pk=recent.objects[name].pk)
        assert row.anonymised_at is None, name
        assert type(old.objects[name]).objects.get(pk=old.objects[name].pk).anonymised_at
