"""PDF rendering claims its row, renders with WeasyPrint outside any transaction or lock, and
records the outcome apart: a template that raises is an attempt with its reason and blocks no
other render; a render left in flight by a killed worker is requeued."""

import datetime
import http.server
import logging
import threading
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import transaction

from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.documents.services import document_claim, document_render_now
from kosha_portal.documents.tasks import documents_render_pending

from .conftest import free_port

pytestmark = pytest.mark.django_db(transaction=True)

JST = ZoneInfo("Asia/Tokyo")
START = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=JST)
SAMPLE = {"title": "派遣決定通知書", "issued": "2023-04-03", "body": "山田 太郎 様"}


@pytest.fixture(autouse=True)
def _setup(test_templates, settings):
    settings.PDF_MAX_ATTEMPTS = 3
    settings.PDF_RETRY_BASE_SECONDS = 300
    settings.PDF_RENDER_TIMEOUT_SECONDS = 900


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


def requested(template, context=SAMPLE, name="通知書.pdf"):
    """A requested document whose render task was lost: only the sweep renders it."""
    return GeneratedDocument.objects.create(
        kind="sample", template=f"foundation_tests/pdf/{template}", context=context, filename=name
    )


def fresh(document) -> GeneratedDocument:
    return GeneratedDocument.objects.get(pk=document.pk)


def test_a_pdf_whose_template_raises_is_recorded_retried_and_blocks_no_other_render(clock, caplog):
    caplog.set_level(logging.INFO)
    broken = requested("broken.html")  # requested first, so the sweep meets it first
    good = [requested("sample.html", name=f"{n}.pdf") for n in range(2)]
    assert documents_render_pending() == 0  # too fresh: their own tasks may still run
    clock.shift(datetime.timedelta(seconds=121))

    assert documents_render_pending() == 3
    assert {fresh(d).status for d in good} == {GeneratedDocument.Status.READY}
    broken = fresh(broken)
    assert broken.status == GeneratedDocument.Status.PENDING and broken.attempts == 1
    assert broken.error == "TemplateDoesNotExist: foundation_tests/pdf/does_not_exist.html"
    assert broken.next_attempt_at == START + datetime.timedelta(seconds=121 + 300)
    assert not broken.file

    assert documents_render_pending() == 0  # waits for its retry time
    clock.shift(datetime.timedelta(seconds=300))
    assert documents_render_pending() == 1
    assert fresh(broken).attempts == 2
    clock.shift(datetime.timedelta(seconds=600))
    assert documents_render_pending() == 1
    broken = fresh(broken)
    assert broken.status == GeneratedDocument.Status.FAILED and broken.attempts == 3
    clock.shift(datetime.timedelta(days=1))
    assert documents_render_pending() == 0
    assert "failed to render" in caplog.text
    assert "山田" not in caplog.text  # the document's data never reaches the log


def test_weasyprint_renders_with_the_row_committed_in_flight_and_unlocked(clock):
    """While WeasyPrint fetches the document's image, another connection sees the row RENDERING
    with its attempt counted and can lock it at once: no transaction spans the render."""
    seen = []
    document_ids = []

    class Image(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server API
            from django.db import connection as server_thread_connection

            try:
                with transaction.atomic():
                    seen.append(
                        GeneratedDocument.objects.select_for_update(nowait=True)
                        .filter(pk=document_ids[0])
                        .values_list("status", "attempts", "claimed_at")
                        .get()
                    )
            except Exception as exc:  # noqa: BLE001 - a lock held by the renderer lands here
                seen.append(type(exc).__name__)
            finally:
                server_thread_connection.close()
            body = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>'
            self.send_response(200)
            self.send_header("Content-Type", "image/svg+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Image)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        document = requested(
            "with_image.html",
            context={"title": "画像つき", "image_url": f"http://127.0.0.1:{server.server_port}/i"},
        )
        document_ids.append(document.pk)
        document = document_render_now(document_id=document.pk)
    finally:
        server.shutdown()
        server.server_close()
    assert seen == [("rendering", 1, START)]
    assert document.status == GeneratedDocument.Status.READY, document.error


def test_a_render_left_in_flight_by_a_killed_worker_is_requeued_and_rendered_once(clock):
    document = requested("sample.html")
    assert document_claim(document_id=document.pk) is not None  # the worker died here
    assert document_render_now(document_id=document.pk).status == "rendering"  # duplicate task
    clock.shift(datetime.timedelta(seconds=899))
    assert documents_render_pending() == 0
    clock.shift(datetime.timedelta(seconds=2))
    assert documents_render_pending() == 1
    document = fresh(document)
    assert document.status == GeneratedDocument.Status.READY and document.attempts == 2
    assert document.error == ""
    with document.file.open("rb") as handle:
        assert handle.read(5) == b"%PDF-"
    clock.shift(datetime.timedelta(hours=1))
    assert documents_render_pending() == 0
