"""The mail outbox, delivering to a real SMTP server on loopback (aiosmtpd)."""

import datetime
import threading

import pytest
from django.db import connection, transaction
from django.utils import timezone

from kosha_portal.audit.models import AuditEvent
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.mail.services import email_enqueue, outbound_email_deliver
from kosha_portal.mail.tasks import outbound_email_send, outbox_flush

pytestmark = pytest.mark.django_db(transaction=True)

TEMPLATE = "foundation_tests/emails/greeting"


def enqueue(to="contact@shop.example.jp", language="ja", **extra):
    return email_enqueue(
        to=to,
        template=TEMPLATE,
        language=language,
        context={"name": "山田 太郎", "day": datetime.date(2023, 4, 3)},
        **extra,
    )


def make_due(email):
    OutboundEmail.objects.filter(pk=email.pk).update(
        next_attempt_at=timezone.now() - datetime.timedelta(seconds=1)
    )


@pytest.fixture(autouse=True)
def _templates(test_templates):
    return test_templates


def test_nothing_written_or_sent_when_the_transaction_rolls_back(smtp_server):
    with pytest.raises(RuntimeError), transaction.atomic():
        email = enqueue()
        assert OutboundEmail.objects.filter(pk=email.pk).exists()
        raise RuntimeError("the business change failed")
    assert OutboundEmail.objects.count() == 0
    assert outbox_flush() == 0
    assert smtp_server.messages == []


def test_sent_after_commit_and_only_once_when_the_task_runs_twice(smtp_server):
    with transaction.atomic():
        email = enqueue()
        assert smtp_server.messages == []  # not before the commit
    assert len(smtp_server.messages) == 1
    outbound_email_send.delay(email.pk)
    outbound_email_send(email.pk)
    outbox_flush()
    assert len(smtp_server.messages) == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 1
    assert email.sent_at is not None
    message = smtp_server.messages[0]
    assert message["To"] == "contact@shop.example.jp"
    assert message["Message-ID"] == email.message_id
    assert email.message_id.endswith("@tokyo-kosha.or.jp>")  # the sender's domain


def test_two_workers_at_once_deliver_once(smtp_server):
    """Two deliveries of the same row racing: the row lock lets only one talk to SMTP."""
    smtp_server.handler.delay = 0.5  # keep the first SMTP conversation (and the lock) open
    # A row written directly (no on-commit send), so the two threads are the only senders.
    email = OutboundEmail.objects.create(
        to="race@example.jp",
        template=TEMPLATE,
        subject="件名",
        body_text="本文",
        next_attempt_at=timezone.now(),
    )
    barrier = threading.Barrier(2)
    results = []

    def deliver():
        try:
            barrier.wait()
            results.append(outbound_email_deliver(email_id=email.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=deliver) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(smtp_server.messages) == 1
    assert sorted(r is not None for r in results) == [False, True]


def test_smtp_451_is_recorded_with_backoff_then_retried_by_flush(smtp_server, settings):
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    smtp_server.handler.fail_next = 1
    before = timezone.now()
    with transaction.atomic():
        email = enqueue()
    email.refresh_from_db()
    assert smtp_server.messages == []
    assert email.status == OutboundEmail.Status.PENDING
    assert email.attempts == 1
    assert "451" in email.last_error
    assert before + datetime.timedelta(seconds=59) < email.next_attempt_at
    assert email.next_attempt_at < timezone.now() + datetime.timedelta(seconds=61)

    assert outbox_flush() == 0  # not due yet
    assert smtp_server.messages == []

    make_due(email)
    assert outbox_flush() == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert email.attempts == 2
    assert email.last_error == ""
    assert len(smtp_server.messages) == 1


def test_server_down_is_recorded_and_mail_goes_out_when_it_is_back(smtp_server):
    smtp_server.stop()
    with transaction.atomic():
        email = enqueue()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.PENDING
    assert email.attempts == 1
    assert "ConnectionRefusedError" in email.last_error

    smtp_server.start()
    make_due(email)
    outbox_flush()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(smtp_server.messages) == 1


def test_ends_failed_after_max_attempts_with_growing_backoff(smtp_server, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 3
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    smtp_server.handler.fail_next = 100
    with transaction.atomic():
        email = enqueue()
    delays = []
    for _round in range(2):
        email.refresh_from_db()
        delays.append(round((email.next_attempt_at - timezone.now()).total_seconds() / 60))
        make_due(email)
        outbox_flush()
    email.refresh_from_db()
    assert delays == [1, 2]  # 60 s, then 120 s
    assert email.status == OutboundEmail.Status.FAILED
    assert email.attempts == 3
    assert email.failed_at is not None
    assert "451" in email.last_error
    make_due(email)
    assert outbox_flush() == 0  # a failed email is not retried by itself
    assert smtp_server.messages == []


def test_admin_retry_action_puts_a_failed_email_back(smtp_server, settings, desk_client):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    smtp_server.handler.fail_next = 1
    with transaction.atomic():
        email = enqueue()
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.FAILED

    page = desk_client.get("/admin/mail/outboundemail/")
    assert page.status_code == 200
    assert "送信失敗" in page.content.decode()
    response = desk_client.post(
        "/admin/mail/outboundemail/", {"action": "retry", "_selected_action": [email.pk]}
    )
    assert response.status_code == 302
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert len(smtp_server.messages) == 1
    event = AuditEvent.objects.get(action="email.retry")
    assert event.actor_label == "desk1"
    assert event.object_id == str(email.pk)


def test_rendered_in_the_recipients_language(smtp_server):
    with transaction.atomic():
        japanese = enqueue(to="ja@example.jp", language="ja")
        english = enqueue(to="en@example.jp", language="en")
    assert japanese.subject == "[ja] はい"
    assert english.subject == "[en] Yes"
    assert "このフィールドは必須です。" in japanese.body_text
    assert "令和5年4月3日(月)" in japanese.body_text
    assert "This field is required." in english.body_text
    assert "公益財団法人 東京都中小企業振興公社" in japanese.body_text  # the shared signature
    assert '<html lang="ja">' in japanese.body_html
    assert '<html lang="en">' in english.body_html
    assert "This field is required." in english.body_html

    received = {m["To"]: m for m in smtp_server.messages}
    assert set(received) == {"ja@example.jp", "en@example.jp"}
    ja_message = received["ja@example.jp"]
    assert ja_message["Subject"] == "[ja] はい"
    text = ja_message.get_body(("plain",)).get_content()
    html = ja_message.get_body(("html",)).get_content()
    assert "このフィールドは必須です。" in text
    assert "山田 太郎" in html


def test_attachments_and_dedupe_key(smtp_server):
    with transaction.atomic():
        first = enqueue(
            dedupe_key="reminder:1", attachments=[("案内.txt", "本文".encode(), "text/plain")]
        )
        second = enqueue(dedupe_key="reminder:1")
    assert first is not None and second is None
    assert OutboundEmail.objects.count() == 1
    [message] = smtp_server.messages
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == "案内.txt"
    assert attachment.get_content() == "本文"


PIXEL = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_an_inline_image_travels_beside_the_html_in_a_related_part_over_smtp(smtp_server):
    with transaction.atomic():
        enqueue(
            attachments=[("案内.txt", "本文".encode(), "text/plain")],
            inline_images=[("logo@kosha-portal", "logo.png", PIXEL, "image/png")],
        )
    [message] = smtp_server.messages
    assert message.get_content_type() == "multipart/mixed"
    related, attachment = message.get_payload()
    assert related.get_content_type() == "multipart/related"
    alternative, image = related.get_payload()
    assert alternative.get_content_type() == "multipart/alternative"
    assert image["Content-ID"] == "<logo@kosha-portal>"
    assert image.get_content_disposition() == "inline"
    assert image.get_payload(decode=True) == PIXEL
    assert attachment.get_filename() == "案内.txt"


def test_an_inline_image_is_left_out_of_a_message_without_html(smtp_server, broken_templates):
    broken_templates({f"{TEMPLATE}.html": ""})
    with transaction.atomic():
        enqueue(inline_images=[("logo@kosha-portal", "logo.png", PIXEL, "image/png")])
    [message] = smtp_server.messages
    assert not [part for part in message.walk() if part.get_content_type() == "image/png"]
