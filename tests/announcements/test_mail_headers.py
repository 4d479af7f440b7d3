"""The outbox's per-message extra headers (added for List-Unsubscribe): stored with the row,
sent with every attempt, refused when they would replace what the outbox sets or start a header
of their own, and erased with the rest of the content by the retention sweep."""

import pytest
from django.db import transaction

from kosha_portal.mail.models import OutboundEmail
from kosha_portal.mail.retention import outbox_erase
from kosha_portal.mail.services import email_enqueue

pytestmark = pytest.mark.django_db(transaction=True)

TEMPLATE = "announcements/emails/confirm"
CONTEXT = {"confirm_url": "https://portal.example.jp/x/", "hours": 48, "expires_at": None}


def test_extra_headers_are_delivered_with_the_message(smtp_server):
    with transaction.atomic():
        email = email_enqueue(
            to="headers@example.jp",
            template=TEMPLATE,
            context=CONTEXT,
            headers={"List-Unsubscribe": "<https://portal.example.jp/u/>", "List-Id": "<a.b>"},
        )
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    (message,) = smtp_server.messages
    assert message["List-Unsubscribe"] == "<https://portal.example.jp/u/>"
    assert message["List-Id"] == "<a.b>"
    assert message["Message-ID"] == email.message_id


@pytest.mark.parametrize(
    "headers",
    [
        {"From": "someone@example.jp"},
        {"message-id": "<x@y>"},
        {"Bcc": "spy@example.jp"},
        {"List-Id": "a\r\nBcc: spy@example.jp"},
        {"Bad Name": "x"},
        {"List-Id": "a", "list-id": "b"},
    ],
)
def test_headers_that_would_change_the_message_are_refused(headers):
    with pytest.raises(ValueError), transaction.atomic():
        email_enqueue(to="x@example.jp", template=TEMPLATE, context=CONTEXT, headers=headers)
    assert not OutboundEmail.objects.exists()


def test_the_headers_are_erased_with_the_content():
    with transaction.atomic():
        email = email_enqueue(
            to="erase@example.jp",
            template=TEMPLATE,
            context=CONTEXT,
            headers={"List-Unsubscribe": "<https://portal.example.jp/u/token/>"},
        )
    with transaction.atomic():
        assert outbox_erase(OutboundEmail.objects.filter(pk=email.pk)) == 1
    email.refresh_from_db()
    assert email.headers == {} and email.to == ""
