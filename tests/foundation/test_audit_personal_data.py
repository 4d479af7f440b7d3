"""Audit events carry no personal data (objects by type, id and a non-personal label; changed
personal fields by name only), and the admin shows the history as Japanese sentences."""

import json
import re

import pytest
from django.contrib.admin.models import LogEntry

from kosha_portal.audit.labels import audit_label
from kosha_portal.audit.models import AuditEvent
from kosha_portal.audit.services import company_actor
from tests import timeline
from tests.seminars.factories import SeminarFactory, register

from .privacy_journeys import all_journeys, jst, new_marker

# Seminar and school factories are open at the suite's fixed date (tests/timeline.py).
pytestmark = pytest.mark.time_machine(timeline.NOW)


def audit_text() -> str:
    return "\n".join(
        f"{e.actor_label} {e.action} {e.object_repr} {json.dumps(e.changes, ensure_ascii=False)}"
        for e in AuditEvent.objects.all()
    )


@pytest.mark.django_db(transaction=True)
def test_no_audit_event_holds_a_name_or_an_address_after_the_main_journeys(
    desk_user, time_machine, make_consultation_for_audit
):
    planted = all_journeys(
        new_marker(), desk_user=desk_user, move_to=time_machine.move_to, start=jst(2026, 6, 1, 10)
    )
    time_machine.move_to(timeline.NOW)  # inside the seminar factory's registration window
    registration = register(SeminarFactory(), 7)  # the seminar factories' 山田 花子7
    consultation = make_consultation_for_audit()
    assert AuditEvent.objects.count() > 30
    text = audit_text()
    leaked = [m for m in planted.texts if m in text]
    factory_values = [registration.name, registration.email, registration.phone]
    factory_values += [consultation.contact_name, consultation.contact_email]
    leaked += [v for v in factory_values if v and v in text]
    assert leaked == []
    assert not re.search(r"[\w.+-]+@[\w-]+\.[\w.-]+", text)  # no address at all
    # Objects are named by number, and a company contact by a keyed hash.
    labels = set(AuditEvent.objects.values_list("object_repr", flat=True))
    assert f"相談番号 {planted.objects['consultation'].reference}" in labels
    assert f"セミナー申込 #{planted.objects['registration'].pk}" in labels
    assert AuditEvent.objects.filter(actor_label=company_actor(consultation.contact_email))


@pytest.fixture
def make_consultation_for_audit():
    from consultations.services import consultation_submit
    from tests.consultations.conftest import consultation_data, organisation_data

    def make():
        return consultation_submit(
            organisation_data=organisation_data(),
            data=consultation_data(),
            privacy_consented=True,
            actor="test",
        )

    return make


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
def test_labels_never_use_str_of_a_personal_record(desk_user):
    seminar = SeminarFactory()
    registration = register(seminar, 3)
    assert registration.name in str(registration)  # what the admin shows staff
    assert audit_label(registration) == f"セミナー申込 #{registration.pk}"
    assert audit_label(registration.organisation) == f"事業者 #{registration.organisation.pk}"
    assert audit_label(seminar) == str(seminar)


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
def test_django_admin_log_of_an_anonymised_record_loses_the_name(desk_user, time_machine):
    from seminars.retention import registration_anonymise

    from .privacy_journeys import admin_log_change

    registration = register(SeminarFactory(), 4)
    admin_log_change(desk_user, registration)
    assert registration.name in LogEntry.objects.get().object_repr
    registration_anonymise(registration=registration, actor=None, on_request=True)
    assert LogEntry.objects.get().object_repr == f"セミナー申込 #{registration.pk}"


@pytest.mark.django_db
def test_admin_history_reads_as_japanese_with_officer_names_and_views_apart(
    desk_client, desk_user, make_user
):
    from consultations.services import consultation_assign, consultation_start, consultation_submit
    from tests.consultations.conftest import consultation_data, organisation_data

    consultation = consultation_submit(
        organisation_data=organisation_data(),
        data=consultation_data(),
        privacy_consented=True,
        actor="test",
    )
    consultation_start(consultation=consultation, actor=desk_user)
    consultation_assign(consultation=consultation, officer=desk_user, actor=desk_user)
    url = f"/admin/consultations/consultation/{consultation.pk}/change/"
    desk_client.get(url)
    page = desk_client.get(url).content.decode()
    history = page[page.index('class="audit-history"') :]
    actions, accesses = history.split('class="audit-history-accesses"', 1)
    assert "状態を「対応中」に変更" in actions
    assert "担当者を 窓口 花子 に変更" in actions
    assert "相談を受付（Webフォーム・添付0件）" in actions
    assert "事業者（個人用リンク）" in actions
    assert "consultation.view" not in page and "相談を閲覧" not in actions
    assert accesses.count("相談を閲覧") == 2  # both visits, this one included
    assert "閲覧・ダウンロードの記録（2件）" in accesses


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.NOW)
def test_the_data_migration_relabels_existing_events_and_drops_search_words(desk_user):
    import importlib

    from django.apps import apps
    from django.contrib.contenttypes.models import ContentType

    migration = importlib.import_module(
        "kosha_portal.audit.migrations.0002_object_repr_without_personal_data"
    )
    registration = register(SeminarFactory(), 5)
    seminar = registration.seminar
    old = AuditEvent.objects.create(
        action="seminar_registration.create",
        content_type=ContentType.objects.get_for_model(registration),
        object_id=str(registration.pk),
        object_repr=str(registration),
    )
    export = AuditEvent.objects.create(
        action="consultation.export", changes={"rows": 2, "filters": "q=山田+花子&status=new"}
    )
    kept = AuditEvent.objects.create(
        action="seminar.publish",
        content_type=ContentType.objects.get_for_model(seminar),
        object_id=str(seminar.pk),
        object_repr=str(seminar),
    )
    migration.forwards(apps, None)
    old.refresh_from_db()
    export.refresh_from_db()
    kept.refresh_from_db()
    assert old.object_repr == f"セミナー申込 #{registration.pk}"
    assert export.changes["filters"] == "q=*&status=new"
    assert kept.object_repr == str(seminar)
