"""The outbox cannot stall: claim, SMTP outside any transaction, outcome recorded apart; every
failure is an attempt with its reason; a 5xx fails at once, a 4xx or a lost connection waits and
tries again with the same Message-ID; a row left in flight is requeued. Against a real SMTP
server on loopback (aiosmtpd) that refuses, defers or drops chosen recipients."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.db import OperationalError, connection, transaction

from kosha_portal.accounts.services import access_link_issue
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.mail.services import outbound_email_claim, outbound_email_deliver
from kosha_portal.mail.tasks import outbox_flush
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db(transaction=True)

JST = ZoneInfo("Asia/Tokyo")
START = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=JST)
LINK_PATH = re.compile(r"(/access/[A-Za-z0-9_-]{20,}/)")


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture(autouse=True)
def _outbox_settings(settings):
    settings.OUTBOX_MAX_ATTEMPTS = 5
    settings.OUTBOX_RETRY_BASE_SECONDS = 60
    settings.OUTBOX_SENDING_TIMEOUT_SECONDS = 600


def row(to, *, minutes_ago=0, **extra):
    """A committed outbox row, due ``minutes_ago`` minutes ago (no on-commit send: the flush is
    the only sender)."""
    fields = {
        "template": "foundation_tests/emails/greeting",
        "subject": "【東京都中小企業振興公社】テスト",
        "body_text": "本文です。\n",
        "next_attempt_at": START - datetime.timedelta(minutes=minutes_ago),
        **extra,
    }
    return OutboundEmail.objects.create(to=to, **fields)


def fresh(email) -> OutboundEmail:
    return OutboundEmail.objects.get(pk=email.pk)


def plain_text(message) -> str:
    return message.get_body(("plain",)).get_content()


def test_flush_delivers_every_good_row_despite_poison_rows_sorted_first(smtp_server, clock):
    handler = smtp_server.handler
    handler.refuse_rcpt["refused@example.jp"] = (
        "550 5.1.1 <refused@example.jp>: Recipient address rejected: User unknown"
    )
    handler.script("rejected@example.jp", "554 5.7.1 Message content rejected")
    handler.script("busy@example.jp", "451 4.7.1 Greylisted, please try again")
    handler.script("dropped@example.jp", "drop")
    # Poison rows wait longest, so the flush meets them first.
    broken_attachment = row(
        "attach@example.jp",
        minutes_ago=30,
        attachments=[{"filename": "a.txt", "mimetype": "text/plain", "content": "!!not b64!!"}],
    )
    broken_header = row("bad\naddress@example.jp", minutes_ago=29)
    refused = row("refused@example.jp", minutes_ago=28)
    rejected = row("rejected@example.jp", minutes_ago=27)
    busy = row("busy@example.jp", minutes_ago=26)
    dropped = row("dropped@example.jp", minutes_ago=25)
    good = [row(f"good{n:03d}@example.jp", minutes_ago=1) for n in range(100)]

    assert outbox_flush() == 106

    assert sorted(m["To"] for m in smtp_server.messages) == sorted(e.to for e in good)
    assert all(fresh(e).status == OutboundEmail.Status.SENT for e in good)
    assert {fresh(e).attempts for e in good} == {1}

    for permanent, code in ((refused, "550"), (rejected, "554")):
        permanent = fresh(permanent)
        assert permanent.status == OutboundEmail.Status.FAILED  # at once, 4 attempts unused
        assert permanent.attempts == 1 and permanent.failed_at == START
        assert f" {code}: 5." in permanent.last_error
    assert "refused@example.jp" not in fresh(refused).last_error  # no address in the reason
    assert "[email]" in fresh(refused).last_error

    for transient, reason in (
        (busy, "SMTPDataError 451"),
        (dropped, "SMTPServerDisconnected"),
        (broken_attachment, "Error at "),  # binascii.Error, named by where it was raised
        (broken_header, "BadHeaderError at "),
    ):
        transient = fresh(transient)
        assert transient.status == OutboundEmail.Status.PENDING, transient.to
        assert transient.attempts == 1
        assert transient.last_error.startswith(reason), transient.last_error
        assert transient.next_attempt_at == START + datetime.timedelta(seconds=60)
    assert "address@example.jp" not in fresh(broken_header).last_error

    # After the backoff the deferred and the dropped mail go out, with the Message-ID they had.
    clock.shift(datetime.timedelta(seconds=61))
    assert outbox_flush() == 4
    for retried in (busy, dropped):
        retried = fresh(retried)
        assert retried.status == OutboundEmail.Status.SENT and retried.attempts == 2
        assert retried.last_error == ""
        seen = [mid for to, mid, _reply in handler.attempts if to == retried.to]
        assert seen == [retried.message_id] * 2
    assert len(smtp_server.messages) == 102

    # The rows that can never be built use up their attempts and end failed; nothing else moves.
    for _round in range(3):
        clock.shift(datetime.timedelta(hours=1))
        assert outbox_flush() == 2
    for broken in (broken_attachment, broken_header):
        broken = fresh(broken)
        assert broken.status == OutboundEmail.Status.FAILED and broken.attempts == 5
    clock.shift(datetime.timedelta(hours=1))
    assert outbox_flush() == 0
    assert len(smtp_server.messages) == 102
    assert OutboundEmail.objects.filter(status=OutboundEmail.Status.SENDING).count() == 0


def test_451_waits_with_growing_backoff_and_is_delivered_once_the_server_accepts(
    smtp_server, clock
):
    smtp_server.handler.script("busy@example.jp", *["451 4.3.0 Try again later"] * 3)
    email = row("busy@example.jp")
    delays = []
    for _round in range(3):
        assert outbox_flush() == 1
        email = fresh(email)
        delays.append((email.next_attempt_at - START).total_seconds())
        assert outbox_flush() == 0  # not due yet
        clock.move_to(email.next_attempt_at)
    assert delays == [60, 60 + 120, 60 + 120 + 240]
    assert outbox_flush() == 1
    email = fresh(email)
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 4
    [message] = smtp_server.messages
    assert message["Message-ID"] == email.message_id
    assert [mid for _to, mid, _reply in smtp_server.handler.attempts] == [email.message_id] * 4


def test_the_row_is_committed_in_flight_and_unlocked_before_data(smtp_server, clock):
    """While the server holds the DATA reply, another connection sees the row SENDING with its
    attempt counted, and can lock it at once: no transaction spans the SMTP conversation."""
    email = row("watch@example.jp")
    seen = []

    def look(envelope):
        from django.db import connection as server_thread_connection

        try:
            with transaction.atomic():
                locked = (
                    OutboundEmail.objects.select_for_update(nowait=True)
                    .filter(pk=email.pk)
                    .values_list("status", "attempts", "claimed_at")
                    .get()
                )
            seen.append(locked)
        except Exception as exc:  # noqa: BLE001 - a lock held by the sender lands here
            seen.append(type(exc).__name__)
        finally:
            server_thread_connection.close()

    smtp_server.handler.on_data = look
    delivery = outbound_email_deliver(email_id=email.pk)
    assert delivery.outcome == "sent"
    assert seen == [("sending", 1, START)]
    assert fresh(email).status == OutboundEmail.Status.SENT


def test_a_row_left_in_flight_by_a_killed_worker_is_requeued_after_the_timeout_and_sent_once(
    smtp_server, clock
):
    email = row("stuck@example.jp")
    # A worker claimed it and died before it talked to the server.
    assert outbound_email_claim(email_id=email.pk) is not None
    assert outbound_email_deliver(email_id=email.pk) is None  # a duplicate task: claimed
    clock.shift(datetime.timedelta(seconds=599))
    assert outbox_flush() == 0
    assert fresh(email).status == OutboundEmail.Status.SENDING
    assert smtp_server.messages == []

    clock.shift(datetime.timedelta(seconds=2))
    assert outbox_flush() == 1
    email = fresh(email)
    assert email.status == OutboundEmail.Status.SENT and email.attempts == 2
    clock.shift(datetime.timedelta(hours=1))
    assert outbox_flush() == 0
    assert [m["To"] for m in smtp_server.messages] == ["stuck@example.jp"]


def test_a_row_stuck_on_its_last_attempt_is_marked_failed(smtp_server, clock, settings):
    settings.OUTBOX_MAX_ATTEMPTS = 1
    email = row("stuck@example.jp")
    outbound_email_claim(email_id=email.pk)
    clock.shift(datetime.timedelta(seconds=601))
    assert outbox_flush() == 0
    email = fresh(email)
    assert email.status == OutboundEmail.Status.FAILED
    assert "no outcome recorded within 600s of attempt 1" in email.last_error
    assert smtp_server.messages == []


def test_a_crash_between_the_250_and_the_commit_sends_again_with_the_same_message_id_and_link(
    smtp_server, clock, client
):
    """What remains (docs/architecture.md, "Outbox"): the database is lost right after the
    server's 250, so the outcome is never recorded. The requeued row goes out a second time,
    with the same Message-ID (a receiver can drop it) and the same working personal link."""
    link, _token = access_link_issue(email="owner@example.jp", target=OrganisationFactory())
    email = row(
        "owner@example.jp",
        body_text=f"{settings.SITE_URL}/access/sealed-{link.pk}/ をご確認ください。",
    )
    connection.ensure_connection()
    worker_pid = connection.connection.info.backend_pid

    def lose_the_workers_database(envelope):
        from django.db import connection as server_thread_connection

        try:
            with server_thread_connection.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [worker_pid])
        finally:
            server_thread_connection.close()

    smtp_server.handler.on_data = lose_the_workers_database
    with pytest.raises(OperationalError):
        outbound_email_deliver(email_id=email.pk)
    connection.close()
    smtp_server.handler.on_data = None
    assert fresh(email).status == OutboundEmail.Status.SENDING
    assert len(smtp_server.messages) == 1

    clock.shift(datetime.timedelta(seconds=601))
    assert outbox_flush() == 1
    first, second = smtp_server.messages
    assert first["Message-ID"] == second["Message-ID"] == fresh(email).message_id
    path = LINK_PATH.search(plain_text(first)).group(1)
    assert LINK_PATH.search(plain_text(second)).group(1) == path
    assert client.get(path).status_code == 302  # the copy a receiver keeps still works
    assert fresh(email).status == OutboundEmail.Status.SENT


def test_a_reply_that_never_comes_is_retried_with_the_same_message_id(smtp_server, clock, settings):
    """A timeout waiting for the 250: the server may have the message. The retry carries the
    same Message-ID, which is all the protocol offers against the repeat."""
    settings.EMAIL_TIMEOUT = 0.5
    smtp_server.handler.delay = 1.5
    email = row("slow@example.jp")
    assert outbox_flush() == 1
    email = fresh(email)
    assert email.status == OutboundEmail.Status.PENDING
    assert email.last_error.startswith(("TimeoutError", "SMTPServerDisconnected"))
    smtp_server.handler.delay = 0
    clock.shift(datetime.timedelta(seconds=61))
    assert outbox_flush() == 1
    assert fresh(email).status == OutboundEmail.Status.SENT
    ids = {m["Message-ID"] for m in smtp_server.messages}
    assert ids == {email.message_id}


def test_an_unreachable_server_costs_one_attempt_per_flush_not_one_per_row(smtp_server, clock):
    emails = [row(f"wait{n}@example.jp", minutes_ago=3 - n) for n in range(3)]
    smtp_server.stop()
    assert outbox_flush() == 3
    attempts = [fresh(e).attempts for e in emails]
    assert attempts == [1, 0, 0]
    assert fresh(emails[0]).last_error.startswith("ConnectionRefusedError")

    smtp_server.start()
    clock.shift(datetime.timedelta(seconds=61))
    outbox_flush()
    assert {fresh(e).status for e in emails} == {OutboundEmail.Status.SENT}
    assert len(smtp_server.messages) == 3


def test_admin_shows_state_attempts_and_reason_and_retries_only_what_is_not_in_flight(
    smtp_server, clock, desk_client
):
    smtp_server.handler.refuse_rcpt["gone@example.jp"] = "550 5.1.1 User unknown"
    failed = row("gone@example.jp")
    outbox_flush()
    in_flight = row("flying@example.jp")
    outbound_email_claim(email_id=in_flight.pk)

    page = desk_client.get("/admin/mail/outboundemail/").content.decode()
    assert '<td class="field-status">送信失敗</td>' in page
    assert '<td class="field-status">送信中</td>' in page
    assert "SMTPRecipientsRefused 550: 5.1.1 User unknown" in page
    detail = desk_client.get(f"/admin/mail/outboundemail/{failed.pk}/change/").content.decode()
    assert failed.message_id.strip("<>") in detail

    del smtp_server.handler.refuse_rcpt["gone@example.jp"]
    response = desk_client.post(
        "/admin/mail/outboundemail/",
        {"action": "retry", "_selected_action": [failed.pk, in_flight.pk]},
        follow=True,
    )
    text = response.content.decode()
    assert "1件を再送待ちにしました。" in text
    assert "送信済みまたは送信中の1件は再送しませんでした。" in text
    assert fresh(failed).status == OutboundEmail.Status.SENT
    assert fresh(in_flight).status == OutboundEmail.Status.SENDING
    assert [m["To"] for m in smtp_server.messages] == ["gone@example.jp"]


def test_a_sending_timeout_shorter_than_an_smtp_conversation_is_reported(settings):
    from kosha_portal.mail.checks import outbox_sending_timeout_check

    settings.EMAIL_TIMEOUT = 20
    settings.OUTBOX_SENDING_TIMEOUT_SECONDS = 900
    assert outbox_sending_timeout_check() == []
    settings.OUTBOX_SENDING_TIMEOUT_SECONDS = 120
    [warning] = outbox_sending_timeout_check()
    assert warning.id == "mail.W001"
