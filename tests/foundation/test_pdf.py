"""PDFs: WeasyPrint with the embedded Noto Sans CJK JP font, rendered in a task, served by a
permission-checked view."""

import io
import logging

import pytest
from pypdf import PdfReader

from kosha_portal.audit.models import AuditEvent
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.documents.pdf import missing_glyphs
from kosha_portal.documents.services import document_request, latest_ready_document
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db

TEMPLATE = "foundation_tests/pdf/sample.html"
JAPANESE = (
    "株式会社山田商店 様　カスタマーハラスメント対策に向けた経営支援事業 専門家派遣決定通知書"
)


@pytest.fixture(autouse=True)
def _templates(test_templates):
    return test_templates


def render(django_capture_on_commit_callbacks, body, **extra):
    organisation = OrganisationFactory()
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(
            kind="sample",
            template=TEMPLATE,
            filename="通知書.pdf",
            related=organisation,
            context={"title": "派遣決定通知書", "issued": "2023-04-03", "body": body},
            **extra,
        )
        assert document.status == GeneratedDocument.Status.PENDING  # not rendered in the request
    document.refresh_from_db()
    return document, organisation


def pdf_reader(document) -> PdfReader:
    with document.file.open("rb") as handle:
        return PdfReader(io.BytesIO(handle.read()))


def pdf_text(document) -> str:
    return "".join(page.extract_text() for page in pdf_reader(document).pages)


def embedded_fonts(document) -> set[str]:
    fonts = set()
    for page in pdf_reader(document).pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            descendants = font.get("/DescendantFonts") or [font]
            for item in descendants:
                descriptor = item.get_object().get("/FontDescriptor")
                if descriptor is not None and any(
                    key in descriptor.get_object()
                    for key in ("/FontFile", "/FontFile2", "/FontFile3")
                ):
                    fonts.add(str(font["/BaseFont"]))
    return fonts


def test_pdf_contains_the_japanese_it_was_given_and_no_missing_glyph(
    django_capture_on_commit_callbacks, caplog
):
    caplog.set_level(logging.WARNING)
    document, organisation = render(django_capture_on_commit_callbacks, JAPANESE)
    assert document.status == GeneratedDocument.Status.READY, document.error
    assert document.missing_glyphs == ""
    assert document.page_count == 1
    assert document.size_bytes > 1000
    text = pdf_text(document)
    for phrase in (
        "株式会社山田商店",
        "カスタマーハラスメント対策に向けた経営支援事業",
        "専門家派遣決定通知書",
        "令和5年4月3日(月)",
    ):
        assert phrase in text.replace(" ", "").replace("\n", "")
    assert "missing glyph" not in caplog.text
    assert not [
        r
        for r in caplog.records
        if r.name.startswith(("weasyprint", "fontTools", "kosha_portal.documents"))
    ]
    assert latest_ready_document(organisation, kind="sample") == document
    with document.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    fonts = embedded_fonts(document)
    assert fonts and all("Noto-Sans-CJK-JP" in name for name in fonts), fonts  # embedded subsets


def test_character_outside_the_font_is_reported(django_capture_on_commit_callbacks, caplog):
    caplog.set_level(logging.WARNING)
    document, _organisation = render(
        django_capture_on_commit_callbacks, "ご相談😀ありがとうございます"
    )
    assert document.status == GeneratedDocument.Status.READY
    assert document.missing_glyphs == "😀"
    assert "missing glyphs U+1F600" in caplog.text
    assert "ご相談" not in caplog.text  # the log names code points, never the text


def test_missing_glyphs_ignores_markup_and_styles():
    assert missing_glyphs("<style>body{content:'😀'}</style><p>令和５年度　ⅠⅡ</p>") == ""
    assert missing_glyphs("<p>\U0001f9fe</p>") == "\U0001f9fe"


def test_staff_download_is_permission_checked(
    django_capture_on_commit_callbacks, client, make_user, desk_user
):
    document, _organisation = render(django_capture_on_commit_callbacks, JAPANESE)
    url = f"/documents/{document.uuid}/download/"

    anonymous = client.get(url)
    assert anonymous.status_code == 302
    assert anonymous["Location"].startswith("/login/")

    client.force_login(make_user("company-like"))
    assert client.get(url).status_code == 404

    client.force_login(desk_user)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content).startswith(b"%PDF-")
    assert AuditEvent.objects.filter(action="document.download", actor=desk_user).count() == 1
    missing = client.get("/documents/00000000-0000-0000-0000-000000000000/download/")
    assert missing.status_code == 404


def test_a_render_failure_is_recorded(django_capture_on_commit_callbacks, caplog, settings):
    settings.PDF_MAX_ATTEMPTS = 1
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(
            kind="sample",
            template="foundation_tests/pdf/missing.html",
            context={},
            filename="x.pdf",
        )
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.FAILED
    assert "TemplateDoesNotExist" in document.error
    assert not document.file
    assert "failed to render" in caplog.text
