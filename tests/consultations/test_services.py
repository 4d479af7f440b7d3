import datetime
import threading

import pytest
from django.db import connection

from consultations.models import Consultation, ConsultationMessage
from consultations.selectors import consultation_with_confirmed_need, overdue_q
from consultations.services import (
    consultation_close,
    consultation_company_message_add,
    consultation_dispatch_need_determine,
    consultation_mark_answered,
    consultation_note_add,
    consultation_reopen,
    consultation_reply_send,
    consultation_start,
    consultation_submit,
    consultation_withdraw,
    desk_digest_send,
)
from kosha_portal.audit.models import AuditEvent
from kosha_portal.errors import DomainError
from kosha_portal.japan.deadlines import end_of_day
from kosha_portal.mail.models import OutboundEmail
from tests import timeline

from .conftest import consultation_data, organisation_data

pytestmark = pytest.mark.django_db
S = Consultation.Status


def test_allowed_path_new_to_closed_sets_milestones(make_consultation, desk_user):
    c = make_consultation()
    assert c.status == S.NEW
    c = consultation_start(consultation=c, actor=desk_user)
    c = consultation_mark_answered(consultation=c, actor=desk_user)
    c = consultation_close(consultation=c, actor=desk_user)
    assert c.status == S.CLOSED
    assert c.started_at and c.answered_at and c.closed_at
    c = consultation_reopen(consultation=c, reason="追加のご相談", actor=desk_user)
    assert c.status == S.IN_PROGRESS and c.reopened_at
    c = consultation_withdraw(consultation=c, reason="社内で解決", actor=desk_user)
    assert c.status == S.WITHDRAWN and c.withdrawn_at
    actions = list(AuditEvent.objects.filter(object_id=str(c.pk)).values_list("action", flat=True))
    assert "consultation.status.closed" in actions and "consultation.status.withdrawn" in actions


@pytest.mark.parametrize("service", [consultation_mark_answered, consultation_close])
def test_refused_transitions_from_new(make_consultation, desk_user, service):
    c = make_consultation()
    with pytest.raises(DomainError) as error:
        service(consultation=c, actor=desk_user)
    assert error.value.code == "transition"
    assert "変更できません" in str(error.value)
    c.refresh_from_db()
    assert c.status == S.NEW


def test_reopen_of_open_case_and_double_withdraw_are_refused(make_consultation, desk_user):
    c = make_consultation()
    with pytest.raises(DomainError):
        consultation_reopen(consultation=c, reason="再開", actor=desk_user)
    consultation_withdraw(consultation=c, reason="社内で解決", actor=desk_user)
    with pytest.raises(DomainError):
        consultation_withdraw(consultation=c, reason="社内で解決", actor=desk_user)
    with pytest.raises(DomainError):
        consultation_reply_send(consultation=c, body="回答", actor=desk_user)


def test_reply_emails_company_and_internal_note_goes_nowhere(
    make_consultation, desk_user, django_capture_on_commit_callbacks, mail_outbox
):
    c = make_consultation(email="kaisha@example.jp")
    OutboundEmail.objects.all().delete()
    with django_capture_on_commit_callbacks(execute=True):
        consultation_note_add(
            consultation=c, body="ひみつのメモ：警察OBに相談予定", actor=desk_user
        )
        consultation_reply_send(consultation=c, body="対応方針をご提案します。", actor=desk_user)
    c.refresh_from_db()
    assert c.status == S.ANSWERED
    emails = list(OutboundEmail.objects.all())
    assert len(emails) == 1 and emails[0].to == "kaisha@example.jp"
    assert "対応方針をご提案します。" in emails[0].body_text
    for email in OutboundEmail.objects.all():
        assert "ひみつのメモ" not in email.body_text + email.body_html + email.subject
    assert all("ひみつのメモ" not in m.body for m in mail_outbox)
    assert ConsultationMessage.objects.filter(kind="note").count() == 1


def test_dispatch_need_determination_gate_and_email(
    make_consultation, desk_user, django_capture_on_commit_callbacks
):
    c = make_consultation(email="need@example.jp")
    assert consultation_with_confirmed_need(c.organisation) is None
    with pytest.raises(DomainError):
        consultation_dispatch_need_determine(
            consultation=c, needed=True, reason=" ", actor=desk_user
        )
    with django_capture_on_commit_callbacks(execute=True):
        c = consultation_dispatch_need_determine(
            consultation=c, needed=True, reason="マニュアル整備が必要", actor=desk_user
        )
    assert c.dispatch_need is True and c.dispatch_need_decided_by == desk_user
    assert c.dispatch_need_decided_on is not None
    assert consultation_with_confirmed_need(c.organisation) == c
    email = OutboundEmail.objects.get(template="consultations/emails/dispatch_need_confirmed")
    assert email.to == "need@example.jp" and "/access/" in email.body_text
    consultation_dispatch_need_determine(
        consultation=c, needed=False, reason="不要", actor=desk_user
    )
    assert consultation_with_confirmed_need(c.organisation) is None


@pytest.mark.parametrize(
    ("received", "reply_by"),
    [
        # Friday evening: Monday 11-23 is 勤労感謝の日, so the desk replies on Tuesday.
        (timeline.jst(2026, 11, 20, 17, 30), datetime.date(2026, 11, 24)),
        # Over the year-end closure (12/29-1/3).
        (timeline.jst(2026, 12, 28, 20, 0), datetime.date(2027, 1, 4)),
        # The last second of FY2026 in JST (already 04-01 in no other zone that matters).
        (timeline.jst(2027, 3, 31, 23, 59, 59), datetime.date(2027, 4, 1)),
    ],
)
def test_reply_is_due_the_next_business_day_after_receipt(received, reply_by, time_machine):
    time_machine.move_to(received, tick=False)
    consultation = consultation_submit(
        organisation_data=organisation_data(),
        data=consultation_data(),
        privacy_consented=True,
        actor="test",
    )
    assert consultation.received_at == received
    assert consultation.reply_by == reply_by
    assert consultation.fiscal_year == 2026
    time_machine.move_to(end_of_day(reply_by))
    assert not Consultation.objects.filter(overdue_q()).exists()
    time_machine.move_to(end_of_day(reply_by) + datetime.timedelta(seconds=1))
    assert Consultation.objects.filter(overdue_q()).get() == consultation


@pytest.mark.time_machine(timeline.NOW)
def test_digest_goes_to_desk_staff_once_per_day(make_consultation, desk_user, settings):
    settings.DESK_DIGEST_RECIPIENTS = ["desk-list@example.jp"]
    c = make_consultation()
    make_consultation(email="today@example.jp")  # received today, due tomorrow: not overdue
    Consultation.objects.filter(pk=c.pk).update(reply_by="2026-11-30")
    assert desk_digest_send() == 2
    assert desk_digest_send() == 0
    emails = OutboundEmail.objects.filter(template="consultations/emails/desk_digest")
    assert sorted(emails.values_list("to", flat=True)) == ["desk-list@example.jp", desk_user.email]
    body = emails.first().body_text
    assert c.reference in body and "回答期限を過ぎた相談（1）" in body


def test_one_recipient_that_cannot_be_written_does_not_drop_the_others_digest(
    make_consultation, desk_user, settings, caplog
):
    # A mistyped entry in DESK_DIGEST_RECIPIENTS: longer than an address column holds.
    too_long = "desk-" + "x" * 250 + "@example.jp"
    settings.DESK_DIGEST_RECIPIENTS = ["a-list@example.jp", too_long, "z-list@example.jp"]
    make_consultation()
    assert desk_digest_send(today=datetime.date(2026, 12, 1)) == 3
    emails = OutboundEmail.objects.filter(template="consultations/emails/desk_digest")
    assert sorted(emails.values_list("to", flat=True)) == [
        "a-list@example.jp",
        desk_user.email,
        "z-list@example.jp",
    ]
    assert "desk digest 2026-12-01 recipient #2 was not written: DataError" in caplog.text
    assert "xxxx" not in caplog.text


def test_digest_task_runs(desk_user, make_consultation):
    from consultations.tasks import desk_digest_send as task

    make_consultation()
    assert task.apply().get() == 1


def test_staff_recorded_phone_consultation_stores_channel(desk_user):
    c = consultation_submit(
        organisation_data=organisation_data(),
        data=consultation_data(),
        channel="phone",
        privacy_consented=False,
        actor=desk_user,
    )
    assert c.channel == "phone" and c.recorded_by == desk_user
    assert c.privacy_notice_version == ""


def test_web_intake_without_consent_is_refused():
    with pytest.raises(DomainError):
        consultation_submit(
            organisation_data=organisation_data(),
            data=consultation_data(),
            privacy_consented=False,
            actor="anon",
        )
    assert Consultation.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_submissions_get_distinct_sequential_references():
    errors, threads = [], []

    def submit(i):
        try:
            consultation_submit(
                organisation_data=organisation_data(name=f"並行商店{i}"),
                data=consultation_data(contact_email=f"p{i}@example.jp"),
                privacy_consented=True,
                actor="test",
            )
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            connection.close()

    for i in range(8):
        threads.append(threading.Thread(target=submit, args=(i,)))
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    sequences = sorted(Consultation.objects.values_list("sequence", flat=True))
    assert sequences == list(range(1, 9))


def test_demo_is_idempotent_and_confirms_one_need(desk_user):
    import io

    from consultations import demo

    demo.load(io.StringIO())
    demo.load(io.StringIO())
    assert Consultation.objects.filter(contact_email__startswith="demo-").count() == 3
    assert Consultation.objects.filter(dispatch_need=True).count() == 1


def test_company_emails_use_the_language_the_company_used(make_consultation, desk_user):
    from django.utils import translation

    with translation.override("en"):
        english = make_consultation(email="en@example.jp")
    japanese = make_consultation(email="ja@example.jp")
    assert (english.language, japanese.language) == ("en", "ja")
    consultation_start(consultation=english, actor=desk_user)
    # Staff work in Japanese; the reply still reaches the company in English.
    with translation.override("ja"):
        consultation_reply_send(consultation=english, body="Thank you.", actor=desk_user)
    languages = set(
        OutboundEmail.objects.filter(to="en@example.jp").values_list("language", flat=True)
    )
    assert languages == {"en"}
    assert set(
        OutboundEmail.objects.filter(to="ja@example.jp").values_list("language", flat=True)
    ) == {"ja"}


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_withdrawal_or_a_reopening_without_a_reason_is_refused(
    make_consultation, desk_user, reason
):
    c = make_consultation()
    with pytest.raises(DomainError) as error:
        consultation_withdraw(consultation=c, reason=reason, actor=desk_user)
    assert error.value.field == "reason"
    c.refresh_from_db()
    assert c.status == S.NEW and c.withdrawn_at is None
    c = consultation_withdraw(consultation=c, reason="社内で解決しました", actor=desk_user)
    with pytest.raises(DomainError) as error:
        consultation_reopen(consultation=c, reason=reason, actor=desk_user)
    assert error.value.field == "reason"
    c.refresh_from_db()
    assert c.status == S.WITHDRAWN and c.reopened_at is None
    event = AuditEvent.objects.get(action="consultation.status.withdrawn")
    assert event.changes == {"from": "new", "to": "withdrawn", "reason": "社内で解決しました"}


def test_a_company_message_reopens_an_answered_case_with_the_reason_recorded(
    make_consultation, desk_user
):
    from consultations.services import COMPANY_MESSAGE_REOPEN_REASON

    c = make_consultation()
    consultation_reply_send(consultation=c, body="ご回答です", actor=desk_user)
    consultation_company_message_add(consultation=c, body="追加で伺います", actor="company")
    c.refresh_from_db()
    assert c.status == S.IN_PROGRESS and c.reopened_at
    event = AuditEvent.objects.filter(action="consultation.status.in_progress").latest("id")
    assert event.changes["from"] == "answered"
    assert event.changes["reason"] == COMPANY_MESSAGE_REOPEN_REASON
