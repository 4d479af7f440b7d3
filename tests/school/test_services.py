import datetime
import re
import threading

import pytest
from django.conf import settings
from django.db import connection

from kosha_portal.accounts.models import AccessLink
from kosha_portal.audit.models import AuditEvent
from kosha_portal.errors import DomainError
from school import services
from school.models import Application, Attendance, CoachingVisit, Cohort, Participant
from school.selectors import attendance_summary, attendance_summary_for
from tests import timeline

from .factories import (
    ApplicationFactory,
    CohortFactory,
    ParticipantFactory,
    SessionFactory,
    accepted_application,
    recruiting_cohort,
)

ORG = {
    "kind": "corporation",
    "name": "株式会社ひかり物流",
    "name_kana": "ヒカリブツリュウ",
    "corporate_number": "",
    "postal_code": "101-0025",
    "prefecture": "東京都",
    "municipality": "千代田区",
    "address": "神田佐久間町1-9",
    "phone": "03-3251-7881",
    "main_business": "運送業",
    "industry": "other",
    "capital_yen": 10_000_000,
    "employees": 30,
}
CONTACT = {
    "name": "山田 太郎",
    "name_kana": "ヤマダ タロウ",
    "email": "yamada@hikari.example.jp",
    "phone": "03-1234-5678",
}


def _submit(cohort, participants=None, org=None):
    return services.application_submit(
        cohort=cohort,
        organisation_data=org or dict(ORG),
        contact=CONTACT,
        participants=participants
        or [{"name": "佐藤 花子", "department": "業務部", "role": "課長"}],
        concerns=["paper_habit", "bottleneck", "bogus"],
        concerns_other="紙の伝票が多い",
        actor="company:test",
    )


@pytest.mark.django_db
def test_submit_creates_application_participants_link_and_email(
    django_capture_on_commit_callbacks, mail_outbox
):
    cohort = recruiting_cohort()
    with django_capture_on_commit_callbacks(execute=True):
        application = _submit(
            cohort,
            participants=[
                {"name": "佐藤 花子", "department": "業務部", "role": "課長"},
                {"name": "鈴木 一郎", "department": "", "role": "担当者"},
            ],
        )
    assert application.status == Application.Status.SUBMITTED
    assert application.organisation.name == "株式会社ひかり物流"
    assert application.main_business == "運送業"
    assert application.concerns == ["paper_habit", "bottleneck"]
    assert [p.affiliation for p in application.participants.all()] == ["業務部 課長", "担当者"]
    link = AccessLink.objects.get(object_id=str(application.pk))
    assert link.organisation_id == application.organisation_id
    assert len(mail_outbox) == 1
    message = mail_outbox[0]
    assert message.to == ["yamada@hikari.example.jp"]
    assert f"第{cohort.number}期" in message.subject
    token_url = re.search(r"http://\S+", message.body).group(0)
    assert token_url.startswith(settings.SITE_URL + "/")
    assert "山田 太郎 様" in message.body
    assert AuditEvent.objects.filter(action="school.application.submit").exists()


@pytest.mark.django_db
def test_submit_refused_when_cohort_not_recruiting_or_too_many_participants():
    draft = CohortFactory()
    with pytest.raises(DomainError) as closed:
        _submit(draft)
    assert closed.value.code == "closed"
    cohort = recruiting_cohort(max_participants_per_company=2)
    with pytest.raises(DomainError) as many:
        _submit(cohort, participants=[{"name": f"参加者{i}", "role": "担当"} for i in range(3)])
    assert many.value.code == "participants"
    assert not Application.objects.exists()


@pytest.mark.django_db
@pytest.mark.time_machine(timeline.jst(2026, 12, 1, 23, 59, 59), tick=False)
def test_applications_are_taken_from_the_opening_day_to_the_closing_day_jst(time_machine):
    from school.selectors import cohort_open_for_applications

    cohort = recruiting_cohort(
        application_opens_on=datetime.date(2026, 12, 2),
        application_closes_on=datetime.date(2026, 12, 18),
    )
    with pytest.raises(DomainError) as early:
        _submit(cohort)
    assert early.value.code == "not_open"
    assert cohort_open_for_applications() is None
    time_machine.move_to(timeline.jst(2026, 12, 2, 0, 0, 0))
    assert cohort_open_for_applications() == cohort
    first = _submit(cohort, org={**ORG, "name": "株式会社初日"})
    time_machine.move_to(timeline.jst(2026, 12, 18, 23, 59, 59))
    last = _submit(cohort, org={**ORG, "name": "株式会社最終日"})
    time_machine.move_to(timeline.jst(2026, 12, 19, 0, 0, 0))
    with pytest.raises(DomainError) as late:
        _submit(cohort, org={**ORG, "name": "株式会社翌日"})
    assert late.value.code == "closed"
    assert cohort_open_for_applications() is None
    assert set(Application.objects.values_list("pk", flat=True)) == {first.pk, last.pk}


@pytest.mark.django_db
def test_submit_refuses_second_application_of_same_company():
    cohort = recruiting_cohort()
    org = {**ORG, "corporate_number": "7000012050002"}
    _submit(cohort, org=org)
    with pytest.raises(DomainError) as error:
        _submit(cohort, org=org)
    assert error.value.code == "duplicate"
    assert Application.objects.count() == 1


@pytest.mark.django_db
def test_selection_transitions_and_emails(django_capture_on_commit_callbacks, mail_outbox):
    cohort = recruiting_cohort()
    first, second, third = (ApplicationFactory(cohort=cohort) for _ in range(3))
    with django_capture_on_commit_callbacks(execute=True):
        first = services.application_accept(application=first, actor="desk")
        second = services.application_waitlist(application=second, actor="desk")
        third = services.application_decline(application=third, actor="desk")
    assert (first.status, first.roster_number) == (Application.Status.ACCEPTED, 1)
    assert first.accepted_at and second.waitlisted_at and third.declined_at
    subjects = {m.to[0]: m.subject for m in mail_outbox}
    assert "受講決定" in subjects[first.contact_email]
    assert "補欠" in subjects[second.contact_email]
    assert "選考結果のお知らせ" in subjects[third.contact_email]
    # waiting → accepted is allowed; declined is final
    second = services.application_accept(application=second, actor="desk")
    assert second.roster_number == 2
    with pytest.raises(DomainError) as error:
        services.application_accept(application=third, actor="desk")
    assert error.value.code == "transition"


@pytest.mark.django_db
def test_declining_after_acceptance_needs_a_reason_and_frees_the_roster_line(
    django_capture_on_commit_callbacks, mail_outbox
):
    cohort = recruiting_cohort()
    application = services.application_accept(
        application=ApplicationFactory(cohort=cohort), actor="desk"
    )
    with pytest.raises(DomainError) as error:
        services.application_decline(application=application, actor="desk")
    assert error.value.field == "reason"
    application.refresh_from_db()
    assert (application.status, application.roster_number) == (Application.Status.ACCEPTED, 1)
    with django_capture_on_commit_callbacks(execute=True):
        application = services.application_decline(
            application=application, reason="社内の事情により受講を辞退", actor="desk"
        )
    assert (application.status, application.roster_number) == (Application.Status.DECLINED, None)
    event = AuditEvent.objects.filter(action="school.application.declined").get()
    assert event.changes == {
        "from": "accepted",
        "to": "declined",
        "reason": "社内の事情により受講を辞退",
    }
    assert "受講決定の取消し" in mail_outbox[-1].subject


@pytest.mark.django_db
def test_cohort_transitions_follow_the_map():
    cohort = CohortFactory()
    with pytest.raises(DomainError):
        services.cohort_start(cohort=cohort, actor="desk")
    cohort = services.cohort_open_recruiting(cohort=cohort, actor="desk")
    cohort = services.cohort_start(cohort=cohort, actor="desk")
    cohort = services.cohort_finish(cohort=cohort, actor="desk")
    assert cohort.status == Cohort.Status.FINISHED
    assert cohort.recruiting_at and cohort.started_at and cohort.finished_at


@pytest.mark.django_db(transaction=True)
def test_capacity_holds_under_concurrent_acceptances():
    cohort = recruiting_cohort(capacity=3)
    applications = [ApplicationFactory(cohort=cohort) for _ in range(8)]
    results, barrier = [], threading.Barrier(len(applications))

    def accept(application):
        try:
            barrier.wait()
            services.application_accept(application=application, actor="desk")
            results.append("ok")
        except DomainError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(a,)) for a in applications]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["capacity"] * 5 + ["ok"] * 3
    numbers = sorted(
        Application.objects.filter(status="accepted").values_list("roster_number", flat=True)
    )
    assert numbers == [1, 2, 3]


@pytest.mark.django_db(transaction=True)
def test_coaching_visit_cap_holds_under_concurrency():
    cohort = recruiting_cohort(coaching_visits_per_company=2)
    application = accepted_application(cohort)
    results, barrier = [], threading.Barrier(5)

    def record():
        try:
            barrier.wait()
            services.coaching_visit_record(
                application=application,
                date=datetime.date(2024, 1, 5),
                start_time=datetime.time(10),
                end_time=datetime.time(12),
                mode="onsite",
                topics="業務フローの確認",
                actor="desk",
            )
            results.append("ok")
        except DomainError as error:
            results.append(error.code)
        finally:
            connection.close()

    threads = [threading.Thread(target=record) for _ in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["cap"] * 3 + ["ok"] * 2
    assert list(CoachingVisit.objects.values_list("sequence", flat=True).order_by("sequence")) == [
        1,
        2,
    ]


@pytest.mark.django_db
def test_coaching_visit_refused_for_company_not_accepted_and_bad_times():
    cohort = recruiting_cohort()
    application = ApplicationFactory(cohort=cohort)
    with pytest.raises(DomainError) as error:
        services.coaching_visit_record(
            application=application,
            date=datetime.date(2024, 1, 5),
            start_time=datetime.time(10),
            end_time=datetime.time(12),
            mode="online",
            topics="x",
            actor="desk",
        )
    assert error.value.code == "status"
    with pytest.raises(DomainError) as times:
        services.coaching_visit_record(
            application=application,
            date=datetime.date(2024, 1, 5),
            start_time=datetime.time(12),
            end_time=datetime.time(10),
            mode="online",
            topics="x",
            actor="desk",
        )
    assert times.value.field == "end_time"


@pytest.mark.parametrize(
    ("attended", "sessions", "threshold", "percent", "eligible"),
    [
        (4, 5, 80, "80.0", True),
        (3, 5, 80, "60.0", False),
        (5, 6, 80, "83.3", True),
        (2, 3, 67, "66.7", False),  # 66.66… % is below 67 % even though it rounds to 66.7
        (2, 3, 66, "66.7", True),
        (0, 0, 80, "0.0", False),
        (6, 6, 100, "100.0", True),
    ],
)
def test_attendance_rate(attended, sessions, threshold, percent, eligible):
    summary = attendance_summary(attended=attended, sessions=sessions, threshold=threshold)
    assert summary.percent == percent
    assert summary.eligible is eligible


@pytest.mark.django_db
def test_attendance_record_counts_present_and_late_and_can_clear():
    cohort = recruiting_cohort()
    sessions = [SessionFactory(cohort=cohort, number=i) for i in range(1, 6)]
    application = accepted_application(cohort)
    participant = application.participants.get()
    marks = {
        (participant.pk, sessions[0].pk): "present",
        (participant.pk, sessions[1].pk): "late",
        (participant.pk, sessions[2].pk): "absent",
        (participant.pk, sessions[3].pk): "present",
    }
    assert services.attendance_record(cohort=cohort, marks=marks, actor="desk") == 4
    summary = attendance_summary_for(participant)
    assert (summary.attended, summary.sessions, summary.percent) == (3, 5, "60.0")
    # same grid again changes nothing; clearing a mark deletes it
    assert services.attendance_record(cohort=cohort, marks=marks, actor="desk") == 0
    assert (
        services.attendance_record(
            cohort=cohort, marks={(participant.pk, sessions[0].pk): ""}, actor="desk"
        )
        == 1
    )
    assert Attendance.objects.count() == 3
    other = ParticipantFactory()  # someone from another cohort
    with pytest.raises(DomainError):
        services.attendance_record(
            cohort=cohort, marks={(other.pk, sessions[0].pk): "present"}, actor="desk"
        )


def _mark_all(cohort, participant, sessions, attended):
    services.attendance_record(
        cohort=cohort,
        marks={
            (participant.pk, s.pk): "present" if i < attended else "absent"
            for i, s in enumerate(sessions)
        },
        actor="desk",
    )


@pytest.mark.django_db
def test_certificate_only_at_or_above_threshold(django_capture_on_commit_callbacks):
    cohort = recruiting_cohort(completion_threshold_percent=80)
    sessions = [SessionFactory(cohort=cohort, number=i) for i in range(1, 6)]
    application = accepted_application(cohort, participants=2)
    at, below = application.participants.order_by("position")
    _mark_all(cohort, at, sessions, 4)  # 80 %
    _mark_all(cohort, below, sessions, 3)  # 60 %
    with pytest.raises(DomainError) as error:
        services.certificate_issue(participant=below, actor="desk")
    assert error.value.code == "threshold"
    assert "60.0" in error.value.message
    with django_capture_on_commit_callbacks(execute=True):
        certificate = services.certificate_issue(participant=at, actor="desk")
    assert certificate.number == f"{cohort.number}-001"
    assert str(certificate.attendance_percent) == "80.0"
    assert not hasattr(Participant.objects.get(pk=below.pk), "certificate")
    # issuing again keeps the same certificate
    again = services.certificate_issue(participant=at, actor="desk")
    assert again.pk == certificate.pk
