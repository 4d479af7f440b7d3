"""An oversized request body is refused from its Content-Length, before any of it is read, with a
polite page; a body without a length (chunked) likewise. The limits are coherent with the
attachment limits of the intake form."""

import io

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile

from consultations.files import max_file_bytes, max_total_bytes
from consultations.models import Consultation
from tests.consultations.conftest import PDF, intake_payload

pytestmark = pytest.mark.django_db
URL = "/consultations/new/"


class UnreadableBody(io.RawIOBase):
    """A request body that fails the test if anything reads from it."""

    def __init__(self):
        self.reads = 0

    def readable(self):
        return True

    def read(self, size=-1):
        self.reads += 1
        raise AssertionError("the body was read")

    readline = read
    readinto = read


def test_a_60_mb_upload_is_refused_before_it_is_read(client):
    body = UnreadableBody()
    response = client.generic(
        "POST",
        URL,
        b"",
        content_type="multipart/form-data; boundary=xyz",
        CONTENT_LENGTH=str(60 * 1024 * 1024),
        **{"wsgi.input": body},
    )
    assert response.status_code == 413
    assert body.reads == 0
    html = response.content.decode()
    assert "送信データが大きすぎます" in html
    assert "1ファイル10MB、合計25MBまで" in html
    assert "03-3251-7881" in html
    assert Consultation.objects.count() == 0


def test_the_refusal_speaks_the_visitors_language(client):
    response = client.generic(
        "POST",
        URL,
        b"",
        CONTENT_LENGTH=str(settings.REQUEST_BODY_MAX_BYTES + 1),
        HTTP_ACCEPT_LANGUAGE="en",
        **{"wsgi.input": UnreadableBody()},
    )
    assert response.status_code == 413
    assert 'lang="en"' in response.content.decode()


def test_a_chunked_body_without_a_length_is_refused(client):
    body = UnreadableBody()
    response = client.generic(
        "POST",
        URL,
        b"",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": body, "CONTENT_LENGTH": ""},
    )
    assert response.status_code == 411
    assert body.reads == 0
    assert "送信できませんでした" in response.content.decode()


def test_the_largest_valid_intake_fits_under_the_body_limit(client, settings):
    settings.CONSULTATION_MIN_FILL_SECONDS = 0
    # Five files at the per-file limit would pass the total; at the total they are the largest
    # submission the form accepts, with the longest text it allows.
    per_file = max_total_bytes() // 5
    files = [
        SimpleUploadedFile(f"資料{n}.pdf", PDF + b"0" * (per_file - len(PDF)), "application/pdf")
        for n in range(5)
    ]
    payload = {**intake_payload(description="長" * 4000), "attachments": files}
    response = client.post(URL, payload)
    assert response.status_code == 302, response.content.decode()[:500]
    assert Consultation.objects.get().attachments.count() == 5


def test_attachments_over_the_total_get_the_polite_form_error_not_the_413(client, settings):
    settings.CONSULTATION_MIN_FILL_SECONDS = 0
    files = [
        SimpleUploadedFile(f"資料{n}.pdf", PDF + b"0" * (9 * 1024 * 1024), "application/pdf")
        for n in range(3)
    ]
    response = client.post(URL, {**intake_payload(), "attachments": files})
    assert response.status_code == 200
    assert "合計25MB" in response.content.decode()
    assert Consultation.objects.count() == 0


def test_the_upload_settings_are_coherent():
    assert max_file_bytes() == settings.CONSULTATION_MAX_FILE_BYTES
    assert max_total_bytes() == settings.CONSULTATION_MAX_TOTAL_BYTES
    assert settings.CONSULTATION_MAX_FILE_BYTES <= settings.CONSULTATION_MAX_TOTAL_BYTES
    assert settings.REQUEST_BODY_MAX_BYTES >= (
        settings.CONSULTATION_MAX_TOTAL_BYTES + settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    )
    # The fields without files: large enough for the longest text, far below the attachments.
    assert settings.DATA_UPLOAD_MAX_MEMORY_SIZE < settings.CONSULTATION_MAX_TOTAL_BYTES
    assert settings.MIDDLEWARE.index("kosha_portal.middleware.RequestBodyLimitMiddleware") < (
        settings.MIDDLEWARE.index("django.contrib.sessions.middleware.SessionMiddleware")
    )
