"""The school's 説明会: rows of the seminars' table (kind INFO_SESSION) registered through the
seminars' services, shown and mailed as the school's. What is proved here: they stay out of the
seminar listing, the school page lists them with their own registration page, registration,
duplicates, the waiting list, cancellation through the personal link and reminders behave as for
seminars, with the 説明会 wording and the school's sign-off; the application links the session
attended; staff see each session's registrations and check-in state."""

import base64
import datetime

import icalendar
import pytest
from django.urls import reverse

from kosha_portal.audit.services import audit_events_for
from kosha_portal.mail.models import OutboundEmail
from school.models import Application, InfoSession
from seminars import services
from seminars.models import Registration, Seminar
from seminars.tasks import seminar_reminders_send
from tests import timeline
from tests.seminars.factories import SeminarFactory, register
from tests.seminars.test_views import form_data, open_link

from .factories import info_session, recruiting_cohort
from .test_views import _form_data as application_form

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]

DESK_SIGNATURE = "カスタマーハラスメント対策支援担当"


def test_the_seminar_listing_and_seminar_pages_leave_info_sessions_out(client):
    seminar = SeminarFactory(title="セミナーの題名")
    session = info_session(title="説明会の題名")
    html = client.get(reverse("seminars:list")).content.decode()
    assert seminar.title in html and session.title not in html
    assert client.get(reverse("seminars:detail", args=[session.pk])).status_code == 404
    assert client.get(reverse("school:info_session", args=[seminar.pk])).status_code == 404
    assert client.get(reverse("school:info_session", args=[session.pk])).status_code == 200


def test_the_school_page_lists_the_open_cohorts_upcoming_sessions_with_a_link_to_register(
    client,
):
    cohort = recruiting_cohort()
    upcoming = info_session(cohort, title="第2期 受講説明会")
    info_session(cohort, title="下書きの説明会", status=Seminar.Status.DRAFT)
    info_session(recruiting_cohort(), title="別の期の説明会")
    html = client.get(reverse("school:about")).content.decode()
    assert upcoming.title in html
    assert reverse("school:info_session", args=[upcoming.pk]) in html
    assert "下書きの説明会" not in html and "別の期の説明会" not in html


def test_registering_from_the_school_page_confirms_with_the_school_wording_and_an_ics(client):
    session = info_session()
    response = client.post(reverse("school:info_session", args=[session.pk]), form_data())
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("school:info_session_done", args=[session.pk]))
    assert "説明会へのお申込みを受け付けました" in client.get(response["Location"]).content.decode()
    registration = Registration.objects.get()
    assert registration.seminar_id == session.pk and registration.status == "confirmed"
    mail = OutboundEmail.objects.get(to="hanako1@example.jp")
    assert mail.template == "school/info_sessions/emails/confirmation"
    assert mail.subject == "【東京都中小企業振興公社】説明会参加確定のお知らせ"
    assert "東京都サービス生産性革新スクール" in mail.body_text
    assert DESK_SIGNATURE not in mail.body_text and DESK_SIGNATURE not in mail.body_html
    assert "セミナー" not in mail.subject + mail.body_text
    [attachment] = mail.attachments
    assert attachment["filename"] == "info-session.ics"
    calendar = icalendar.Calendar.from_ical(base64.b64decode(attachment["content"]))
    event = next(iter(calendar.walk("VEVENT")))
    assert str(event["summary"]).startswith("【説明会】")


def test_a_second_registration_with_the_same_address_is_refused_in_the_sessions_words(client):
    session = info_session()
    url = reverse("school:info_session", args=[session.pk])
    client.post(url, form_data())
    html = client.post(url, form_data(org_name="別の会社")).content.decode()
    assert "この説明会にすでにお申込みいただいています" in html and "確認メールを再送する" in html
    assert Registration.objects.count() == 1
    resend = client.post(
        reverse("school:info_session_resend", args=[session.pk]),
        {"email": "hanako1@example.jp"},
        follow=True,
    )
    assert "再送しました" in resend.content.decode()
    assert resend.redirect_chain[-1][0] == reverse("school:info_session", args=[session.pk])


def test_a_full_session_takes_the_consenting_registrant_onto_the_waiting_list():
    session = info_session(format=Seminar.Format.VENUE, venue_seats=1, online_seats=0)
    register(session, 1)
    with pytest.raises(services.SeatsFullError):
        register(session, 2, join_waitlist=False)
    waiting = register(session, 3, join_waitlist=True)
    assert waiting.status == "waiting" and waiting.waiting_position == 1
    mail = OutboundEmail.objects.get(to=waiting.email)
    assert mail.subject == "【東京都中小企業振興公社】説明会のキャンセル待ちを受け付けました"


def test_cancelling_through_the_personal_link_promotes_the_next_and_acknowledges(client):
    session = info_session(format=Seminar.Format.VENUE, venue_seats=1, online_seats=0)
    first, second = register(session, 1), register(session, 2)
    opened = open_link(client, first)
    assert opened["Location"] == reverse("school:info_session_registration", args=[first.pk])
    page = client.get(opened["Location"]).content.decode()
    assert "説明会のお申込み内容" in page
    my_page = client.get(reverse("accounts:my_page")).content.decode()
    assert "説明会のお申込み" in my_page and "セミナーのお申込み" not in my_page
    # The seminar pages do not open a 説明会's registration (each kind has its own).
    assert client.get(reverse("seminars:registration", args=[first.pk])).status_code == 404
    response = client.post(reverse("school:info_session_cancel", args=[first.pk]), follow=True)
    assert "キャンセルしました" in response.content.decode()
    assert Registration.objects.get(pk=first.pk).status == "cancelled"
    event = audit_events_for(first).get(action="seminar_registration.cancel")
    assert event.changes["reason"] == services.SELF_CANCEL_REASON
    assert Registration.objects.get(pk=second.pk).status == "confirmed"
    ack = OutboundEmail.objects.get(to=first.email, template__endswith="cancelled")
    assert ack.subject == "【東京都中小企業振興公社】説明会のキャンセルを承りました"
    assert ack.attachments[0]["filename"] == "info-session-cancelled.ics"
    promoted = OutboundEmail.objects.get(to=second.email, template__endswith="promoted")
    assert "説明会" in promoted.subject


def test_reminders_are_sent_for_a_session_by_the_periodic_task(time_machine):
    session = info_session(format=Seminar.Format.VENUE, venue_seats=5, online_seats=0)
    registration = register(session, 1)
    eve = timeline.SEMINAR_STARTS - datetime.timedelta(days=1)  # 2027-01-05 14:00, after 9:00
    time_machine.move_to(eve)
    assert seminar_reminders_send(now=eve)["reminders"] == 1
    mail = OutboundEmail.objects.get(
        to=registration.email, template="school/info_sessions/emails/reminder"
    )
    assert mail.subject == "【東京都中小企業振興公社】明日の説明会のご案内"
    assert DESK_SIGNATURE not in mail.body_text
    assert seminar_reminders_send(now=eve)["reminders"] == 0  # once


def test_the_application_links_the_session_the_applicant_attended(client, time_machine):
    cohort = recruiting_cohort()
    attended = info_session(cohort, title="参加した説明会")
    info_session(
        cohort,
        title="まだ開かれていない説明会",
        starts_at=timeline.SEMINAR_STARTS + datetime.timedelta(days=7),
    )
    other = info_session(recruiting_cohort(), title="別の期の説明会")
    time_machine.move_to(timeline.SEMINAR_ENDS + datetime.timedelta(days=1))
    form = client.get(reverse("school:apply")).content.decode()
    assert "参加した説明会" in form and "まだ開かれていない説明会" not in form
    assert "別の期の説明会" not in form
    refused = client.post(reverse("school:apply"), application_form(info_session=other.pk))
    assert refused.status_code == 200 and "選択肢の中からお選びください" in refused.content.decode()
    assert not Application.objects.exists()
    response = client.post(reverse("school:apply"), application_form(info_session=attended.pk))
    assert response.status_code == 302
    assert Application.objects.get().info_session_id == attended.pk


def test_applying_without_a_session_leaves_the_link_empty(client):
    recruiting_cohort()
    assert client.post(reverse("school:apply"), application_form()).status_code == 302
    assert Application.objects.get().info_session is None


def test_the_service_refuses_a_session_of_another_cohort():
    from kosha_portal.errors import DomainError
    from school.services import application_submit

    cohort = recruiting_cohort()
    other = info_session(recruiting_cohort(), starts_at=timeline.NOW - datetime.timedelta(days=1))
    with pytest.raises(DomainError) as refused:
        application_submit(
            cohort=cohort,
            organisation_data={
                "kind": "corporation",
                "name": "株式会社テスト",
                "industry": "retail",
            },
            contact={"name": "山田 太郎", "email": "t@example.jp"},
            participants=[{"name": "佐藤 花子", "role": "課長"}],
            concerns=[],
            concerns_other="",
            info_session=other,
            actor="test",
        )
    assert refused.value.field == "info_session"


def test_staff_see_registrations_and_check_in_state_per_session_and_the_applications_link(
    desk_client,
):
    cohort = recruiting_cohort()
    session = info_session(cohort, venue_seats=5, online_seats=5)
    came = register(session, 1, name="出席 太郎")
    register(session, 2, name="未着 花子")
    services.registration_check_in(registration=came, actor="test")
    seminar = SeminarFactory(title="ふつうのセミナー")
    changelist = desk_client.get(reverse("admin:school_infosession_changelist")).content.decode()
    assert session.title in changelist and seminar.title not in changelist
    seminars = desk_client.get(reverse("admin:seminars_seminar_changelist")).content.decode()
    assert seminar.title in seminars and session.title not in seminars
    change = desk_client.get(
        reverse("admin:school_infosession_change", args=[session.pk])
    ).content.decode()
    assert "出席 太郎" in change and "未着 花子" in change
    assert "出席" in change and "参加確定" in change
    from .factories import ApplicationFactory

    application = ApplicationFactory(cohort=cohort, info_session=session)
    page = desk_client.get(
        reverse("admin:school_application_change", args=[application.pk])
    ).content.decode()
    assert reverse("admin:school_infosession_change", args=[session.pk]) in page


def test_staff_create_a_session_for_a_cohort_from_the_school_admin(desk_client):
    cohort = recruiting_cohort()
    data = {
        "cohort": cohort.pk,
        "fiscal_year": 2026,
        "number": 1,
        "title": "管理画面から作った説明会",
        "description": "",
        "starts_at_0": "2027-01-06",
        "starts_at_1": "14:00",
        "ends_at_0": "2027-01-06",
        "ends_at_1": "15:00",
        "format": "hybrid",
        "venue_name": "秋葉原庁舎",
        "venue_address": "",
        "venue_map_url": "",
        "online_url": "",
        "venue_seats": "10",
        "online_seats": "20",
        "seats_per_company": "",
        "registration_opens_at_0": "2026-11-16",
        "registration_opens_at_1": "10:00",
        "registration_closes_at_0": "2027-01-05",
        "registration_closes_at_1": "17:00",
        "cancel_reason": "",
        "registrations-TOTAL_FORMS": "0",
        "registrations-INITIAL_FORMS": "0",
        "registrations-MIN_NUM_FORMS": "0",
        "registrations-MAX_NUM_FORMS": "1000",
    }
    response = desk_client.post(reverse("admin:school_infosession_add"), data)
    assert response.status_code == 302, response.content.decode()[:3000]
    created = InfoSession.objects.get()
    assert created.kind == Seminar.Kind.INFO_SESSION and created.cohort == cohort
    assert created.status == Seminar.Status.DRAFT and not created.survey_enabled
    # The same 年度 and 回 again: refused beside the field (a seminar's 第1回 does not count).
    SeminarFactory(fiscal_year=2026, number=2)
    again = desk_client.post(reverse("admin:school_infosession_add"), data)
    assert again.status_code == 200
    assert "この年度の説明会の第1回はすでに登録されています。" in again.content.decode()
    data["number"] = 2
    assert desk_client.post(reverse("admin:school_infosession_add"), data).status_code == 302
    InfoSession.objects.filter(number=2).delete()
    # Without a cohort the form refuses beside the field, input kept.
    data.update(cohort="", number=3, title="期のない説明会")
    refused = desk_client.post(reverse("admin:school_infosession_add"), data)
    assert refused.status_code == 200 and "期のない説明会" in refused.content.decode()
    assert InfoSession.objects.count() == 1


def test_staff_cancel_a_session_from_its_change_page_and_every_registrant_is_told(desk_client):
    session = info_session(format=Seminar.Format.VENUE, venue_seats=1, online_seats=0)
    confirmed, waiting = register(session, 1), register(session, 2)
    url = reverse("admin:school_infosession_cancel", args=[session.pk])
    change = desk_client.get(reverse("admin:school_infosession_change", args=[session.pk]))
    assert url in change.content.decode() and "この説明会を中止する" in change.content.decode()
    page = desk_client.get(url).content.decode()
    assert "説明会の中止の確認" in page and "お知らせを送る方：2名" in page
    assert Seminar.objects.get(pk=session.pk).status == "published"
    done = desk_client.post(
        url, {"post": "yes", f"reason_{session.pk}": "講師の急病のため"}, follow=True
    )
    assert "1件の説明会を中止し、申込者2名に中止のお知らせを送りました" in done.content.decode()
    assert done.redirect_chain[-1][0] == reverse(
        "admin:school_infosession_change", args=[session.pk]
    )
    for registration in (confirmed, waiting):
        mail = OutboundEmail.objects.get(to=registration.email, template__endswith="cancelled")
        assert mail.subject.startswith("【東京都中小企業振興公社】説明会中止のお知らせ")
        assert "講師の急病のため" in mail.body_text


def test_an_english_registrants_mails_speak_of_an_information_session():
    from seminars import emails

    registration = register(info_session(), 1)
    registration.language = "en"
    registration.save(update_fields=["language"])
    mail = emails.send_reminder(registration, kind=services.REMINDER_EVE)
    assert mail.subject.endswith("Reminder: information session tomorrow")
    assert "information session" in mail.body_text and "seminar" not in mail.body_text.lower()


def test_the_demo_has_one_upcoming_session_for_the_recruiting_cohort_and_stays_idempotent():
    import io

    from school import demo

    demo.load(io.StringIO())
    demo.load(io.StringIO())
    [session] = InfoSession.objects.all()
    assert session.cohort.status == "recruiting" and session.status == "published"
    assert services.registration_is_open(session)


def test_a_taken_year_and_number_is_refused_per_kind_before_the_database_would():
    from kosha_portal.errors import DomainError

    SeminarFactory(fiscal_year=2026, number=7)
    with pytest.raises(DomainError) as refused:
        services.seminar_validate(data={"fiscal_year": 2026, "number": 7})
    assert refused.value.field == "number" and "第7回はすでに登録されています" in str(
        refused.value.message
    )
    # A 説明会 numbers its own series.
    services.seminar_validate(
        data={"fiscal_year": 2026, "number": 7, "cohort": recruiting_cohort()},
        kind=Seminar.Kind.INFO_SESSION,
    )


def test_a_session_confirmation_carries_the_check_in_code_that_checks_in_at_the_door_once(
    client, mail_outbox, django_capture_on_commit_callbacks
):
    """The QR check-in (seminars.qr, the same services) serves the 説明会 too."""
    from seminars import qr

    session = info_session(format=Seminar.Format.VENUE, venue_seats=5, online_seats=0)
    with django_capture_on_commit_callbacks(execute=True):
        hanako = register(session, 1)
    message = mail_outbox[-1]
    assert message.to == [hanako.email] and "説明会" in message.subject
    assert f"受付コード：{hanako.checkin_code_display}" in message.body
    open_link(client, hanako)
    page = client.get(hanako.get_portal_url()).content.decode()
    assert qr.checkin_qr_svg(hanako) in page
    services.registration_check_in_by_code(
        seminar=session, value=hanako.checkin_code_display, actor="door"
    )
    assert Registration.objects.get(pk=hanako.pk).status == "attended"
    with pytest.raises(services.CheckInRefused):
        services.registration_check_in_by_code(
            seminar=session, value=hanako.checkin_code_display, actor="door"
        )
