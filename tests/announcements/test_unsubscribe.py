"""Unsubscribing needs no login and takes effect at once: the one-click POST of RFC 8058 works
without a session or a CSRF token and unsubscribes only its token's address; the page in every
announcement's footer asks once, then stops; both are recorded."""

import re

import pytest
from django.test import Client

from announcements.models import Subscriber, Suppression
from kosha_portal.audit.models import AuditEvent
from kosha_portal.mail.models import OutboundEmail

from .conftest import draft, send_now, subscribe

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_one_click_post_from_the_delivered_header_unsubscribes_without_session_or_csrf(
    smtp_server,
):
    subscriber = subscribe("oneclick@example.jp")
    other = subscribe("other@example.jp")
    send_now(draft())
    message = next(m for m in smtp_server.messages if m["To"] == "oneclick@example.jp")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = re.search(r"<(https?://[^>]+/one-click/)>", message["List-Unsubscribe"])[1]
    path = url.split("127.0.0.1:8000", 1)[1]

    mail_program = Client(enforce_csrf_checks=True)  # no cookie, no session, no CSRF token
    response = mail_program.post(
        path,
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert not response.cookies
    subscriber.refresh_from_db()
    other.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_method == "one_click"
    assert other.status == Subscriber.Status.ACTIVE
    assert Suppression.objects.filter(address_hash=subscriber.email_hash).exists()
    event = AuditEvent.objects.get(action="subscriber.unsubscribe")
    assert event.changes["method"] == "one_click" and "oneclick" not in str(event.changes)

    smtp_server.messages.clear()
    send_now(draft(subject="次のお知らせ"))
    assert smtp_server.recipients() == ["other@example.jp"]


def test_only_the_one_click_endpoint_is_exempt_from_csrf(client):
    subscriber = subscribe("page@example.jp")
    strict = Client(enforce_csrf_checks=True)
    assert strict.post(subscriber.unsubscribe_url()).status_code == 403
    assert strict.post("/announcements/", {"email": "x@example.jp"}).status_code == 403
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE
    assert strict.get(subscriber.one_click_url()).status_code == 405
    assert strict.post("/announcements/unsubscribe/no-such-token/one-click/").status_code == 404


def test_the_footer_page_asks_once_then_stops_at_once_without_login(client):
    subscriber = subscribe("footer@example.jp")
    page = client.get(subscriber.unsubscribe_url())
    html = page.content.decode()
    assert page.status_code == 200 and "配信を停止する" in html
    assert subscriber.masked_email == "fo****@example.jp"
    assert subscriber.masked_email in html and "footer@example.jp" not in html
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.ACTIVE  # opening the page changes nothing

    done = client.post(subscriber.unsubscribe_url(), follow=True)
    assert "配信を停止しました" in done.content.decode()
    subscriber.refresh_from_db()
    assert subscriber.status == Subscriber.Status.UNSUBSCRIBED
    assert subscriber.unsubscribe_method == "link"
    again = client.get(subscriber.unsubscribe_url()).content.decode()
    assert "停止済みです" in again


def test_pending_announcement_mail_is_cancelled_by_the_unsubscription(smtp_server):
    from announcements import delivery, services

    from .test_sending import _started

    subscriber = subscribe("pending@example.jp")
    announcement = _started(draft())
    delivery.batch_write(announcement=announcement, limit=10)
    row = OutboundEmail.objects.get(to="pending@example.jp")
    assert row.status == OutboundEmail.Status.PENDING
    Client().post(subscriber.unsubscribe_url())
    row.refresh_from_db()
    assert row.status == OutboundEmail.Status.CANCELLED
    services.announcement_finish(announcement=announcement)
    announcement.refresh_from_db()
    assert announcement.status == "sent"
    assert smtp_server.messages == []


def test_an_unknown_token_gets_a_polite_page(client):
    response = client.get("/announcements/unsubscribe/no-such-token/")
    assert response.status_code == 200
    assert "このリンクは使えません" in response.content.decode()
