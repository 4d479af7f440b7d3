"""Disclosure and deletion requests (APPI Arts. 33 and 35) on the administrators' staff page."""

import io
import json
import zipfile

import pytest
from django.urls import reverse

from consultations.models import Consultation
from kosha_portal.audit.models import AuditEvent
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.privacy.models import PrivacyRequest
from school.models import Application
from seminars.models import Registration

from .privacy_journeys import (
    Planted,
    consultation_journey,
    jst,
    new_marker,
    school_journey,
    seminar_journey,
)

pytestmark = pytest.mark.django_db(transaction=True)
ADD = "/admin/privacy/privacyrequest/add/"


@pytest.fixture
def admin_client(client, admin_user_kosha):
    client.force_login(admin_user_kosha)
    return client


def three_records(desk_user, time_machine) -> Planted:
    """One address used for a consultation, a seminar registration and a school application."""
    from kosha_portal import clock

    planted = new_marker()
    time_machine.move_to(jst(2026, 6, 1, 10))
    start = clock.now()
    consultation_journey(planted, desk_user=desk_user)
    school_journey(planted, desk_user=desk_user, start=start)
    seminar_journey(planted, desk_user=desk_user, move_to=time_machine.move_to, start=start)
    return planted


def test_request_finds_exports_and_erases_all_three_records_and_their_mail(
    admin_client, admin_user_kosha, desk_user, time_machine
):
    planted = three_records(desk_user, time_machine)
    mail = OutboundEmail.objects.filter(to=planted.email)
    assert mail.filter(status="sent").count() >= 4

    page = admin_client.post(ADD, {"email": planted.email.upper(), "name": "", "phone": ""})
    assert page.status_code == 200
    html = page.content.decode()
    consultation = planted.objects["consultation"]
    for text in (consultation.reference, planted.name, "セミナー申込", "スクール申込"):
        assert text in html, text
    request = PrivacyRequest.objects.get()
    assert request.found["consultations"] == 1
    assert request.found["seminar_registrations"] == 1
    assert request.found["school_applications"] == 1
    assert planted.email not in json.dumps(request.found) + request.subject_digest
    carry = {"email": planted.email, "name": "", "phone": ""}

    export = admin_client.post(
        reverse("admin:privacy_privacyrequest_export", args=[request.pk]), carry
    )
    assert export.status_code == 200 and export["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(export.content))
    names = archive.namelist()
    assert {"data.json", "README.txt", "consultations.csv", "mail.csv"} <= set(names)
    data = json.loads(archive.read("data.json"))
    assert set(data["sections"]) >= {
        "consultations",
        "seminar_registrations",
        "school_applications",
    }
    assert planted.name in archive.read("consultations.csv").decode("utf-8-sig")
    assert any(n.startswith("attachments/") for n in names)
    attachment = next(n for n in names if n.startswith("attachments/"))
    assert planted.tag.encode() in archive.read(attachment)

    erase_url = reverse("admin:privacy_privacyrequest_erase", args=[request.pk])
    confirm = admin_client.post(erase_url, carry)
    assert confirm.status_code == 200 and "消去の理由" in confirm.content.decode()
    refused = admin_client.post(erase_url, {**carry, "reason": "", "confirm": "on"})
    assert "入力してください。" in refused.content.decode()
    assert Consultation.objects.get(pk=consultation.pk).anonymised_at is None
    done = admin_client.post(
        erase_url, {**carry, "reason": "2026年6月 本人から電話で削除の請求", "confirm": "on"}
    )
    assert done.status_code == 302

    for model, key in (
        (Consultation, "consultation"),
        (Registration, "registration"),
        (Application, "application"),
    ):
        row = model.objects.get(pk=planted.objects[key].pk)
        assert row.anonymised_at is not None, key
        values = json.dumps(list(model.objects.filter(pk=row.pk).values()), default=str)
        assert planted.email not in values and planted.name not in values
    assert not OutboundEmail.objects.filter(to=planted.email).exists()
    assert not OutboundEmail.objects.filter(body_text__contains=planted.tag).exists()
    request.refresh_from_db()
    assert request.erased_at and request.exported_at and request.reason
    actions = list(
        AuditEvent.objects.filter(action__startswith="privacy.").values_list("action", flat=True)
    )
    assert sorted(actions) == ["privacy.erase", "privacy.export", "privacy.search"]
    audit = json.dumps(
        list(AuditEvent.objects.values("object_repr", "changes")), ensure_ascii=False
    )
    assert planted.email not in audit and planted.tag not in audit
    again = admin_client.post(ADD, {"email": planted.email})
    assert "この条件に当てはまる記録はありません。" in again.content.decode()


def test_name_and_phone_find_the_person_too(admin_client, desk_user, time_machine):
    time_machine.move_to(jst(2026, 6, 1, 10))
    planted = new_marker()
    consultation_journey(planted, desk_user=desk_user)
    spaced = planted.name[:4] + "　" + planted.name[4:]  # typed with a full-width space
    page = admin_client.post(ADD, {"email": "", "name": spaced, "phone": planted.phone})
    assert planted.objects["consultation"].reference in page.content.decode()
    only_name = admin_client.post(ADD, {"email": "", "name": planted.name, "phone": ""})
    assert "氏名と電話番号の両方" in only_name.content.decode()


def test_desk_staff_without_the_permission_are_refused(desk_client, desk_user, time_machine):
    time_machine.move_to(jst(2026, 6, 1, 10))
    planted = new_marker()
    consultation_journey(planted, desk_user=desk_user)
    assert desk_client.get(ADD).status_code == 403
    assert desk_client.post(ADD, {"email": planted.email}).status_code == 403
    assert desk_client.get("/admin/privacy/privacyrequest/").status_code == 403
    request = PrivacyRequest.objects.create(criteria="email", subject_digest="x")
    for name in ("export", "erase"):
        url = reverse(f"admin:privacy_privacyrequest_{name}", args=[request.pk])
        assert desk_client.post(url, {"email": planted.email}).status_code == 403
    assert not AuditEvent.objects.filter(action__startswith="privacy.").exists()
    assert "開示・削除請求" not in desk_client.get("/admin/").content.decode()


def test_a_dispatch_backing_a_payment_is_kept_without_personal_data(
    admin_client, desk_user, time_machine
):
    from dispatch.models import Dispatch, Visit
    from kosha_portal import clock

    from .privacy_journeys import dispatch_journey

    time_machine.move_to(jst(2026, 6, 1, 10))
    planted = new_marker()
    consultation = consultation_journey(planted, desk_user=desk_user)
    dispatch_journey(
        planted, consultation, desk_user=desk_user, move_to=time_machine.move_to, start=clock.now()
    )
    page = admin_client.post(ADD, {"email": planted.email})
    assert "専門家への謝金の支払いの根拠" in page.content.decode()
    request = PrivacyRequest.objects.get()
    assert request.kept == {"dispatches": 1, "experts": 0} or request.kept == {"dispatches": 1}
    url = reverse("admin:privacy_privacyrequest_erase", args=[request.pk])
    admin_client.post(url, {"email": planted.email, "reason": "本人からの請求", "confirm": "on"})
    dispatch = Dispatch.objects.get(pk=planted.objects["dispatch"].pk)
    assert dispatch.anonymised_at and dispatch.contact_email == "" and dispatch.goals == ""
    visit = Visit.objects.get(dispatch=dispatch)
    assert visit.report_start and visit.date and visit.status == "confirmed"
    assert dispatch.expert_id and dispatch.decision_number
