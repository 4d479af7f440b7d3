"""APPI: staff access to consultations is logged, and personal data is erased after the
retention period (whole fiscal years after the one the case ended in) by the one sweep."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from consultations.models import Consultation, ConsultationAttachment
from consultations.services import (
    consultation_anonymise,
    consultation_close,
    consultation_mark_answered,
    consultation_reply_send,
    consultation_start,
    consultation_withdraw,
)
from kosha_portal.accounts.models import AccessLink
from kosha_portal.audit.models import AuditEvent
from kosha_portal.errors import DomainError
from kosha_portal.japan.deadlines import JST
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.retention import retention_sweep

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def jst(*args):
    import datetime

    return datetime.datetime(*args, tzinfo=JST)


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


def test_personal_data_is_erased_once_the_fiscal_years_have_passed(
    make_consultation, desk_user, settings, time_machine, django_capture_on_commit_callbacks
):
    settings.RETENTION_CONSULTATION_YEARS = 5
    time_machine.move_to(jst(2021, 3, 15, 10))  # FY2020
    old = closed_consultation(make_consultation, desk_user)
    withdrawn = make_consultation(email="withdrawn@example.jp")
    consultation_withdraw(consultation=withdrawn, reason="本人の都合", actor=desk_user)
    time_machine.move_to(jst(2021, 4, 1, 10))  # FY2021: one more year to wait
    recent = closed_consultation(make_consultation, desk_user, email="recent@example.jp")
    still_open = make_consultation(email="open@example.jp")
    file_name = old.attachments.get().file.name
    storage = old.attachments.get().file.storage

    time_machine.move_to(jst(2026, 3, 31, 23))
    assert retention_sweep()["consultations"] == 0  # FY2020 + 5 years ends on 2026-03-31
    time_machine.move_to(jst(2026, 4, 1, 3))
    with django_capture_on_commit_callbacks(execute=True):  # files go once the erase commits
        assert retention_sweep()["consultations"] == 2
    assert retention_sweep()["consultations"] == 0  # running it again erases nothing more

    old.refresh_from_db()
    assert old.anonymised_at and old.contact_email == "" and old.description == ""
    assert "old@example.jp" not in str(Consultation.objects.filter(pk=old.pk).values().get())
    assert set(old.messages.values_list("body", flat=True)) == {""}
    assert not old.attachments.exists() and not storage.exists(file_name)
    assert old.reference and old.behaviour_types  # statistics stay
    assert not AccessLink.objects.filter(object_id=str(old.pk)).exists()
    mail = OutboundEmail.objects.filter(object_id=str(old.pk))
    assert mail.exists() and set(mail.values_list("to", "subject", "body_text").distinct()) == {
        ("", "", "")
    }
    assert set(mail.values_list("template", flat=True)) >= {"consultations/emails/reply"}
    assert AuditEvent.objects.filter(action="consultation.anonymise", object_id=str(old.pk))
    reason = AuditEvent.objects.get(action="consultation.status.withdrawn")
    assert reason.changes["reason"] == "（消去済み）"
    for kept in (recent, still_open):
        kept.refresh_from_db()
        assert kept.anonymised_at is None and kept.contact_email


def test_an_open_consultation_is_not_erased_by_the_sweep(make_consultation, desk_user):
    consultation = make_consultation()
    consultation_start(consultation=consultation, actor=desk_user)
    consultation_mark_answered(consultation=consultation, actor=desk_user)
    with pytest.raises(DomainError):
        consultation_anonymise(consultation=consultation, actor=desk_user)
