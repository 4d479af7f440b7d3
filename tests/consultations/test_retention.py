"""APPI: staff access to consultations is logged, and personal data is erased after the
retention period."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from consultations.models import Consultation, ConsultationAttachment
from consultations.services import (
    consultation_close,
    consultation_mark_answered,
    consultation_reply_send,
    consultation_start,
    consultations_retention_sweep,
)
from consultations.tasks import consultations_retention
from kosha_portal.audit.models import AuditEvent
from kosha_portal.errors import DomainError

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def closed_consultation(make_consultation, desk_user, email="old@example.jp"):
    consultation = make_consultation(email=email)
    ConsultationAttachment.objects.create(
        consultation=consultation,
        file=SimpleUploadedFile("x.png", PNG),
        original_name="スクショ.png",
        mime_type="image/png",
        size=len(PNG),
    )
    consultation_start(consultation=consultation, actor=desk_user)
    consultation_reply_send(consultation=consultation, body="ご回答です。", actor=desk_user)
    consultation_close(consultation=consultation, actor=desk_user)
    return Consultation.objects.get(pk=consultation.pk)


def test_staff_opening_a_consultation_is_access_logged(make_consultation, desk_client, desk_user):
    consultation = make_consultation()
    url = f"/admin/consultations/consultation/{consultation.pk}/change/"
    assert desk_client.get(url).status_code == 200
    assert AuditEvent.objects.filter(
        action="consultation.view", actor=desk_user, object_id=str(consultation.pk)
    ).exists()


def test_personal_data_is_erased_after_the_retention_period(
    make_consultation, desk_user, settings, django_capture_on_commit_callbacks
):
    settings.CONSULTATION_RETENTION_DAYS = 30
    old = closed_consultation(make_consultation, desk_user)
    recent = closed_consultation(make_consultation, desk_user, email="recent@example.jp")
    still_open = make_consultation(email="open@example.jp")
    file_name = old.attachments.get().file.name
    storage = old.attachments.get().file.storage
    Consultation.objects.filter(pk__in=[old.pk, still_open.pk]).update(
        closed_at=timezone.now() - datetime.timedelta(days=31),
        received_at=timezone.now() - datetime.timedelta(days=60),
    )

    with django_capture_on_commit_callbacks(execute=True):  # files go once the erase commits
        assert consultations_retention_sweep() == 1
    assert consultations_retention() == 0  # running it again erases nothing more

    old.refresh_from_db()
    assert old.anonymised_at and old.contact_email == "" and old.description == ""
    assert "old@example.jp" not in str(Consultation.objects.filter(pk=old.pk).values().get())
    assert set(old.messages.values_list("body", flat=True)) == {""}
    assert not old.attachments.exists() and not storage.exists(file_name)
    assert old.reference and old.behaviour_types  # statistics stay
    assert AuditEvent.objects.filter(action="consultation.anonymise", object_id=str(old.pk))
    for kept in (recent, still_open):
        kept.refresh_from_db()
        assert kept.anonymised_at is None and kept.contact_email


def test_an_open_consultation_cannot_be_erased(make_consultation, desk_user):
    from consultations.services import consultation_anonymise

    consultation = make_consultation()
    consultation_start(consultation=consultation, actor=desk_user)
    consultation_mark_answered(consultation=consultation, actor=desk_user)
    with pytest.raises(DomainError):
        consultation_anonymise(consultation=consultation, actor=desk_user)
