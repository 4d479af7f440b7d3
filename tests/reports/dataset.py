"""A small data set built by hand for the program-report tests: 令和8年度 (FY2026) with records on
its first and last instants (4/1 00:00:00 JST and 3/31 23:59:59 JST), a few rows of 令和7年度 for
the comparison and of 令和9年度 that must not count. Every expected figure in the tests is counted
from the comments here, not from the code under test."""

import datetime

import time_machine
from django.contrib.auth.models import Group

from companies.models import Organisation
from consultations.models import Consultation, ConsultationMessage
from consultations.services import (
    consultation_close,
    consultation_reopen,
    consultation_reply_send,
    consultation_start,
    reply_by_for,
)
from dispatch.models import Dispatch, Expert, Survey, Visit
from kosha_portal.accounts.roles import EXPERTS
from kosha_portal.japan.deadlines import JST
from school.models import (
    Application,
    Attendance,
    Certificate,
    CoachingVisit,
    Cohort,
    CurriculumSession,
    Participant,
)
from seminars.models import Registration, Seminar, SurveyResponse
from tests.dispatch import factories as dispatch_factories
from tests.factories import UserFactory

# The tests run on 2027-04-15 (JST): 令和8年度 is over, 令和9年度 has begun.
NOW = datetime.datetime(2027, 4, 15, 10, 0, tzinfo=JST)
FIRST_INSTANT = datetime.datetime(2026, 4, 1, 0, 0, 0, tzinfo=JST)
LAST_INSTANT = datetime.datetime(2027, 3, 31, 23, 59, 59, tzinfo=JST)
NEXT_YEAR_FIRST = datetime.datetime(2027, 4, 1, 0, 0, 0, tzinfo=JST)
PREVIOUS_LAST = datetime.datetime(2026, 3, 31, 23, 59, 59, tzinfo=JST)


def jst(*args) -> datetime.datetime:
    return datetime.datetime(*args, tzinfo=JST)


_seq = iter(range(1, 10_000))


def organisation(name, *, prefecture="東京都", code="13", municipality="", industry, business):
    return Organisation.objects.create(
        name=name,
        prefecture=prefecture,
        prefecture_code=code,
        municipality=municipality,
        industry=industry,
        main_business=business,
    )


def consultation(org, received_at, *, channel="web", status="new", **fields) -> Consultation:
    n = next(_seq)
    fy = received_at.year if received_at.astimezone(JST).month >= 4 else received_at.year - 1
    return Consultation.objects.create(
        reference=f"{fy}-T{n:04d}",
        fiscal_year=fy,
        sequence=50_000 + n,
        organisation=org,
        channel=channel,
        status=status,
        received_at=received_at,
        reply_by=reply_by_for(received_at),
        contact_name="山田 太郎",
        contact_email=f"contact{n}@example.jp",
        description="長時間の苦情が続いています。",
        privacy_notice_version="2026-04",
        **fields,
    )


def reply(c: Consultation, at: datetime.datetime) -> None:
    message = ConsultationMessage.objects.create(consultation=c, kind="reply", body="回答します。")
    ConsultationMessage.objects.filter(pk=message.pk).update(created_at=at)


def build() -> dict:
    """Create the data set; returns the objects tests refer to."""
    a = organisation(
        "株式会社エー食堂", municipality="千代田区", industry="retail", business="飲食店"
    )
    b = organisation(
        "ビー美容室", municipality="西多摩郡瑞穂町", industry="services", business="美容室"
    )
    c = organisation(
        "シー食品株式会社",
        prefecture="神奈川県",
        code="14",
        municipality="横浜市中区",
        industry="wholesale",
        business="食品卸",
    )
    d = organisation("ディー商会", municipality="", industry="services", business="")

    # --- consultations, 令和8年度 ------------------------------------------------------------
    # c1: the year's first instant; replied the same day (0 business days, on time); closed.
    c1 = consultation(
        a,
        FIRST_INSTANT,
        status="closed",
        behaviour_types=["verbal_abuse", "repeat"],
        places=["shop"],
        damages=["staff_left"],
        requested_support=["advice", "dispatch"],
        dispatch_need=True,
    )
    reply(c1, jst(2026, 4, 1, 10, 0))
    # c2: the year's last instant; no reply yet; reply-by 2027-04-01 has passed → overdue.
    c2 = consultation(
        b,
        LAST_INSTANT,
        channel="phone",
        behaviour_types=["verbal_abuse"],
        places=["phone", "shop"],
        requested_support=["advice"],
        dispatch_need=False,
    )
    # c3: Mon 6/15, marked answered (by phone) Wed 6/17: 2 business days, after reply-by 6/16.
    c3 = consultation(
        c,
        jst(2026, 6, 15, 10, 0),
        channel="email",
        status="answered",
        answered_at=jst(2026, 6, 17, 15, 0),
        places=["sns"],
        requested_support=["seminar"],
    )
    # c4: Sat 6/20 (visit); replied Mon 6/22 (1 business day, on time); closed 7/1; reopened
    # after the year ended (2027-04-05), so it was 完了 at the year end and is 対応中 now.
    c4 = consultation(
        d,
        jst(2026, 6, 20, 11, 0),
        channel="visit",
        behaviour_types=["threat", "verbal_abuse", "repeat"],
        requested_support=["dispatch"],
        dispatch_need=True,
    )
    officer = UserFactory(username="report-officer", is_staff=True)
    with time_machine.travel(jst(2026, 6, 22, 9, 30), tick=False):
        c4 = consultation_start(consultation=c4, actor=officer)
        consultation_reply_send(consultation=c4, body="ご相談ありがとうございます。", actor=officer)
    with time_machine.travel(jst(2026, 7, 1, 9, 0), tick=False):
        consultation_close(consultation=c4, actor=officer)
    with time_machine.travel(jst(2027, 4, 5, 9, 0), tick=False):
        consultation_reopen(consultation=c4, reason="追加のご相談", actor=officer)
    # c5: withdrawn without a reply (not counted as late).
    c5 = consultation(
        a,
        jst(2026, 9, 1, 10, 0),
        status="withdrawn",
        withdrawn_at=jst(2026, 9, 2, 10, 0),
        behaviour_types=["repeat"],
        places=["shop", "phone"],
        requested_support=["advice"],
    )
    # --- 令和7年度 (comparison) and 令和9年度 (must not count) ---------------------------------
    p1 = consultation(
        a,
        PREVIOUS_LAST,
        status="closed",
        behaviour_types=["verbal_abuse"],
        requested_support=["advice"],
    )
    reply(p1, jst(2026, 4, 1, 9, 0))  # Wed 4/1: 1 business day, on time
    p2 = consultation(
        c,
        jst(2025, 5, 10, 10, 0),  # Saturday
        channel="phone",
        status="closed",
        answered_at=jst(2025, 5, 12, 10, 0),  # Monday: 1 business day, on time
        behaviour_types=["threat"],
    )
    consultation(b, NEXT_YEAR_FIRST, behaviour_types=["violence"], requested_support=["advice"])

    # --- expert dispatch --------------------------------------------------------------------
    year = dispatch_factories.program_year(2026)
    previous_year = dispatch_factories.program_year(2025)
    e1 = expert("専門家 一", ["sme_consultant", "lawyer"])
    e2 = expert("専門家 二", ["labour_consultant"])

    d1 = dispatch(
        year,
        a,
        c1,
        FIRST_INSTANT,
        status="closed",
        decided=jst(2026, 4, 10, 10),
        the_expert=e1,
        completed_at=jst(2026, 8, 1, 10),
        closed_at=jst(2026, 8, 5, 10),
    )
    visit(d1, 1, datetime.date(2026, 5, 1), "confirmed", "onsite")
    visit(d1, 2, datetime.date(2026, 6, 1), "confirmed", "online")
    visit(d1, 3, datetime.date(2026, 7, 1), "cancelled", "onsite")
    visit(d1, 3, datetime.date(2026, 7, 15), "reported", "onsite")
    Survey.objects.create(
        dispatch=d1,
        satisfaction=5,
        introduced=["manual", "contact", "training"],
        submitted_at=jst(2026, 8, 5, 10),
    )
    d2 = dispatch(
        year, d, c4, jst(2026, 6, 25, 10), status="decided", decided=jst(2026, 7, 1), the_expert=e2
    )
    visit(d2, 1, datetime.date(2026, 7, 20), "no_show", "onsite")
    visit(d2, 1, datetime.date(2027, 3, 31), "confirmed", "onsite")  # the year's last day
    visit(d2, 2, datetime.date(2027, 4, 1), "scheduled", "onsite")  # next year's first day
    dispatch(
        year,
        b,
        c2,
        jst(2026, 9, 10, 10),
        status="rejected",
        rejected_at=jst(2026, 9, 20, 10),
        rejection_reason="  申込要件を満たさないため ",
    )
    dispatch(year, c, c3, jst(2026, 10, 1, 10), status="withdrawn", withdrawn_at=jst(2026, 10, 5))
    dispatch(
        year,
        a,
        c5,
        jst(2026, 11, 1, 10),
        status="withdrawn",
        decided=jst(2026, 11, 10, 10),
        the_expert=e1,
        withdrawn_at=jst(2026, 11, 20),
    )
    d6 = dispatch(
        year,
        b,
        c2,
        jst(2026, 12, 1, 10),
        status="expired",
        decided=jst(2026, 12, 5, 10),
        the_expert=e2,
        expired_at=jst(2027, 3, 1, 1),
    )
    visit(d6, 1, datetime.date(2027, 1, 10), "confirmed", "online")
    dispatch(year, c, c3, LAST_INSTANT, status="applied")
    dispatch(year, d, c4, NEXT_YEAR_FIRST, status="applied")  # 令和9年度
    dp1 = dispatch(
        previous_year,
        c,
        p2,
        jst(2025, 6, 1, 10),
        status="closed",
        decided=jst(2025, 6, 10, 10),
        the_expert=e1,
        completed_at=jst(2025, 9, 1, 10),
        closed_at=jst(2025, 9, 2, 10),
    )
    visit(dp1, 1, datetime.date(2025, 7, 1), "confirmed", "onsite")
    visit(dp1, 2, datetime.date(2025, 8, 1), "confirmed", "onsite")
    Survey.objects.create(
        dispatch=dp1,
        satisfaction=4,
        introduced=["manual", "recording"],
        submitted_at=jst(2025, 9, 2),
    )

    # --- seminars ---------------------------------------------------------------------------
    s1 = seminar(2026, 1, jst(2026, 9, 16, 14), "hybrid", "finished")
    register(s1, a, "venue", "attended", "kosha_web", survey=(5, 4))
    register(s1, a, "venue", "attended", "email", survey=(4, 5))
    register(s1, b, "venue", "no_show", "leaflet")
    register(s1, c, "online", "attended", "sns", survey=(3, 3))
    register(s1, c, "online", "cancelled", "")
    register(s1, d, "online", "waiting", "kosha_web")
    s2 = seminar(2026, 2, jst(2027, 3, 31, 18), "venue", "published")
    register(s2, a, "venue", "confirmed", "desk")
    register(s2, b, "venue", "confirmed", "desk")
    seminar(2026, 3, jst(2026, 10, 10, 14), "venue", "draft")  # drafts never count
    s_next = seminar(2027, 1, jst(2027, 4, 1, 10), "venue", "published")
    register(s_next, a, "venue", "confirmed", "email")
    sp = seminar(2025, 1, jst(2025, 11, 15, 14), "online", "finished")
    register(sp, a, "online", "attended", "kosha_web", survey=(4, 4))
    register(sp, b, "online", "no_show", "")

    # --- school -----------------------------------------------------------------------------
    k1 = Cohort.objects.create(
        number=1, start_date=datetime.date(2026, 6, 1), end_date=datetime.date(2026, 12, 1)
    )
    a1 = application(k1, a, "accepted", 1)
    a2 = application(k1, b, "accepted", 2)
    application(k1, c, "declined")
    application(k1, d, "waiting")
    p_1 = participant(a1, 1)
    p_2 = participant(a1, 2)
    p_3 = participant(a2, 1)
    ss1 = session(k1, 1, datetime.date(2026, 6, 10))
    ss2 = session(k1, 2, datetime.date(2026, 7, 10))
    session(k1, 3, datetime.date(2026, 8, 10))  # no marks recorded yet
    for who, where, status in [
        (p_1, ss1, "present"),
        (p_2, ss1, "late"),
        (p_3, ss1, "absent"),
        (p_1, ss2, "present"),
        (p_2, ss2, "absent"),
    ]:
        Attendance.objects.create(participant=who, session=where, status=status)
    for app, sequence in [(a1, 1), (a1, 2), (a2, 1)]:
        CoachingVisit.objects.create(
            application=app,
            sequence=sequence,
            date=datetime.date(2026, 9, sequence),
            start_time=datetime.time(10),
            end_time=datetime.time(12),
            topics="業務の棚卸し",
        )
    Certificate.objects.create(
        participant=p_1,
        number="R8-001",
        issued_on=datetime.date(2026, 12, 1),
        attendance_percent=100,
    )
    k2 = Cohort.objects.create(
        number=2, start_date=datetime.date(2027, 4, 1), end_date=datetime.date(2027, 9, 30)
    )
    participant(application(k2, a, "accepted", 1), 1)
    kp = Cohort.objects.create(
        number=3, start_date=datetime.date(2025, 10, 1), end_date=datetime.date(2026, 3, 1)
    )
    participant(application(kp, c, "accepted", 1), 1)
    return {"consultations": [c1, c2, c3, c4, c5], "cohort": k1, "seminar": s1}


def expert(name, qualifications) -> Expert:
    user = UserFactory(username=f"report-expert{next(_seq)}")
    user.groups.add(Group.objects.get(name=EXPERTS))
    return Expert.objects.create(
        user=user, name=name, email=f"{user.username}@example.jp", qualifications=qualifications
    )


def dispatch(year, org, cons, applied_at, *, status, decided=None, the_expert=None, **fields):
    n = next(_seq)
    return Dispatch.objects.create(
        reference=f"D-T{n:04d}",
        program_year=year,
        organisation=org,
        consultation=cons,
        status=status,
        contact_name="山田 太郎",
        contact_email=f"d{n}@example.jp",
        theme="マニュアル作成",
        goals="対応手順の整備",
        consent_at=applied_at,
        privacy_notice_version="2026-04",
        applied_at=applied_at,
        decided_at=decided,
        decision_date=decided.date() if decided else None,
        expert=the_expert,
        planned_visits=4 if decided else None,
        **fields,
    )


def visit(d, number, day, status, mode) -> Visit:
    """``number`` is the 第N回 the data set means (checked, not stored: the ordinal is derived);
    a filed report keeps it as its report number."""
    return Visit.objects.create(
        dispatch=d,
        report_number=number if status in ("reported", "confirmed") else None,
        cancel_reason="日程の都合" if status == "cancelled" else "",
        status=status,
        date=day,
        mode=mode,
        scheduled_at=d.decided_at or d.applied_at,
    )


def seminar(fy, number, starts_at, fmt, status) -> Seminar:
    return Seminar.objects.create(
        fiscal_year=fy,
        number=number,
        part="基礎編",
        title=f"カスハラ対策セミナー{fy}-{number}",
        starts_at=starts_at,
        ends_at=starts_at + datetime.timedelta(hours=2),
        format=fmt,
        venue_seats=50,
        online_seats=100,
        registration_opens_at=starts_at - datetime.timedelta(days=40),
        registration_closes_at=starts_at - datetime.timedelta(days=2),
        status=status,
    )


def register(s, org, fmt, status, heard_from, *, survey=None) -> Registration:
    n = next(_seq)
    registration = Registration.objects.create(
        seminar=s,
        organisation=org,
        name="受講 花子",
        name_kana="ジュコウ ハナコ",
        email=f"r{n}@example.jp",
        format=fmt,
        heard_from=heard_from,
        consent_at=s.registration_opens_at,
        privacy_notice_version="2026-04",
        status=status,
        waiting_position=1 if status == "waiting" else None,
    )
    if survey:
        SurveyResponse.objects.create(
            registration=registration, satisfaction=survey[0], usefulness=survey[1]
        )
    return registration


def application(cohort, org, status, roster_number=None) -> Application:
    n = next(_seq)
    return Application.objects.create(
        cohort=cohort,
        organisation=org,
        main_business=org.main_business or "小売業",
        contact_name="受講 太郎",
        contact_email=f"s{n}@example.jp",
        consent_version="2026-04",
        status=status,
        roster_number=roster_number,
    )


def participant(app, position) -> Participant:
    return Participant.objects.create(application=app, position=position, name=f"参加 {position}郎")


def session(cohort, number, day) -> CurriculumSession:
    return CurriculumSession.objects.create(
        cohort=cohort,
        number=number,
        date=day,
        start_time=datetime.time(13, 30),
        end_time=datetime.time(16, 30),
        topic=f"業務改善 第{number}講",
    )
