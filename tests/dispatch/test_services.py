import datetime

import pytest

from dispatch import services
from dispatch.models import Dispatch, Visit
from dispatch.selectors import dispatch_visits
from kosha_portal.audit.models import AuditEvent
from kosha_portal.errors import DomainError
from kosha_portal.mail.models import OutboundEmail
from tests import timeline
from tests.dispatch import factories as f
from tests.factories import OrganisationFactory

pytestmark = [pytest.mark.django_db, pytest.mark.time_machine(timeline.NOW)]


def _decide(dispatch, expert, **extra):
    data = {
        "decision_date": datetime.date(2026, 11, 2),
        "decision_number": "8産労総第1号",
        "expert": expert,
        "planned_visits": 4,
        **extra,
    }
    return services.dispatch_decide(dispatch=dispatch, actor="staff", **data)


def test_apply_records_attestations_snapshot_and_receipt(year2026):
    dispatch = f.applied_dispatch(year2026)
    assert dispatch.status == Dispatch.Status.APPLIED
    assert dispatch.reference == "D2026-0001"
    assert dispatch.attestations.filter(attested=True).count() == len(f.ITEMS)
    assert dispatch.eligibility_snapshot["eligible"] is True
    email = OutboundEmail.objects.get(template="dispatch/emails/application_received")
    assert email.to == dispatch.contact_email
    assert "D2026-0001" in email.subject and "/access/" in email.body_text


def test_apply_refused_names_the_rule_and_saves_nothing(year2026):
    cons = f.consultation(OrganisationFactory(prefecture="埼玉県", prefecture_code="11"))
    with pytest.raises(services.DispatchIneligible) as caught:
        services.dispatch_apply(
            consultation=cons,
            contact_name="山田",
            contact_email="a@example.jp",
            theme="t",
            goals="g",
            preferred_expert_type="",
            preferred_mode="onsite",
            preferred_dates="",
            attestations=f.ALL_YES,
            consent=True,
            actor="test",
        )
    assert [r.code for r in caught.value.result.failed] == ["tokyo"]
    assert "東京都外（埼玉県）" in caught.value.message
    assert not Dispatch.objects.exists()


def test_conflicted_expert_cannot_be_assigned(year2026):
    organisation = OrganisationFactory()
    dispatch = f.applied_dispatch(year2026, organisation=organisation)
    conflicted = f.expert("鈴木 次郎", conflicts=[organisation])
    with pytest.raises(DomainError) as caught:
        _decide(dispatch, conflicted)
    assert caught.value.code == "expert_conflict" and caught.value.field == "expert"
    assert "派遣できない専門家" in caught.value.message
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.APPLIED and dispatch.expert is None
    assert not OutboundEmail.objects.filter(template__startswith="dispatch/emails/decided").exists()


def test_decide_notifies_company_and_expert(year2026):
    dispatch = f.applied_dispatch(year2026)
    expert = f.expert()
    dispatch = _decide(dispatch, expert)
    assert dispatch.status == Dispatch.Status.DECIDED and dispatch.decided_at
    company = OutboundEmail.objects.get(template="dispatch/emails/decided_company")
    to_expert = OutboundEmail.objects.get(template="dispatch/emails/decided_expert")
    assert company.to == dispatch.contact_email and to_expert.to == expert.email
    assert "令和8年11月2日(月)" in company.body_text
    assert dispatch.organisation.name in to_expert.body_text
    assert AuditEvent.objects.filter(action="dispatch.decide").count() == 1


def test_planned_visits_may_not_exceed_what_remains(year2026):
    dispatch = f.applied_dispatch(year2026)
    with pytest.raises(DomainError) as caught:
        _decide(dispatch, f.expert(), planned_visits=5)
    assert caught.value.field == "planned_visits"
    assert "残り回数（4回）以下" in caught.value.message


def test_reject_requires_reason_and_notifies_company(year2026):
    dispatch = f.applied_dispatch(year2026)
    with pytest.raises(DomainError):
        services.dispatch_reject(dispatch=dispatch, reason=" ", actor="staff")
    services.dispatch_reject(dispatch=dispatch, reason="対象業種外のため", actor="staff")
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.REJECTED
    email = OutboundEmail.objects.get(template="dispatch/emails/rejected_company")
    assert "対象業種外のため" in email.body_text
    with pytest.raises(DomainError) as caught:
        _decide(dispatch, f.expert())
    assert caught.value.code == "transition"


@pytest.mark.parametrize(
    ("day", "ok"),
    [
        (datetime.date(2026, 11, 1), False),  # the day before the decision
        (datetime.date(2026, 11, 2), True),  # the decision date
        (datetime.date(2027, 2, 26), True),  # the last day of the dispatch period
        (datetime.date(2027, 2, 27), False),  # after the dispatch period
    ],
)
def test_visit_date_must_be_inside_the_dispatch_period(year2026, day, ok):
    dispatch = f.decided_dispatch(year2026)
    if ok:
        visit = services.visit_schedule(
            dispatch=dispatch,
            date=day,
            start_time=None,
            mode="onsite",
            place="本社会議室",
            actor="expert",
        )
        assert visit.number == 1
    else:
        with pytest.raises(DomainError) as caught:
            services.visit_schedule(
                dispatch=dispatch,
                date=day,
                start_time=None,
                mode="onsite",
                place="本社会議室",
                actor="expert",
            )
        assert caught.value.code == "outside_period" and caught.value.field == "date"
        assert "2026-11-02" in caught.value.message and "2027-02-26" in caught.value.message
        assert not Visit.objects.exists()


def test_onsite_needs_a_place_and_non_business_days_warn(year2026):
    dispatch = f.decided_dispatch(year2026)
    with pytest.raises(DomainError) as caught:
        services.visit_schedule(
            dispatch=dispatch,
            date=datetime.date(2026, 12, 1),
            start_time=None,
            mode="onsite",
            place="",
            actor="expert",
        )
    assert caught.value.field == "place"
    assert services.visit_date_warnings(datetime.date(2026, 12, 5))  # Saturday
    assert services.visit_date_warnings(datetime.date(2027, 1, 2))  # year-end closure
    assert services.visit_date_warnings(datetime.date(2026, 11, 23))  # 勤労感謝の日
    assert services.visit_date_warnings(datetime.date(2026, 12, 1)) == []


def test_cancelled_visit_frees_its_slot_and_no_show_counts(year2026):
    dispatch = f.decided_dispatch(year2026, planned=4)
    visits = [
        services.visit_schedule(
            dispatch=dispatch,
            date=datetime.date(2026, 11, d),
            start_time=None,
            mode="online",
            actor="e",
        )
        for d in (16, 17, 18, 19)
    ]
    assert [v.number for v in visits] == [1, 2, 3, 4]
    with pytest.raises(DomainError) as caught:
        services.visit_schedule(
            dispatch=dispatch,
            date=datetime.date(2026, 11, 20),
            start_time=None,
            mode="online",
            actor="e",
        )
    assert caught.value.code == "cap_reached"
    services.visit_no_show(visit=visits[0], actor="e")
    services.visit_cancel(visit=visits[1], reason="企業の都合", actor="e")
    again = services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2026, 11, 20),
        start_time=None,
        mode="online",
        actor="e",
    )
    # The cancelled 11-17 leaves the count; the visits after it move up, the new one is last.
    assert again.number == 4
    numbered = [(v.date.day, v.number) for v in dispatch_visits(dispatch)]
    assert numbered == [(16, 1), (17, None), (18, 2), (19, 3), (20, 4)]
    with pytest.raises(DomainError):
        services.visit_cancel(visit=visits[0], reason="企業の都合", actor="e")  # a no-show stays


def test_no_show_and_report_wait_for_the_visit_day(year2026, time_machine):
    dispatch = f.decided_dispatch(year2026, planned=1)
    tomorrow = services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2026, 12, 2),
        start_time=None,
        mode="online",
        actor="e",
    )
    with pytest.raises(DomainError) as caught:
        services.visit_no_show(visit=tomorrow, actor="e")
    assert caught.value.code == "future"
    with pytest.raises(DomainError) as caught:
        _report(tomorrow)
    assert caught.value.code == "future" and caught.value.field == "report_date"
    time_machine.move_to(timeline.jst(2026, 12, 2, 0, 0, 1))
    assert _report(tomorrow).status == Visit.Status.REPORTED


def _report(visit, **extra):
    data = {
        "report_date": visit.date,
        "report_start": datetime.time(10, 0),
        "report_end": datetime.time(12, 0),
        "attendees": "代表 山田",
        "topics": "長時間の苦情",
        "advice": "対応時間の上限を決める",
        "next_steps": "マニュアル案の確認",
        **extra,
    }
    return services.visit_report_file(visit=visit, actor="expert", **data)


def test_report_confirm_dispute_and_completion_flow(year2026):
    dispatch = f.decided_dispatch(year2026, planned=2)
    v1 = services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2026, 11, 16),
        start_time=None,
        mode="online",
        actor="e",
    )
    with pytest.raises(DomainError) as caught:
        _report(v1, report_end=datetime.time(9, 0))
    assert caught.value.field == "report_end"
    v1 = _report(v1)
    assert v1.status == Visit.Status.REPORTED
    services.visit_report_dispute(visit=v1, comment="出席者が違います", actor="company")
    assert OutboundEmail.objects.filter(template="dispatch/emails/report_disputed").count() == 2
    v1 = _report(v1, attendees="代表 山田、店長 佐藤")
    v1 = services.visit_report_confirm(visit=v1, actor="company")
    assert v1.status == Visit.Status.CONFIRMED
    v2 = services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2026, 11, 20),
        start_time=None,
        mode="online",
        actor="e",
    )
    with pytest.raises(DomainError) as caught:
        services.dispatch_complete(dispatch=dispatch, summary="総括", outcomes="", actor="e")
    assert caught.value.code == "visits_pending"
    v2 = _report(v2)
    with pytest.raises(DomainError) as caught:
        services.dispatch_complete(dispatch=dispatch, summary="総括", outcomes="", actor="e")
    assert caught.value.code == "visits_unconfirmed" and "第2回" in caught.value.message
    services.visit_report_confirm(visit=v2, actor="company")
    dispatch = services.dispatch_complete(
        dispatch=dispatch, summary="総括", outcomes="成果", actor="e"
    )
    assert dispatch.status == Dispatch.Status.COMPLETED
    services.survey_submit(
        dispatch=dispatch,
        satisfaction=5,
        introduced=["manual", "training"],
        comment="助かりました",
        actor="company",
    )
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.CLOSED and dispatch.survey.satisfaction == 5


def test_decision_waits_until_same_name_rows_are_confirmed_distinct(year2026):
    first = OrganisationFactory(name="株式会社山田商店")
    f.applied_dispatch(year2026, organisation=first)
    second = OrganisationFactory(name="山田商店")
    dispatch = f.applied_dispatch(year2026, organisation=second)
    with pytest.raises(DomainError) as caught:
        _decide(dispatch, f.expert())
    assert caught.value.code == "possible_duplicates"
    assert caught.value.field == "duplicates_confirmed_distinct"
    assert "株式会社山田商店" in caught.value.message and "統合" in caught.value.message
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.APPLIED
    dispatch = _decide(dispatch, f.expert(), duplicates_confirmed_distinct=True)
    assert dispatch.status == Dispatch.Status.DECIDED and dispatch.duplicates_confirmed_distinct
    event = AuditEvent.objects.get(action="dispatch.decide")
    assert event.changes["confirmed_distinct_from"] == [first.pk]
    rule = services.dispatch_eligibility_now(dispatch).rule("duplicates")
    assert rule.passed and "職員が確認済み" in rule.explanation


def test_merged_rows_share_one_cap_and_one_open_dispatch(year2026):
    from companies.services import organisation_merge

    first = OrganisationFactory(name="株式会社山田商店")
    earlier = f.decided_dispatch(year2026, organisation=first, planned=3)
    for day in (10, 11, 12):
        visit = services.visit_schedule(
            dispatch=earlier,
            date=datetime.date(2026, 11, day),
            start_time=None,
            mode="online",
            actor="e",
        )
        services.visit_no_show(visit=visit, actor="e")
    # A second consultation without 法人番号 made a fresh row that looks unused.
    second = OrganisationFactory(name="山田商店")
    dispatch = f.applied_dispatch(year2026, organisation=second)
    assert dispatch.eligibility_snapshot["visits_remaining"] == 4
    organisation_merge(keep=first, remove=second, actor="staff")
    dispatch.refresh_from_db()
    with pytest.raises(DomainError) as caught:
        _decide(dispatch, f.expert(), planned_visits=1)
    assert caught.value.code == "other_dispatch_open"
    assert earlier.reference in caught.value.message
    services.dispatch_withdraw(dispatch=earlier, reason="社内で対応", actor="company")
    with pytest.raises(DomainError) as caught:
        _decide(dispatch, f.expert(), planned_visits=4)
    assert caught.value.code == "planned_visits" and "残り回数（1回）" in caught.value.message
    assert _decide(dispatch, f.expert(), planned_visits=1).status == Dispatch.Status.DECIDED


def test_withdrawal_needs_a_reason(year2026):
    dispatch = f.applied_dispatch(year2026)
    with pytest.raises(DomainError) as caught:
        services.dispatch_withdraw(dispatch=dispatch, reason="", actor="company")
    assert caught.value.field == "reason"
    dispatch.refresh_from_db()
    assert dispatch.status == Dispatch.Status.APPLIED and dispatch.withdrawn_at is None


def test_expiry_cancels_the_scheduled_visits_with_the_reason_recorded(year2026):
    dispatch = f.decided_dispatch(year2026, planned=2)
    services.visit_schedule(
        dispatch=dispatch,
        date=datetime.date(2027, 2, 20),
        start_time=None,
        mode="online",
        actor="e",
    )
    services.dispatch_expire(dispatch=dispatch, actor=None, today=datetime.date(2027, 2, 27))
    visit = dispatch.visits.get()
    assert visit.status == Visit.Status.CANCELLED
    event = AuditEvent.objects.get(action="visit.cancel")
    assert event.changes["reason"] == services.EXPIRY_VISIT_CANCEL_REASON
    assert event.changes["cause"] == "dispatch.expire"
