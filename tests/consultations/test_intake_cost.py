"""What one intake costs the database, and the work it must still do: the statement budget (with
and without attachments, for a returning and a new company), one outbox wake-up per commit, the
periodic flush delivering the confirmation when the wake-up is lost, the cached closure days
following staff's edits."""

import datetime
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from consultations.models import Consultation, ConsultationAttachment, FiscalYearCounter
from kosha_portal.accounts.models import AccessLink
from kosha_portal.audit.models import AuditEvent
from kosha_portal.japan.models import ClosureDay
from kosha_portal.mail import tasks as mail_tasks
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.mail.services import WAKE_FLAG, email_enqueue
from kosha_portal.mail.tasks import outbox_flush
from tests import timeline
from tests.foundation.conftest import smtp_server  # noqa: F401 - the real SMTP server fixture

from .conftest import PDF, PNG, intake_payload

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]
URL = "/consultations/new/"
# BEGIN/COMMIT in production; in a test, the SAVEPOINT/RELEASE the test's own transaction turns
# the submission's transaction into.
TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK")
MAX_STATEMENTS = 9


def work(captured) -> list[str]:
    return [
        q["sql"]
        for q in captured.captured_queries
        if not q["sql"].lstrip().upper().startswith(TRANSACTION_CONTROL)
    ]


def uploads():
    return [
        SimpleUploadedFile("写真.png", PNG, content_type="image/png"),
        SimpleUploadedFile("経緯.pdf", PDF, content_type="application/pdf"),
    ]


@pytest.mark.parametrize("attachments", [False, True], ids=["no-files", "two-files"])
@pytest.mark.parametrize("company", ["returning", "new"])
def test_an_intake_runs_at_most_nine_sql_statements(
    client, django_assert_max_num_queries, django_capture_on_commit_callbacks, attachments, company
):
    # A first submission warms the process up and registers the returning company.
    assert client.post(URL, intake_payload(contact_email="first@kamome.example.jp")).status_code
    payload = intake_payload(contact_email="second@kamome.example.jp")
    if company == "new":
        payload.update(org_name="株式会社はじめて商会", org_phone="03-1111-2222")
    if attachments:
        payload["attachments"] = uploads()
    # Two more for the transaction's own control statements (SAVEPOINT/RELEASE here).
    with (
        django_assert_max_num_queries(MAX_STATEMENTS + 2) as captured,
        django_capture_on_commit_callbacks(execute=False),
    ):
        response = client.post(URL, payload)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert len(work(captured)) <= MAX_STATEMENTS, "\n".join(work(captured))
    # ... and it did all its work.
    consultation = Consultation.objects.get(contact_email="second@kamome.example.jp")
    first = Consultation.objects.get(contact_email="first@kamome.example.jp")
    assert consultation.sequence == first.sequence + 1
    assert (consultation.organisation_id == first.organisation_id) == (company == "returning")
    assert ConsultationAttachment.objects.filter(consultation=consultation).count() == (
        2 if attachments else 0
    )
    actions = set(
        AuditEvent.objects.filter(created_at__gte=consultation.received_at).values_list(
            "action", flat=True
        )
    )
    assert "consultation.submit" in actions
    assert ("organisation.create" in actions) == (company == "new")
    email = OutboundEmail.objects.get(to="second@kamome.example.jp")
    assert consultation.reference in email.subject
    assert re.search(r"/access/sealed-\d+/", email.body_text)


INSERTED = {
    '"consultations_consultation"': "consultation",
    '"audit_auditevent"': "audit",
    '"accounts_accesslink"': "link",
    '"mail_outboundemail"': "email",
    '"companies_organisation"': "organisation",
    '"consultations_consultationattachment"': "attachments",
}


def _kind(sql: str) -> str:
    """What a statement of the intake does, in a word or a few joined by "+"."""
    if "pg_advisory_xact_lock" in sql:
        return "locks + number + ids" if sql.count("nextval") == 3 else "locks"
    inserted = re.findall(r'INSERT INTO ("[a-z_]+")', sql)
    if inserted:
        return " + ".join(INSERTED.get(table, table) for table in inserted)
    return "match" if 'FROM "companies_organisation"' in sql else sql[:80]


@pytest.mark.parametrize("company", ["returning", "new"])
def test_an_intake_takes_its_number_and_ids_with_the_locks_and_writes_its_rows_in_one_statement(
    client, django_capture_on_commit_callbacks, company
):
    if connection.vendor != "postgresql":
        pytest.skip("the number's sequence and the joint INSERT are PostgreSQL's")
    assert client.post(URL, intake_payload(contact_email="first@kamome.example.jp")).status_code
    payload = intake_payload(contact_email="second@kamome.example.jp")
    if company == "new":
        payload.update(org_name="株式会社はじめて商会", org_phone="03-1111-2222")
    with (
        CaptureQueriesContext(connection) as captured,
        django_capture_on_commit_callbacks(execute=False),
    ):
        assert client.post(URL, payload).status_code == 302
    expected = ["locks + number + ids", "match", "consultation + link + audit + email"]
    if company == "new":
        # The new row's audit event goes with the others.
        expected[2:] = ["organisation", "consultation + link + audit + audit + email"]
    assert [_kind(sql) for sql in work(captured)] == expected
    consultation = Consultation.objects.get(contact_email="second@kamome.example.jp")
    first = Consultation.objects.get(contact_email="first@kamome.example.jp")
    assert consultation.sequence == first.sequence + 1
    assert consultation.reference == f"{consultation.fiscal_year}-{consultation.sequence:04d}"
    link = AccessLink.objects.get(email="second@kamome.example.jp")
    assert (link.target, link.organisation) == (consultation, consultation.organisation)
    email = OutboundEmail.objects.get(to="second@kamome.example.jp")
    assert f"/access/sealed-{link.pk}/" in email.body_text
    assert AuditEvent.objects.filter(
        action="consultation.submit", object_id=str(consultation.pk)
    ).exists()


def test_a_failed_submission_leaves_a_gap_and_its_number_is_never_given_twice(client, monkeypatch):
    import consultations.services as services

    client.post(URL, intake_payload(contact_email="first@kamome.example.jp"))

    def broken(**kwargs):
        raise RuntimeError("the outbox is broken")

    monkeypatch.setattr(services, "email_build", broken)
    with pytest.raises(RuntimeError):
        client.post(URL, intake_payload(contact_email="lost@kamome.example.jp"))
    monkeypatch.undo()
    client.post(URL, intake_payload(contact_email="third@kamome.example.jp"))
    first, third = Consultation.objects.order_by("sequence")
    assert third.sequence == first.sequence + 2  # the failed submission's number stays unused


def test_one_commit_sends_one_wake_up_for_all_its_emails(
    monkeypatch, django_capture_on_commit_callbacks
):
    from django.db import transaction

    woken = []
    monkeypatch.setattr(mail_tasks.outbox_wake, "delay", lambda ids: woken.append(list(ids)))
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        emails = [
            email_enqueue(
                to=f"desk{i}@example.jp",
                template="accounts/emails/links_resend",
                context={"entries": []},
            )
            for i in range(3)
        ]
    assert woken == [[e.pk for e in emails]]
    # While that wake-up has not reached a worker, another commit's email sends none: the
    # worker looks for every due row once it has taken the flag down.
    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(
            to="desk9@example.jp", template="accounts/emails/links_resend", context={"entries": []}
        )
    assert len(woken) == 1
    cache.delete(WAKE_FLAG)
    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(
            to="desk10@example.jp",
            template="accounts/emails/links_resend",
            context={"entries": []},
        )
    assert len(woken) == 2


def test_a_wake_up_delivers_its_emails_and_those_whose_wake_up_it_stood_for(
    monkeypatch, django_capture_on_commit_callbacks, mailoutbox
):
    monkeypatch.setattr(mail_tasks.outbox_wake, "delay", lambda ids: None)  # lost
    with django_capture_on_commit_callbacks(execute=True):
        waiting = email_enqueue(
            to="a@example.jp", template="accounts/emails/links_resend", context={"entries": []}
        )
    monkeypatch.undo()
    cache.delete(WAKE_FLAG)
    with django_capture_on_commit_callbacks(execute=True):
        email_enqueue(
            to="b@example.jp", template="accounts/emails/links_resend", context={"entries": []}
        )
    assert sorted(m.to[0] for m in mailoutbox) == ["a@example.jp", "b@example.jp"]
    waiting.refresh_from_db()
    assert waiting.status == OutboundEmail.Status.SENT


@pytest.mark.django_db(transaction=True)
def test_an_intake_email_whose_wake_up_is_lost_is_delivered_by_the_periodic_flush(
    client,
    monkeypatch,
    smtp_server,  # noqa: F811 - the imported fixture
    settings,
):
    """A committed intake whose wake-up never reaches a worker (accepted by the broker, then
    lost): the outbox row waits, and the minute's outbox_flush delivers it over SMTP, once, with
    a working personal link."""
    settings.CONSULTATION_MIN_FILL_SECONDS = 0
    lost = []
    monkeypatch.setattr(mail_tasks.outbox_wake, "delay", lambda ids: lost.append(ids))
    response = client.post(URL, intake_payload(contact_email="kamome@shop.example.jp"))
    assert response.status_code == 302
    consultation = Consultation.objects.get()
    email = OutboundEmail.objects.get(to="kamome@shop.example.jp")
    assert lost == [[email.pk]]
    assert email.status == OutboundEmail.Status.PENDING and smtp_server.messages == []

    assert outbox_flush() == 1
    (message,) = smtp_server.messages
    assert message["To"] == "kamome@shop.example.jp"
    assert consultation.reference in message["Subject"]
    link = re.search(r"(/access/[A-Za-z0-9_-]{20,}/)", message.get_body(("plain",)).get_content())
    assert client.get(link.group(1)).status_code == 302
    email.refresh_from_db()
    assert email.status == OutboundEmail.Status.SENT
    assert outbox_flush() == 0 and len(smtp_server.messages) == 1


def test_a_closure_day_staff_add_moves_the_next_intakes_reply_date(
    client, django_capture_on_commit_callbacks
):
    # NOW is Tuesday 2026-12-01 10:00 JST: replies are due on Wednesday.
    client.post(URL, intake_payload(contact_email="before@example.jp"))
    assert Consultation.objects.get().reply_by == datetime.date(2026, 12, 2)
    with django_capture_on_commit_callbacks(execute=True):
        closure = ClosureDay.objects.create(date=datetime.date(2026, 12, 2), reason="棚卸し")
    client.post(URL, intake_payload(contact_email="after@example.jp"))
    assert Consultation.objects.get(contact_email="after@example.jp").reply_by == (
        datetime.date(2026, 12, 3)
    )
    with django_capture_on_commit_callbacks(execute=True):
        closure.delete()
    client.post(URL, intake_payload(contact_email="again@example.jp"))
    assert Consultation.objects.get(contact_email="again@example.jp").reply_by == (
        datetime.date(2026, 12, 2)
    )


def test_closure_days_are_read_from_the_cache_once_stored(client):
    client.post(URL, intake_payload(contact_email="warm@example.jp"))
    with CaptureQueriesContext(connection) as captured:
        client.post(URL, intake_payload(contact_email="cached@example.jp"))
    assert not [q for q in captured.captured_queries if "japan_closureday" in q["sql"]]


def test_a_closure_day_saved_by_another_process_reaches_this_one_within_its_copy_lifetime(
    client, monkeypatch
):
    """Another worker's edit empties the shared cache, not this process's copy of the days: the
    next intakes here keep the old reply date until the copy expires, then follow the edit."""
    import time

    from kosha_portal.japan import business_days

    client.post(URL, intake_payload(contact_email="before@example.jp"))
    ClosureDay.objects.bulk_create([ClosureDay(date=datetime.date(2026, 12, 2), reason="棚卸し")])
    cache.delete(business_days.CLOSURE_DAYS_CACHE_KEY)  # what the other process's signal does
    client.post(URL, intake_payload(contact_email="soon@example.jp"))
    assert Consultation.objects.get(contact_email="soon@example.jp").reply_by == (
        datetime.date(2026, 12, 2)
    )
    later = time.monotonic() + business_days.CLOSURE_DAYS_LOCAL_SECONDS + 1
    monkeypatch.setattr(business_days, "_monotonic", lambda: later)
    client.post(URL, intake_payload(contact_email="later@example.jp"))
    assert Consultation.objects.get(contact_email="later@example.jp").reply_by == (
        datetime.date(2026, 12, 3)
    )


def test_a_years_numbers_continue_after_those_its_counter_gave_before_it_had_a_sequence(client):
    """A database numbered by the counter row alone (before the year's sequence existed, or by
    the demo on SQLite) goes on from its last number."""
    FiscalYearCounter.objects.create(fiscal_year=2026, last_sequence=41)
    client.post(URL, intake_payload(contact_email="next@example.jp"))
    client.post(URL, intake_payload(contact_email="after@example.jp"))
    assert sorted(Consultation.objects.values_list("reference", flat=True)) == [
        "2026-0042",
        "2026-0043",
    ]
