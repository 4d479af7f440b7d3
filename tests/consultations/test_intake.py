import datetime
import re
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from consultations.models import Consultation, ConsultationAttachment
from kosha_portal.mail.models import OutboundEmail
from tests import timeline

from .conftest import PDF, PNG, docx_bytes, intake_payload

pytestmark = pytest.mark.django_db
URL = "/consultations/new/"
JST = ZoneInfo("Asia/Tokyo")


def test_form_page_is_public_and_shows_desk_hours(client):
    response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert "9:00〜11:30" in html and "送信後の流れ" in html
    assert 'name="website"' in html and 'name="started"' in html
    assert "<script>" not in html


def test_valid_submission_with_fullwidth_input_creates_consultation_and_mail(
    client, mail_outbox, django_capture_on_commit_callbacks
):
    upload = SimpleUploadedFile("スクショ.png", PNG, content_type="image/png")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, {**intake_payload(), "attachments": [upload]})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Location"].startswith(reverse("consultations:thanks") + "?r=")
    consultation = Consultation.objects.get()
    thanks = client.get(response["Location"])
    assert consultation.reference in thanks.content.decode()
    # A tampered token shows no reference and sends the visitor back to the form.
    assert client.get(response["Location"] + "x").status_code == 302
    assert "sessionid" not in response.cookies
    assert re.fullmatch(r"\d{4}-0001", consultation.reference)
    assert consultation.organisation.postal_code == "101-0025"
    assert consultation.organisation.phone == "03-3251-7881"
    assert consultation.contact_phone == "090-1234-5678"
    assert consultation.contact_kana == "カモメ タロウ"
    assert consultation.contact_email == "taro@kamome.example.jp"
    assert consultation.behaviour_types == ["long_confinement", "repeat"]
    assert consultation.privacy_notice_version and consultation.privacy_consented_at
    assert consultation.channel == "web"
    attachment = ConsultationAttachment.objects.get()
    assert attachment.mime_type == "image/png" and attachment.original_name == "スクショ.png"
    assert "スクショ" not in attachment.file.name
    email = OutboundEmail.objects.get(template="consultations/emails/received")
    assert email.to == "taro@kamome.example.jp"
    assert consultation.reference in email.subject
    assert "/access/" in email.body_text
    assert len(mail_outbox) == 1
    assert mail_outbox[0].to == ["taro@kamome.example.jp"]
    thanks = client.get(response["Location"])
    assert consultation.reference in thanks.content.decode()


@pytest.mark.time_machine(timeline.NOW)
def test_references_count_per_fiscal_year(make_consultation):
    first, second = make_consultation(), make_consultation()
    assert (first.fiscal_year, second.fiscal_year) == (2026, 2026)
    assert second.sequence == first.sequence + 1
    assert (first.reference, second.reference) == ("2026-0001", "2026-0002")


@pytest.mark.time_machine(timeline.jst(2027, 3, 31, 23, 59, 59), tick=False)
def test_references_restart_when_the_fiscal_year_changes_in_jst(make_consultation, time_machine):
    last = make_consultation(email="last@example.jp")
    time_machine.move_to(timeline.jst(2027, 4, 1, 0, 0, 0))  # still 2027-03-31 in UTC
    first = make_consultation(email="first@example.jp")
    assert (last.fiscal_year, last.reference) == (2026, "2026-0001")
    assert (first.fiscal_year, first.reference) == (2027, "2027-0001")


def test_invalid_input_keeps_values_and_saves_nothing(client):
    payload = intake_payload(
        contact_email="not-an-email", org_postal_code="12", places=None, privacy_consent=None
    )
    response = client.post(URL, payload)
    assert response.status_code == 200
    html = response.content.decode()
    assert "入力内容に不備があります（4件）" in html
    assert "郵便番号は7桁の数字で入力してください" in html
    assert "当てはまる場面を1つ以上選んでください" in html
    assert "個人情報の取扱いへの同意が必要です" in html
    # Nothing was attached: no "choose your attachments again".
    assert "添付ファイルはもう一度選択してください" not in html
    assert "株式会社かもめ商店" in html and "not-an-email" in html
    assert Consultation.objects.count() == 0


def test_pdf_name_with_other_content_is_refused(client):
    fake = SimpleUploadedFile(
        "report.pdf", b"MZ\x90\x00 this is an executable", content_type="application/pdf"
    )
    response = client.post(URL, {**intake_payload(), "attachments": [fake]})
    assert response.status_code == 200
    assert "添付できない種類のファイルです" in response.content.decode()
    assert Consultation.objects.count() == 0 and ConsultationAttachment.objects.count() == 0


def test_real_pdf_and_office_files_are_accepted(client):
    files = [SimpleUploadedFile("a.bin", PDF), SimpleUploadedFile("b.docx", docx_bytes())]
    response = client.post(URL, {**intake_payload(), "attachments": files})
    assert response.status_code == 302
    kinds = sorted(ConsultationAttachment.objects.values_list("mime_type", flat=True))
    assert kinds[0] == "application/pdf" and "wordprocessingml" in kinds[1]
    assert ConsultationAttachment.objects.get(mime_type="application/pdf").original_name == "a.pdf"


def test_size_and_count_limits(client, settings):
    settings.CONSULTATION_MAX_FILE_BYTES = 100
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * 200)
    response = client.post(URL, {**intake_payload(), "attachments": [big]})
    assert "大きすぎます" in response.content.decode()
    settings.CONSULTATION_MAX_FILE_BYTES = 10_000
    six = [SimpleUploadedFile(f"{i}.png", PNG) for i in range(6)]
    response = client.post(URL, {**intake_payload(), "attachments": six})
    assert "5 件まで" in response.content.decode()
    assert Consultation.objects.count() == 0


def test_filled_honeypot_is_refused(client):
    response = client.post(URL, intake_payload(website="http://spam.example"))
    assert response.status_code == 200
    assert "受け付けられませんでした" in response.content.decode()
    assert Consultation.objects.count() == 0


def test_too_fast_submission_is_refused(client, settings):
    settings.CONSULTATION_MIN_FILL_SECONDS = 30
    response = client.post(URL, intake_payload())
    assert "送信が早すぎる" in response.content.decode()
    assert Consultation.objects.count() == 0


def test_forged_timestamp_is_refused(client):
    response = client.post(URL, intake_payload(started="1700000000"))
    assert response.status_code == 200
    assert Consultation.objects.count() == 0


def test_sixth_submission_in_a_minute_gets_429(client, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 1, 10, 0, 30, tzinfo=JST), tick=False)
    for _ in range(5):
        assert client.post(URL, intake_payload()).status_code == 302
        time_machine.shift(5)
    # 25 seconds after the first: the oldest of the five ages out 35 seconds from now.
    response = client.post(URL, intake_payload())
    assert response.status_code == 429
    assert "短時間に多くの送信がありました" in response.content.decode()
    assert response["Retry-After"] == "35"
    assert Consultation.objects.count() == 5
    # Another address is not affected.
    other = client.post(URL, intake_payload(), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 302
    # A minute after the first submission, one more is accepted.
    time_machine.shift(35)
    assert client.post(URL, intake_payload()).status_code == 302
    assert client.post(URL, intake_payload()).status_code == 429


def test_thanks_page_without_submission_redirects(client):
    assert client.get("/consultations/thanks/").status_code == 302
