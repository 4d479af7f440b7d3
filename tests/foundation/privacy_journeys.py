"""The main journeys of every app, run through the real services with a unique marker planted in
every personal field (name, kana, department, role, email, phone, address, free text, file
contents): the retention, audit and disclosure tests look for the marker afterwards."""

import datetime
import ipaddress
import secrets
from dataclasses import dataclass, field

from django.contrib.admin.sites import site as admin_site
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from kosha_portal.japan.deadlines import JST

PNG = b"\x89PNG\r\n\x1a\n"


def jst(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=JST)


@dataclass
class Planted:
    """The markers of one journey; ``texts`` are searched for in the database dump and files."""

    tag: str
    texts: list = field(default_factory=list)
    email: str = ""
    phone: str = ""
    name: str = ""
    objects: dict = field(default_factory=dict)

    def mark(self, what: str) -> str:
        text = f"{self.tag}{what}"
        self.texts.append(text)
        return text

    def phone_number(self) -> str:
        number = f"090-{secrets.randbelow(9000) + 1000}-{secrets.randbelow(9000) + 1000}"
        self.texts.append(number)
        return number

    def address(self, what: str) -> str:
        text = f"{self.tag.lower()}.{what}@example.jp"
        self.texts.append(text)
        return text


def new_marker() -> Planted:
    return Planted(tag="MK" + secrets.token_hex(5).upper())


def _upload(planted: Planted, what: str):
    content = PNG + planted.mark(f"file-{what}").encode()
    return (SimpleUploadedFile("x.png", content), "image/png", planted.mark(f"fn-{what}") + ".png")


def _org(planted: Planted, what: str, *, kind="corporation", name=None) -> dict:
    return {
        "kind": kind,
        "name": name or f"株式会社テスト{what}{planted.tag[-4:]}",
        "name_kana": "テスト",
        "corporate_number": "",
        "representative": planted.mark(f"代表者{what}"),
        "postal_code": "101-0025",
        "prefecture": "東京都",
        "municipality": "千代田区",
        "address": planted.mark(f"番地{what}"),
        "phone": planted.phone_number(),
        "email": planted.address(f"org-{what}"),
        "main_business": "小売業",
        "industry": "retail",
        "capital_yen": 10_000_000,
        "employees": 12,
    }


def admin_log_change(user, obj) -> None:
    """What an admin edit writes to Django's admin log (``str(obj)`` as the object's name)."""
    request = RequestFactory().post("/")
    request.user = user
    admin_site._registry[type(obj)].log_change(request, obj, [{"changed": {"fields": ["name"]}}])


def consultation_journey(planted: Planted, *, desk_user):
    from consultations import services as c

    planted.email = planted.address("contact")
    planted.phone = planted.phone_number()
    planted.name = planted.mark("相談者")
    consultation = c.consultation_submit(
        organisation_data=_org(planted, "相談", kind="sole_proprietor", name=planted.mark("屋号")),
        data={
            "contact_name": planted.name,
            "contact_kana": planted.mark("ソウダンシャ"),
            "contact_department": planted.mark("部署"),
            "contact_role": planted.mark("役職"),
            "contact_email": planted.email,
            "contact_phone": planted.phone,
            "contact_way": "email",
            "contact_time": "any",
            "places": ["shop"],
            "behaviour_types": ["verbal_abuse", "repeat"],
            "damages": ["staff_left"],
            "measures": [],
            "requested_support": ["advice", "dispatch"],
            "description": planted.mark("相談内容"),
        },
        files=[_upload(planted, "intake")],
        privacy_consented=True,
        actor="test",
    )
    c.consultation_assign(consultation=consultation, officer=desk_user, actor=desk_user)
    c.consultation_start(consultation=consultation, actor=desk_user)
    c.consultation_note_add(consultation=consultation, body=planted.mark("メモ"), actor=desk_user)
    c.consultation_reply_send(consultation=consultation, body=planted.mark("回答"), actor=desk_user)
    c.consultation_company_message_add(
        consultation=consultation,
        body=planted.mark("事業者メッセージ"),
        files=[_upload(planted, "message")],
        actor="company:test",
    )
    c.consultation_dispatch_need_determine(
        consultation=consultation, needed=True, reason=planted.mark("判断理由"), actor=desk_user
    )
    consultation.refresh_from_db()
    planted.objects["consultation"] = consultation
    return consultation


def dispatch_journey(planted: Planted, consultation, *, desk_user, move_to, start):
    from dispatch import services as d
    from tests.dispatch.factories import ALL_YES, expert, program_year

    program_year(start.year if start.month >= 4 else start.year - 1)
    dispatch = d.dispatch_apply(
        consultation=consultation,
        contact_name=planted.mark("派遣担当"),
        contact_email=planted.email,
        theme=planted.mark("テーマ"),
        goals=planted.mark("目標"),
        preferred_expert_type="sme_consultant",
        preferred_mode="onsite",
        preferred_dates=planted.mark("希望日程"),
        attestations=ALL_YES,
        consent=True,
        actor="company:test",
    )
    today = start.astimezone(JST).date()
    dispatch = d.dispatch_decide(
        dispatch=dispatch,
        decision_date=today,
        decision_number=f"決定第{secrets.randbelow(9999)}号",
        expert=expert(),
        planned_visits=1,
        actor=desk_user,
    )
    visit = d.visit_schedule(
        dispatch=dispatch,
        date=today,
        start_time=datetime.time(10),
        mode="onsite",
        place=planted.mark("訪問先"),
        actor=desk_user,
    )
    d.visit_report_file(
        visit=visit,
        report_date=today,
        report_start=datetime.time(10),
        report_end=datetime.time(12),
        attendees=planted.mark("出席者"),
        topics=planted.mark("相談の内容"),
        advice=planted.mark("助言"),
        next_steps=planted.mark("課題"),
        actor=dispatch.expert.user,
    )
    d.visit_report_confirm(visit=visit, actor="company:test")
    d.dispatch_complete(
        dispatch=dispatch,
        summary=planted.mark("総括"),
        outcomes=planted.mark("成果"),
        actor=dispatch.expert.user,
    )
    d.survey_submit(
        dispatch=dispatch,
        satisfaction=5,
        introduced=["manual"],
        comment=planted.mark("派遣の感想"),
        actor="company:test",
    )
    planted.objects["dispatch"] = dispatch
    return dispatch


def seminar_journey(planted: Planted, *, desk_user, move_to, start):
    from seminars import services as s
    from tests.seminars.factories import SeminarFactory

    seminar = SeminarFactory(
        fiscal_year=start.year if start.month >= 4 else start.year - 1,
        starts_at=start + datetime.timedelta(days=10),
        ends_at=start + datetime.timedelta(days=10, hours=2),
        registration_opens_at=start - datetime.timedelta(days=1),
        registration_closes_at=start + datetime.timedelta(days=7),
        published_at=start,
    )
    registration = s.registration_create(
        seminar_id=seminar.pk,
        participant={
            "name": planted.name or planted.mark("参加者"),
            "name_kana": planted.mark("サンカシャ"),
            "department": planted.mark("セミナー部署"),
            "role": planted.mark("セミナー役職"),
            "email": planted.email or planted.address("seminar"),
            "phone": planted.phone or planted.phone_number(),
            "format": "venue",
            "question": planted.mark("質問"),
            "heard_from": "kosha_web",
        },
        organisation_data=_org(planted, "セミナー"),
        join_waitlist=True,
        actor="company:test",
    )
    admin_log_change(desk_user, registration)
    move_to(start + datetime.timedelta(days=10, hours=1))
    s.registration_check_in(registration=registration, actor=desk_user)
    move_to(start + datetime.timedelta(days=11))
    s.seminar_finish(seminar=seminar, actor=desk_user)
    s.registration_thanks_send(registration_id=registration.pk)
    s.survey_submit(
        registration=registration,
        satisfaction=5,
        usefulness=4,
        comment=planted.mark("セミナーの感想"),
        actor="company:test",
    )
    planted.objects["registration"] = registration
    return registration


def school_journey(planted: Planted, *, desk_user, start):
    from school import services as sc
    from school.models import Participant
    from tests.school.factories import SessionFactory, recruiting_cohort

    today = start.astimezone(JST).date()
    cohort = recruiting_cohort(
        number=secrets.randbelow(10_000) + 1000,
        start_date=today,
        end_date=today + datetime.timedelta(days=60),
    )
    application = sc.application_submit(
        cohort=cohort,
        organisation_data=_org(planted, "スクール"),
        contact={
            "name": planted.name or planted.mark("申込担当"),
            "name_kana": planted.mark("モウシコミ"),
            "email": planted.email or planted.address("school"),
            "phone": planted.phone or planted.phone_number(),
        },
        participants=[
            {
                "name": planted.mark("受講者"),
                "name_kana": planted.mark("ジュコウシャ"),
                "department": planted.mark("受講者部署"),
                "role": planted.mark("受講者役職"),
                "email": planted.address("participant"),
            }
        ],
        concerns=["paper_habit"],
        concerns_other=planted.mark("悩み"),
        actor="company:test",
    )
    application = sc.application_accept(
        application=application, actor=desk_user, note=planted.mark("選考メモ")
    )
    session = SessionFactory(cohort=cohort, date=today)
    participant = Participant.objects.get(application=application)
    sc.attendance_record(
        cohort=cohort, marks={(participant.pk, session.pk): "present"}, actor=desk_user
    )
    sc.coaching_visit_record(
        application=application,
        date=today,
        start_time=datetime.time(10),
        end_time=datetime.time(11),
        mode="onsite",
        topics=planted.mark("支援テーマ"),
        notes=planted.mark("支援内容"),
        actor=desk_user,
    )
    sc.certificate_issue(participant=participant, actor=desk_user)
    sc.roster_pdf_request(cohort=cohort, actor=desk_user)
    planted.objects["application"] = application
    planted.objects["participant"] = participant
    return application


def announcement_journey(planted: Planted, *, desk_user, organisation):
    """The consultation's contact ticks the announcements opt-in, a second address asks on the
    subscribe page and never confirms, a third confirms; an announcement goes to both
    subscribers, and both unsubscribe (an active subscriber is kept while subscribed)."""
    from django.db import transaction

    from announcements import services as a
    from announcements.models import Announcement, UnsubscribeMethod
    from announcements.selectors import subscription_request_for_token
    from kosha_portal.mail.models import OutboundEmail

    counter = iter(range(1, 100))

    def ip() -> str:
        # Unique to this journey's marker (IPv6 documentation range), as PostgreSQL prints it.
        tag = planted.tag[2:].lower()
        address = ipaddress.ip_address(f"2001:db8:{tag[:4]}:{tag[4:8]}:{tag[8:]}::{next(counter)}")
        planted.texts.append(address.compressed)
        return address.compressed

    contact = a.subscription_opt_in(
        email=planted.email,
        source="consultation",
        client_ip=ip(),
        organisation=organisation,
    )
    a.subscription_request_create(email=planted.address("never-confirmed"), client_ip=ip())
    confirmed = planted.address("subscribe-page")
    a.subscription_request_create(email=confirmed, client_ip=ip())
    mail = OutboundEmail.objects.filter(to=confirmed).latest("pk")
    token = mail.body_text.split("/announcements/confirm/", 1)[1].split("/", 1)[0]
    other = a.subscription_confirm(request=subscription_request_for_token(token), client_ip=ip())
    announcement = Announcement(subject="セミナーのご案内", body_text="第3回を開催します。")
    a.announcement_save(announcement=announcement, actor=desk_user)
    with transaction.atomic():
        a.announcement_schedule(
            announcement=announcement, send_at=None, expected=2, actor=desk_user
        )
    for subscriber in (contact, other):
        a.subscriber_unsubscribe(
            subscriber=subscriber, method=UnsubscribeMethod.LINK, actor="company:test"
        )
    planted.objects["subscriber"] = contact
    return contact


def all_journeys(planted: Planted, *, desk_user, move_to, start) -> Planted:
    """Every app's journey at ``start`` (JST), mail delivered and PDFs rendered."""
    from consultations.services import consultation_close, desk_digest_send
    from kosha_portal.accounts.services import access_links_resend

    move_to(start)
    consultation = consultation_journey(planted, desk_user=desk_user)
    announcement_journey(planted, desk_user=desk_user, organisation=consultation.organisation)
    desk_digest_send()
    dispatch_journey(planted, consultation, desk_user=desk_user, move_to=move_to, start=start)
    consultation_close(consultation=consultation, actor=desk_user)
    school_journey(planted, desk_user=desk_user, start=start)
    access_links_resend(email=planted.email)
    seminar_journey(planted, desk_user=desk_user, move_to=move_to, start=start)
    return planted
