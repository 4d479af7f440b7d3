"""Review findings on the shared infrastructure: no working personal link rests in the outbox, a
broker outage never turns a saved change into an error, documents need the view permission."""

import re

import pytest
from kombu.exceptions import OperationalError

from kosha_portal.accounts.services import access_link_issue, access_link_url
from kosha_portal.documents import tasks as document_tasks
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.documents.services import document_request
from kosha_portal.mail import tasks as mail_tasks
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.mail.services import email_enqueue
from kosha_portal.mail.tasks import outbox_flush
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db
TOKEN_URL = re.compile(r"http://127\.0\.0\.1:8000(/access/[A-Za-z0-9_-]{20,}/)")


def enqueue_link_mail(django_capture_on_commit_callbacks, organisation):
    link, token = access_link_issue(email="owner@shop.example.jp", target=organisation)
    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(
            to="owner@shop.example.jp",
            template="accounts/emails/links_resend",
            context={"entries": [{"label": "テスト", "url": access_link_url(token)}]},
        )
    return link, token


def test_the_outbox_never_holds_a_working_link(
    django_capture_on_commit_callbacks, client, mailoutbox
):
    organisation = OrganisationFactory()
    link, issued_token = enqueue_link_mail(django_capture_on_commit_callbacks, organisation)
    stored = OutboundEmail.objects.get()
    assert stored.status == OutboundEmail.Status.SENT
    assert issued_token not in stored.body_text + stored.body_html
    assert not TOKEN_URL.search(stored.body_text + stored.body_html)
    assert f"/access/sealed-{link.pk}/" in stored.body_text

    # The delivered message carries a fresh token that works ...
    (delivered,) = mailoutbox
    path = TOKEN_URL.search(delivered.body).group(1)
    html = delivered.alternatives[0][0]
    assert path in html
    assert client.get(path).status_code == 302
    # ... and the token the business code saw (the one that was in the rendered body) does not.
    assert client.get(f"/access/{issued_token}/").status_code == 404


def test_every_attempt_of_one_email_carries_the_same_working_token(
    django_capture_on_commit_callbacks, client, mailoutbox
):
    """A repeated delivery (a worker killed after the server's 250, then requeued) must not
    disable the link in the copy the reader already has, which a receiver that drops repeats by
    Message-ID keeps; another email to the same person gets a token of its own."""
    organisation = OrganisationFactory()
    link, _token = enqueue_link_mail(django_capture_on_commit_callbacks, organisation)
    first_hash = type(link).objects.get(pk=link.pk).token_hash
    email = OutboundEmail.objects.get()
    OutboundEmail.objects.filter(pk=email.pk).update(status=OutboundEmail.Status.PENDING)
    outbox_flush()
    assert type(link).objects.get(pk=link.pk).token_hash == first_hash
    first, second = mailoutbox
    assert first.extra_headers["Message-ID"] == second.extra_headers["Message-ID"]
    path = TOKEN_URL.search(first.body).group(1)
    assert TOKEN_URL.search(second.body).group(1) == path
    assert client.get(path).status_code == 302

    other, _token = enqueue_link_mail(django_capture_on_commit_callbacks, organisation)
    assert TOKEN_URL.search(mailoutbox[2].body).group(1) != path
    assert type(other).objects.get(pk=other.pk).token_hash != first_hash


def test_a_broker_outage_leaves_the_change_saved_and_the_mail_queued(
    django_capture_on_commit_callbacks, monkeypatch, mailoutbox
):
    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(mail_tasks.outbox_wake, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        email = email_enqueue(
            to="a@example.jp", template="accounts/emails/links_resend", context={"entries": []}
        )
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.PENDING and mailoutbox == []
    monkeypatch.undo()
    assert outbox_flush() == 1
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT and len(mailoutbox) == 1


def test_documents_whose_task_was_lost_are_rendered_by_the_sweep(
    django_capture_on_commit_callbacks, monkeypatch, test_templates
):
    def broker_down(*args, **kwargs):
        raise OperationalError("broker down")

    monkeypatch.setattr(document_tasks.document_render, "delay", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(
            kind="sample",
            template="foundation_tests/pdf/sample.html",
            filename="s.pdf",
            context={"title": "通知書", "issued": "2023-04-03", "body": "本文"},
        )
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.PENDING
    assert document_tasks.documents_render_pending() == 0  # too fresh: its task may still run
    GeneratedDocument.objects.filter(pk=document.pk).update(
        created_at=document.created_at.replace(year=document.created_at.year - 1)
    )
    assert document_tasks.documents_render_pending() == 1
    document.refresh_from_db()
    assert document.status == GeneratedDocument.Status.READY


def test_staff_without_the_document_permission_get_404(
    django_capture_on_commit_callbacks, client, make_user, desk_user, test_templates
):
    with django_capture_on_commit_callbacks(execute=True):
        document = document_request(
            kind="sample",
            template="foundation_tests/pdf/sample.html",
            filename="s.pdf",
            context={"title": "通知書", "issued": "2023-04-03", "body": "本文"},
        )
    url = f"/documents/{document.uuid}/download/"
    client.force_login(make_user("staff-no-role", is_staff=True))
    assert client.get(url).status_code == 404
    client.force_login(desk_user)
    assert client.get(url).status_code == 200
