"""Audit events (who did what to which object, when) and log redaction."""

import logging

import pytest

from companies.models import Organisation
from kosha_portal.audit.models import AuditEvent
from kosha_portal.audit.services import audit_events_for, audit_record
from kosha_portal.logging import RedactPersonalDataFilter
from tests.factories import OrganisationFactory


@pytest.mark.django_db
def test_audit_record_names_actor_action_and_object(desk_user):
    organisation = OrganisationFactory(name="株式会社監査商店")
    event = audit_record(
        actor=desk_user,
        action="organisation.update",
        obj=organisation,
        changes={"fields": ["phone"]},
    )
    system = audit_record(actor=None, action="job.run")
    company = audit_record(actor="company:abc123", action="consultation.submit", obj=organisation)
    assert event.actor == desk_user and event.actor_label == "desk1"
    assert event.content_type.model == "organisation"
    assert event.object_id == str(organisation.pk)
    assert event.object_repr == f"事業者 #{organisation.pk}"  # never the name
    assert event.target == organisation
    assert event.created_at is not None
    assert (system.actor, system.actor_label, system.object_id) == (None, "system", "")
    assert (company.actor, company.actor_label) == (None, "company:abc123")
    assert list(audit_events_for(organisation)) == [company, event]


def organisation_form_data(organisation: Organisation, **changes) -> dict:
    data = {
        name: getattr(organisation, name) if getattr(organisation, name) is not None else ""
        for name in [
            "kind",
            "name",
            "name_kana",
            "corporate_number",
            "representative",
            "postal_code",
            "prefecture",
            "prefecture_code",
            "municipality",
            "address",
            "phone",
            "email",
            "main_business",
            "industry",
            "capital_yen",
            "employees",
        ]
    }
    return {**data, **changes}


@pytest.mark.django_db
def test_admin_edit_of_personal_data_is_audited_without_values(desk_client):
    organisation = OrganisationFactory(representative="山田 太郎", phone="03-3251-7881")
    url = f"/admin/companies/organisation/{organisation.pk}/change/"
    response = desk_client.post(
        url, organisation_form_data(organisation, representative="佐藤 花子", phone="090-9999-8888")
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    organisation.refresh_from_db()
    assert organisation.representative == "佐藤 花子"

    # The admin saves an organisation through organisation_update, which records the event.
    event = AuditEvent.objects.get(action="organisation.update")
    assert event.actor_label == "desk1"
    assert event.target == organisation
    assert sorted(event.changes["fields"]) == ["phone", "representative"]
    stored = str(event.changes) + event.object_repr
    for personal in ("佐藤", "山田", "090-9999-8888", "03-3251-7881"):
        assert personal not in stored

    # Staff see the history on the object's page and in the audit list.
    page = desk_client.get(url).content.decode()
    assert "代表者名、電話番号 を変更" in page or "電話番号、代表者名 を変更" in page
    listing = desk_client.get("/admin/audit/auditevent/")
    assert listing.status_code == 200
    assert "を変更" in listing.content.decode()


@pytest.mark.django_db
def test_audit_events_are_read_only_in_admin(desk_client):
    event = audit_record(actor=None, action="job.run")
    assert desk_client.get("/admin/audit/auditevent/add/").status_code == 403
    response = desk_client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def make_record(msg, *args):
    return logging.LogRecord("django.request", logging.WARNING, __file__, 1, msg, args, None)


def test_redaction_filter_removes_tokens_and_emails():
    redact = RedactPersonalDataFilter()
    token = "Zq3x-_Yk0pW9vB2nR7tL5mH8jD4sF6aC1eG0iK2oU3y"
    record = make_record(
        "Not Found: /access/%s/ from %s", token, "yamada.taro+desk@shop.example.jp"
    )
    assert redact.filter(record) is True
    message = record.getMessage()
    assert token not in message
    assert "yamada" not in message and "example.jp" not in message
    assert message == "Not Found: /access/[redacted]/ from [email]"


def test_redaction_keeps_ordinary_messages_and_survives_bad_format():
    redact = RedactPersonalDataFilter()
    plain = make_record("outbox email %s sent", 42)
    assert redact.filter(plain) and plain.getMessage() == "outbox email 42 sent"
    broken = make_record("%s %s", "only one")
    assert redact.filter(broken) is True


def test_redaction_is_configured_on_the_console_handler(settings):
    assert settings.LOGGING["handlers"]["console"]["filters"] == ["redact"]
    assert (
        settings.LOGGING["filters"]["redact"]["()"]
        == "kosha_portal.logging.RedactPersonalDataFilter"
    )


def test_redaction_filter_covers_phones_tracebacks_and_extra_fields():
    redact = RedactPersonalDataFilter()
    try:
        raise ValueError("rejected recipient yamada@shop.example.jp, phone 090-1234-5678")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "kosha", logging.ERROR, __file__, 1, "send failed", (), sys.exc_info()
        )
    record.recipient = "sato@shop.example.jp"
    record.detail = {"to": ["suzuki@shop.example.jp"], "tel": "03-3251-7881", "count": 3}
    assert redact.filter(record)
    assert "yamada" not in record.exc_text and "090-1234-5678" not in record.exc_text
    assert "[email]" in record.exc_text and "ValueError" in record.exc_text
    assert record.recipient == "[email]"
    assert record.detail == {"to": ["[email]"], "tel": "[phone]", "count": 3}


def test_the_configured_logging_writes_no_address_even_in_a_traceback(settings):
    """With the project's own LOGGING (dictConfig), a logged exception is printed redacted."""
    import io
    import logging.config

    logging.config.dictConfig(settings.LOGGING)
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        try:
            {"to": "kato.jiro@shop.example.jp"}["missing"]
        except KeyError:
            logging.getLogger("kosha_portal.mail").exception(
                "delivery to %s failed", "kato.jiro@shop.example.jp", extra={"tel": "0312345678"}
            )
        try:
            raise RuntimeError("token /access/Zq3x-_Yk0pW9vB2nR7tL5mH8jD4sF6aC1eG0iK2oU3y/ leaked")
        except RuntimeError:
            logging.getLogger("django.request").error("boom", exc_info=True)
    finally:
        handler.setStream(previous)
    output = stream.getvalue()
    assert "Traceback" in output and "KeyError" in output and "RuntimeError" in output
    assert "kato.jiro" not in output and "Zq3x" not in output
    assert output.count("[email]") >= 1 and "/access/[redacted]/" in output
