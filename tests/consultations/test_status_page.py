import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from consultations.models import ConsultationAttachment
from consultations.services import consultation_note_add, consultation_reply_send
from kosha_portal.accounts.services import access_link_issue, access_link_url

from .conftest import PDF, PNG

pytestmark = pytest.mark.django_db


def _open_link(client, consultation):
    _link, token = access_link_issue(
        email=consultation.contact_email,
        organisation=consultation.organisation,
        target=consultation,
    )
    response = client.get(access_link_url(token).replace("http://127.0.0.1:8000", ""))
    assert response.status_code == 302
    return response


def _attach(consultation, data=PDF, name="a.pdf"):
    from consultations.files import validate_uploads
    from consultations.services import _store_attachments

    return _store_attachments(consultation, validate_uploads([SimpleUploadedFile(name, data)]))[0]


def test_status_page_shows_replies_but_never_internal_notes(client, make_consultation, desk_user):
    c = make_consultation()
    consultation_note_add(consultation=c, body="内部だけのメモです", actor=desk_user)
    consultation_reply_send(consultation=c, body="窓口からの回答です", actor=desk_user)
    response = _open_link(client, c)
    assert response["Location"] == c.get_portal_url()
    page = client.get(c.get_portal_url())
    html = page.content.decode()
    assert page.status_code == 200
    assert "窓口からの回答です" in html and "回答済み" in html
    assert "内部だけのメモです" not in html and "内部メモ" not in html


def test_without_link_status_page_is_404(client, make_consultation):
    c = make_consultation()
    assert client.get(c.get_portal_url()).status_code == 404
    assert client.get("/consultations/status/2099-9999/").status_code == 404


def test_company_a_cannot_open_company_b(client, make_consultation):
    a = make_consultation(email="a@example.jp")
    from .conftest import organisation_data  # noqa: F401

    b = make_consultation(email="b@example.jp")
    from consultations.models import Consultation
    from tests.factories import OrganisationFactory

    other = OrganisationFactory()
    Consultation.objects.filter(pk=b.pk).update(organisation=other)
    b.refresh_from_db()
    file_b = _attach(b)
    _open_link(client, a)
    assert client.get(a.get_portal_url()).status_code == 200
    assert client.get(b.get_portal_url()).status_code == 404
    assert client.get(f"/consultations/status/{b.reference}/files/{file_b.pk}/").status_code == 404
    # B's file under A's reference is not found either.
    assert client.get(f"/consultations/status/{a.reference}/files/{file_b.pk}/").status_code == 404


def test_attachment_download_is_forced_and_nosniff(client, make_consultation):
    c = make_consultation()
    attachment = _attach(c, PNG, "写真.png")
    _open_link(client, c)
    response = client.get(f"/consultations/status/{c.reference}/files/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == PNG


def test_staff_can_download_attachment(desk_client, make_consultation):
    c = make_consultation()
    attachment = _attach(c)
    response = desk_client.get(f"/consultations/status/{c.reference}/files/{attachment.pk}/")
    assert response.status_code == 200


def test_company_adds_message_and_file(client, make_consultation, desk_user):
    c = make_consultation()
    consultation_reply_send(consultation=c, body="回答", actor=desk_user)
    _open_link(client, c)
    response = client.post(
        c.get_portal_url(),
        {
            "body": "追加で状況をお伝えします。",
            "attachments": [SimpleUploadedFile("追加.pdf", PDF)],
        },
    )
    assert response.status_code == 302
    c.refresh_from_db()
    assert c.status == "in_progress"
    assert c.messages.filter(kind="company").count() == 1
    assert ConsultationAttachment.objects.filter(message__isnull=False).count() == 1
    html = client.get(c.get_portal_url()).content.decode()
    assert "追加で状況をお伝えします。" in html and "追加.pdf" in html


def test_company_message_with_fake_pdf_is_refused(client, make_consultation):
    c = make_consultation()
    _open_link(client, c)
    response = client.post(
        c.get_portal_url(),
        {"body": "x", "attachments": [SimpleUploadedFile("x.pdf", b"<html>not a pdf</html>")]},
    )
    assert response.status_code == 200
    assert "添付できない種類のファイルです" in response.content.decode()
    assert c.messages.count() == 0


def test_dispatch_link_only_after_need_confirmed(client, make_consultation, desk_user):
    from consultations.services import consultation_dispatch_need_determine

    c = make_consultation()
    _open_link(client, c)
    assert "専門家派遣を申し込む" not in client.get(c.get_portal_url()).content.decode()
    consultation_dispatch_need_determine(
        consultation=c, needed=True, reason="必要", actor=desk_user
    )
    html = client.get(c.get_portal_url()).content.decode()
    assert "専門家派遣の必要性を確認しました" in html


def test_my_page_lists_consultation(client, make_consultation):
    c = make_consultation()
    _open_link(client, c)
    html = client.get("/my/").content.decode()
    assert c.reference in html
