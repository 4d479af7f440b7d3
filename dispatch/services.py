"""Every write of the dispatch program: applications, decisions, visits, reports, reminders."""

import datetime
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from companies.models import Organisation
from companies.services import organisation_update
from companies.sme import Industry
from kosha_portal import clock
from kosha_portal.accounts.services import access_link_issue, access_link_url
from kosha_portal.audit.services import audit_record
from kosha_portal.errors import DomainError
from kosha_portal.japan.business_days import (
    BusinessCalendar,
    business_days_between,
    previous_business_day,
)
from kosha_portal.japan.deadlines import jst_date
from kosha_portal.japan.wareki import format_date
from kosha_portal.mail.models import OutboundEmail
from kosha_portal.mail.services import current_language, email_enqueue, write_isolated
from kosha_portal.workflow import transition, transition_check, transition_many

from .eligibility import EligibilityResult, dispatch_eligibility, sme_missing_fields
from .models import Attestation, Dispatch, EligibilityItem, Expert, Mode, ProgramYear, Survey, Visit
from .selectors import (
    consultation_background,
    dispatch_visits,
    dispatches_due_to_expire,
    live_dispatches,
    organisation_group,
    organisation_name_duplicates,
    program_year_for_application,
    visits_in_cap_scope,
    visits_number,
)

logger = logging.getLogger(__name__)


class DispatchIneligible(DomainError):
    """The application fails one or more eligibility rules; ``result`` says which and why."""

    def __init__(self, result: EligibilityResult):
        first = result.failed[0]
        super().__init__(first.explanation, code=f"ineligible_{first.code}")
        self.result = result


# The reason recorded on visits still scheduled when their dispatch's period runs out.
EXPIRY_VISIT_CANCEL_REASON = gettext_noop("派遣期間の終了により取消し")


def _now():
    return clock.now()


def _today() -> datetime.date:
    return jst_date(_now())


def _lock_organisation_group(organisation_id: int) -> list[Organisation]:
    """Lock every registry row counted as one company with ``organisation_id`` (the cap and the
    one-open-dispatch rule span them all). Always in pk order, so two writers whose groups overlap
    queue up instead of deadlocking."""
    return list(organisation_group(organisation_id).select_for_update().order_by("pk"))


def _lock_dispatch(dispatch: Dispatch) -> Dispatch:
    # Organisations first, then the dispatch: every visit-writing path takes them in this order.
    _lock_organisation_group(dispatch.organisation_id)
    return (
        Dispatch.objects.select_for_update(of=("self",))
        .select_related("organisation", "program_year", "expert", "consultation")
        .get(pk=dispatch.pk)
    )


# --- emails --------------------------------------------------------------------------------------


def _email_exists(dedupe_key: str | None) -> bool:
    return bool(dedupe_key) and OutboundEmail.objects.filter(dedupe_key=dedupe_key).exists()


def _notify_company(
    dispatch: Dispatch, template: str, context: dict | None = None, *, dedupe_key: str | None = None
):
    """Email the company contact with a fresh personal link to the dispatch page."""
    if _email_exists(dedupe_key):
        return None
    _link, token = access_link_issue(
        email=dispatch.contact_email, organisation=dispatch.organisation, target=dispatch
    )
    return email_enqueue(
        to=dispatch.contact_email,
        language=dispatch.language,
        template=f"dispatch/emails/{template}",
        context={"dispatch": dispatch, "url": access_link_url(token), **(context or {})},
        dedupe_key=dedupe_key,
        related=dispatch,
    )


def _notify_expert(
    dispatch: Dispatch, template: str, context: dict | None = None, *, dedupe_key: str | None = None
):
    if dispatch.expert is None or _email_exists(dedupe_key):
        return None
    url = settings.SITE_URL + reverse("dispatch:expert_dispatch", args=[dispatch.reference])
    return email_enqueue(
        to=dispatch.expert.email,
        template=f"dispatch/emails/{template}",
        context={"dispatch": dispatch, "expert": dispatch.expert, "url": url, **(context or {})},
        dedupe_key=dedupe_key,
        related=dispatch,
    )


def _notify_desk(dispatch: Dispatch, template: str, context: dict | None = None):
    """Email the dispatch desk (専門家派遣担当) with a link to the dispatch in the admin."""
    url = settings.SITE_URL + reverse("admin:dispatch_dispatch_change", args=[dispatch.pk])
    return email_enqueue(
        to=settings.PROGRAM["email"],
        template=f"dispatch/emails/{template}",
        context={"dispatch": dispatch, "url": url, **(context or {})},
        related=dispatch,
    )


def _schedule(dispatch: Dispatch) -> list[Visit]:
    """The dispatch's visits not cancelled, numbered, for the mails that list the schedule."""
    return [visit for visit in dispatch_visits(dispatch) if not visit.is_cancelled]


# --- application, decision -----------------------------------------------------------------------


def dispatch_apply(
    *,
    consultation,
    contact_name: str,
    contact_email: str,
    theme: str,
    goals: str,
    preferred_expert_type: str,
    preferred_mode: str,
    preferred_dates: str,
    attestations: dict[str, bool],
    consent: bool,
    actor,
    contact_phone: str = "",
    share_description_with_expert: bool = False,
    company_data: dict | None = None,
    at: datetime.datetime | None = None,
) -> Dispatch:
    """File a company's dispatch application (派遣申込) if every eligibility rule holds.

    ``company_data`` fills registry data an eligibility rule could not judge without (従業員数,
    資本金, 業種: see ``eligibility.sme_missing_fields``); only what is missing is taken, the
    registry row is updated through its service, the rules run again on it, and the dispatch
    records what was supplied, by whom and when. A refusal rolls all of it back."""
    at = at or _now()
    if not consent:
        raise DomainError(
            _("個人情報の取扱いへの同意が必要です。"), code="consent", field="consent"
        )
    program_year = program_year_for_application(at)
    if program_year is None:
        raise DomainError(
            _("現在、専門家派遣の申込を受け付けている年度はありません。"), code="no_program_year"
        )
    with transaction.atomic():
        group = _lock_organisation_group(consultation.organisation_id)
        organisation = next(row for row in group if row.pk == consultation.organisation_id)
        program_year = ProgramYear.objects.select_for_update().get(pk=program_year.pk)
        supplied = _company_data_take(organisation, program_year, company_data or {})
        if supplied:
            organisation = organisation_update(
                organisation=organisation, data=supplied, actor=actor
            )
        result = dispatch_eligibility(
            organisation=organisation,
            program_year=program_year,
            consultation=consultation,
            attestations=attestations,
            at=at,
        )
        if not result.eligible:
            raise DispatchIneligible(result)
        sequence = Dispatch.objects.filter(program_year=program_year).count() + 1
        dispatch = Dispatch.objects.create(
            reference=f"D{program_year.fiscal_year}-{sequence:04d}",
            program_year=program_year,
            organisation=organisation,
            consultation=consultation,
            contact_name=contact_name,
            contact_email=contact_email.lower(),
            contact_phone=contact_phone.strip(),
            share_description_with_expert=bool(share_description_with_expert),
            company_data_supplied=supplied,
            company_data_supplied_by=(
                _("%(name)s（%(email)s、申込者）")
                % {"name": contact_name.strip(), "email": contact_email.lower()}
                if supplied
                else ""
            ),
            company_data_supplied_at=at if supplied else None,
            language=current_language(),
            theme=theme,
            goals=goals,
            preferred_expert_type=preferred_expert_type,
            preferred_mode=preferred_mode,
            preferred_dates=preferred_dates,
            consent_at=at,
            privacy_notice_version=settings.PRIVACY_NOTICE_VERSION,
            eligibility_snapshot=result.as_json(),
            applied_at=at,
        )
        for item in EligibilityItem.objects.filter(program_year=program_year):
            Attestation.objects.create(
                dispatch=dispatch,
                item=item,
                attested=bool(attestations.get(item.code)),
                attested_at=at,
            )
        audit_record(
            actor=actor,
            action="dispatch.apply",
            obj=dispatch,
            changes={"company_data_supplied": sorted(supplied)} if supplied else None,
        )
        _notify_company(dispatch, "application_received")
    return dispatch


def _company_data_take(organisation, program_year: ProgramYear, data: dict) -> dict:
    """What of ``data`` fills a gap the eligibility rules need (never overwrites registry data)."""
    missing = sme_missing_fields(organisation, program_year.sme_rule_version)
    taken = {}
    for name in missing:
        value = data.get(name)
        if value in (None, ""):
            continue
        if name in ("employees", "capital_yen") and (not isinstance(value, int) or value < 0):
            raise DomainError(_("0以上の数字を入力してください。"), code="invalid", field=name)
        if name == "industry" and value not in dict(Industry.CHOICES):
            raise DomainError(_("業種区分を選択してください。"), code="invalid", field=name)
        taken[name] = value
    return taken


def dispatch_eligibility_now(dispatch: Dispatch) -> EligibilityResult:
    """The rules re-checked today for staff reviewing an application."""
    answers = {a.item.code: a.attested for a in dispatch.attestations.select_related("item")}
    return dispatch_eligibility(
        organisation=dispatch.organisation,
        program_year=dispatch.program_year,
        consultation=dispatch.consultation,
        attestations=answers,
        at=dispatch.applied_at,
        exclude_dispatch=dispatch,
    )


def attestations_check(*, dispatch: Dispatch, actor) -> int:
    """Staff record that they checked the applicant's 確認事項 answers."""
    with transaction.atomic():
        count = dispatch.attestations.filter(checked_at__isnull=True).update(
            checked_by=actor, checked_at=_now()
        )
        audit_record(
            actor=actor,
            action="dispatch.attestations_check",
            obj=dispatch,
            changes={"count": count},
        )
    return count


def dispatch_decide(
    *,
    dispatch: Dispatch,
    decision_date: datetime.date,
    decision_number: str,
    expert: Expert,
    planned_visits: int,
    actor,
    duplicates_confirmed_distinct: bool = False,
) -> Dispatch:
    """派遣決定: assign an expert and the planned visits, and notify company and expert.

    ``duplicates_confirmed_distinct``: staff confirm that unmerged rows with the same normalised
    name are other companies; without it such rows refuse the decision (they could hide visits)."""
    with transaction.atomic():
        dispatch = _lock_dispatch(dispatch)
        expert = Expert.objects.get(pk=expert.pk)
        if not expert.active:
            raise DomainError(
                _("この専門家は現在派遣できない設定になっています。"),
                code="expert_inactive",
                field="expert",
            )
        if expert.conflicts.filter(pk=dispatch.organisation_id).exists():
            raise DomainError(
                _(
                    "%(expert)s は %(company)s に派遣できない専門家として登録されています（利害関係）。別の専門家を選んでください。"
                )
                % {"expert": expert.name, "company": dispatch.organisation.name},
                code="expert_conflict",
                field="expert",
            )
        program_year = dispatch.program_year
        if decision_date > program_year.dispatch_period_ends_on:
            raise DomainError(
                _("派遣決定日が派遣期間の終了日（%(end)s）より後です。")
                % {"end": program_year.dispatch_period_ends_on},
                code="decision_date",
                field="decision_date",
            )
        duplicates = list(organisation_name_duplicates(dispatch.organisation))
        confirmed = duplicates_confirmed_distinct or dispatch.duplicates_confirmed_distinct
        if duplicates and not confirmed:
            raise DomainError(
                _(
                    "同じ名称の事業者（%(names)s）が統合されずに登録されています。同一の事業者であれば管理画面で事業者を統合し、別の事業者であれば「別の事業者であることを確認済み」にチェックしてから派遣決定してください。"
                )
                % {"names": _("、").join(other.name for other in duplicates)},
                code="possible_duplicates",
                field="duplicates_confirmed_distinct",
            )
        other = (
            live_dispatches(organisation=dispatch.organisation, at=_now())
            .exclude(pk=dispatch.pk)
            .filter(status=Dispatch.Status.DECIDED)
            .first()
        )
        if other is not None:
            raise DomainError(
                _("申込番号%(ref)sの派遣が進行中のため、派遣決定できません。")
                % {"ref": other.reference},
                code="other_dispatch_open",
            )
        used = visits_in_cap_scope(
            organisation=dispatch.organisation, program_year=program_year
        ).count()
        remaining = max(program_year.visit_cap - used, 0)
        if planned_visits < 1 or planned_visits > remaining:
            raise DomainError(
                _("予定派遣回数は1回以上、残り回数（%(remaining)d回）以下で指定してください。")
                % {"remaining": remaining},
                code="planned_visits",
                field="planned_visits",
            )
        if not decision_number.strip():
            raise DomainError(
                _("決定番号を入力してください。"), code="decision_number", field="decision_number"
            )
        transition_check(dispatch, Dispatch.Status.DECIDED)
        dispatch.decision_date = decision_date
        dispatch.decision_number = decision_number.strip()
        dispatch.expert = expert
        dispatch.planned_visits = planned_visits
        dispatch.decided_by = actor if getattr(actor, "is_authenticated", False) else None
        dispatch.duplicates_confirmed_distinct = bool(duplicates) and confirmed
        transition(
            dispatch,
            Dispatch.Status.DECIDED,
            actor=actor,
            action="dispatch.decide",
            changes={
                "expert": expert.pk,
                "planned_visits": planned_visits,
                "decision_number": dispatch.decision_number,
                "confirmed_distinct_from": [other.pk for other in duplicates]
                if dispatch.duplicates_confirmed_distinct
                else [],
            },
        )
        _notify_company(dispatch, "decided_company")
        _notify_expert(
            dispatch, "decided_expert", {"background": consultation_background(dispatch)}
        )
    return dispatch


def dispatch_reject(*, dispatch: Dispatch, reason: str, actor) -> Dispatch:
    """不採択 with a reason the company is told."""
    if not reason.strip():
        raise DomainError(_("不採択の理由を入力してください。"), code="reason", field="reason")
    with transaction.atomic():
        dispatch = _lock_dispatch(dispatch)
        transition_check(dispatch, Dispatch.Status.REJECTED, reason=reason)
        dispatch.rejection_reason = reason.strip()
        transition(
            dispatch, Dispatch.Status.REJECTED, actor=actor, reason=reason, action="dispatch.reject"
        )
        _notify_company(dispatch, "rejected_company")
    return dispatch


def dispatch_withdraw(*, dispatch: Dispatch, reason: str, actor) -> Dispatch:
    """The company (or the desk for it) withdraws the application or the remaining visits; the
    reason is required, the visits still scheduled are cancelled with it, and the desk, the
    company and the expert are told."""
    with transaction.atomic():
        dispatch = _lock_dispatch(dispatch)
        reason = transition_check(dispatch, Dispatch.Status.WITHDRAWN, reason=reason)
        now = _now()
        dispatch.withdrawal_reason = reason
        transition(
            dispatch,
            Dispatch.Status.WITHDRAWN,
            actor=actor,
            reason=reason,
            at=now,
            action="dispatch.withdraw",
        )
        cancelled = transition_many(
            dispatch.visits.all(),
            Visit.Status.CANCELLED,
            actor=actor,
            reason=reason,
            at=now,
            action="visit.cancel",
            changes={"cause": "dispatch.withdraw"},
            values={"cancel_reason": reason},
        )
        context = {
            "reason": reason,
            "cancelled": sorted(cancelled, key=lambda v: (v.date, v.pk)),
            "held": [v for v in dispatch_visits(dispatch) if v.status in Visit.DONE_STATUSES],
        }
        _notify_desk(dispatch, "withdrawn_desk", context)
        _notify_company(dispatch, "withdrawn_company", context)
        _notify_expert(dispatch, "withdrawn_expert", context)
    return dispatch


def dispatch_expire(*, dispatch: Dispatch, actor, today: datetime.date | None = None) -> Dispatch:
    """Close a decided dispatch whose period ended before its completion report; its visits still
    scheduled (never reported) are cancelled, so they no longer count towards the cap."""
    today = today or _today()
    with transaction.atomic():
        dispatch = _lock_dispatch(dispatch)
        if today <= dispatch.program_year.dispatch_period_ends_on:
            raise DomainError(_("派遣期間がまだ終了していません。"), code="not_ended")
        now = _now()
        transition(dispatch, Dispatch.Status.EXPIRED, actor=actor, at=now, action="dispatch.expire")
        transition_many(
            dispatch.visits.all(),
            Visit.Status.CANCELLED,
            actor=actor,
            reason=EXPIRY_VISIT_CANCEL_REASON,
            at=now,
            action="visit.cancel",
            changes={"cause": "dispatch.expire"},
            values={"cancel_reason": EXPIRY_VISIT_CANCEL_REASON},
        )
    return dispatch


def dispatches_expire_due(*, today: datetime.date | None = None, actor=None) -> int:
    """Expire every decided dispatch whose period ended without a 完了報告 (safe to run twice)."""
    today = today or _today()
    expired = 0
    for dispatch in dispatches_due_to_expire(today=today):
        try:
            dispatch_expire(dispatch=dispatch, actor=actor, today=today)
        except DomainError as exc:
            # Completed or withdrawn since it was listed: nothing left to expire.
            logger.info("dispatch %s not expired: %s", dispatch.reference, exc.code)
        else:
            expired += 1
    return expired


# --- visits --------------------------------------------------------------------------------------


def visit_date_warnings(day: datetime.date) -> list[str]:
    if BusinessCalendar(day, day).is_business_day(day):
        return []
    return [
        _("%(day)s は土日祝日・年末年始などの休業日です。日程にお間違いがないかご確認ください。")
        % {"day": day.strftime("%Y-%m-%d")}
    ]


def _check_visit_date(dispatch: Dispatch, day: datetime.date, field: str = "date") -> None:
    start, end = dispatch.decision_date, dispatch.program_year.dispatch_period_ends_on
    if day < start or day > end:
        raise DomainError(
            _(
                "派遣は派遣決定日（%(start)s）から派遣期間の終了日（%(end)s）までの間で実施してください。"
            )
            % {"start": start.strftime("%Y-%m-%d"), "end": end.strftime("%Y-%m-%d")},
            code="outside_period",
            field=field,
        )


def _lock_cap_rows(dispatch: Dispatch) -> Dispatch:
    """The lock that guards the visit cap: the company's registry rows, then the dispatch.
    Concurrent visit writes for one company queue here, so the visits counted after it cannot
    change before the new one is inserted (tests/dispatch/test_race.py replaces it to show that
    without it the cap is exceeded)."""
    return _lock_dispatch(dispatch)


def _visits_using_cap(dispatch: Dispatch) -> list[tuple[int, int]]:
    """(visit id, dispatch id) of every counted visit that uses the cap of the dispatch's year."""
    return list(
        visits_in_cap_scope(
            organisation=dispatch.organisation, program_year=dispatch.program_year
        ).values_list("pk", "dispatch_id")
    )


# --- the order of the visits ---------------------------------------------------------------------
#
# 第N回 is a visit's place among the dispatch's visits not cancelled, in the order they are held
# (selectors.visits_numbered). A visit report prints the number it was filed with, so the services
# settle visits in date order: a visit is reported (or recorded as a no-show) only when every
# earlier visit is settled, and no date is given before a settled visit. Cancelling and
# scheduling then only move visits still to come, and a filed number never changes.

_LATEST = datetime.time.max
_NEW = float("inf")


def _order_key(visit: Visit, *, day=None, start=None) -> tuple:
    day = day or visit.report_date or visit.date
    start = start or visit.report_start or visit.start_time
    return (day, start or _LATEST, visit.pk or _NEW)


def _settled(visit: Visit) -> bool:
    return visit.status in Visit.DONE_STATUSES


def _day(visit: Visit) -> str:
    return format_date(visit.report_date or visit.date)


def _check_order(
    dispatch: Dispatch, visit: Visit, *, key: tuple, settling: bool, field: str
) -> None:
    """Refuse a date (or a settling) that would put a visit still to come before a settled one."""
    others = [v for v in dispatch_visits(dispatch) if not v.is_cancelled and v.pk != visit.pk]
    for other in others:
        earlier = _order_key(other) < key
        if _settled(other) and not earlier:
            raise DomainError(
                _(
                    "実施済みの第%(number)d回（%(day)s）より前の日付になっています。日付をご確認ください。"
                )
                % {"number": other.number, "day": _day(other)},
                code="before_settled",
                field=field,
            )
        if settling and not _settled(other) and earlier:
            raise DomainError(
                _(
                    "先に第%(number)d回（%(day)s）の実施報告、不実施の記録または日程の取消しを行ってください。"
                )
                % {"number": other.number, "day": _day(other)},
                code="earlier_pending",
                field=field,
            )


def visit_schedule(
    *,
    dispatch: Dispatch,
    date: datetime.date,
    start_time: datetime.time | None,
    mode: str,
    place: str = "",
    online_url: str = "",
    actor,
) -> Visit:
    """Schedule a visit; the cap is checked under the company's row lock, so concurrent requests
    can never take more visits than the program year allows. The company is told the date and
    the schedule as now numbered."""
    if mode not in Mode.values:
        raise DomainError(_("実施方法を選んでください。"), code="mode", field="mode")
    if mode == Mode.ONSITE and not place.strip():
        raise DomainError(
            _("訪問で実施する場合は実施場所を入力してください。"), code="place", field="place"
        )
    with transaction.atomic():
        dispatch = _lock_cap_rows(dispatch)
        if dispatch.status != Dispatch.Status.DECIDED:
            raise DomainError(_("派遣決定後の案件でのみ日程を登録できます。"), code="not_decided")
        _check_visit_date(dispatch, date)
        program_year = dispatch.program_year
        counted = _visits_using_cap(dispatch)
        if len(counted) >= program_year.visit_cap:
            raise DomainError(
                _("派遣回数の上限（%(cap)d回）に達しているため、これ以上の日程は登録できません。")
                % {"cap": program_year.visit_cap},
                code="cap_reached",
            )
        in_dispatch = sum(1 for _v, dispatch_id in counted if dispatch_id == dispatch.pk)
        if in_dispatch >= dispatch.planned_visits:
            raise DomainError(
                _("この派遣の予定回数（%(planned)d回）をすべて登録済みです。")
                % {"planned": dispatch.planned_visits},
                code="planned_reached",
            )
        visit = Visit(
            dispatch=dispatch,
            date=date,
            start_time=start_time,
            mode=mode,
            place=place.strip() if mode == Mode.ONSITE else "",
            online_url=online_url if mode == Mode.ONLINE else "",
        )
        _check_order(dispatch, visit, key=_order_key(visit), settling=False, field="date")
        visit.scheduled_at = _now()
        visit.save()
        schedule = _schedule(dispatch)
        visit = next(v for v in schedule if v.pk == visit.pk)
        visit.dispatch = dispatch
        audit_record(
            actor=actor,
            action="visit.schedule",
            obj=visit,
            changes={"date": date.isoformat(), "number": visit.number},
        )
        _notify_company(dispatch, "visit_scheduled", {"visit": visit, "schedule": schedule})
    return visit


def _lock_visit(visit: Visit) -> Visit:
    dispatch = _lock_dispatch(visit.dispatch)
    visit = Visit.objects.select_for_update().get(pk=visit.pk)
    visit.dispatch = dispatch
    return visit


def _is_dispatch_expert(dispatch: Dispatch, actor) -> bool:
    return (
        dispatch.expert is not None
        and getattr(actor, "is_authenticated", False)
        and actor.pk == dispatch.expert.user_id
    )


def visit_cancel(*, visit: Visit, reason: str, actor) -> Visit:
    """Cancel a scheduled visit (the reason is required); its slot is free again and the later
    visits move up. The company is told, with the reason and the new schedule; when the desk
    cancels, the expert is told too."""
    with transaction.atomic():
        visit = _lock_visit(visit)
        dispatch = visit.dispatch
        was = visit.number
        reason = transition_check(visit, Visit.Status.CANCELLED, reason=reason)
        visit.cancel_reason = reason
        transition(visit, Visit.Status.CANCELLED, actor=actor, reason=reason, action="visit.cancel")
        by_expert = _is_dispatch_expert(dispatch, actor)
        context = {
            "visit": visit,
            "was_number": was,
            "reason": reason,
            "schedule": _schedule(dispatch),
            "by_expert": by_expert,
        }
        _notify_company(dispatch, "visit_cancelled", context)
        if not by_expert:
            _notify_expert(dispatch, "visit_cancelled", {**context, "for_expert": True})
    return visit


def visit_no_show(*, visit: Visit, actor) -> Visit:
    """Record that the company was absent; the visit still counts towards the cap."""
    with transaction.atomic():
        visit = _lock_visit(visit)
        if visit.date > _today():
            raise DomainError(_("実施日より前に不実施を記録することはできません。"), code="future")
        transition_check(visit, Visit.Status.NO_SHOW)
        _check_order(visit.dispatch, visit, key=_order_key(visit), settling=True, field=None)
        transition(visit, Visit.Status.NO_SHOW, actor=actor, action="visit.no_show")
    return visit


def visit_report_file(
    *,
    visit: Visit,
    report_date: datetime.date,
    report_start: datetime.time,
    report_end: datetime.time,
    attendees: str,
    topics: str,
    advice: str,
    next_steps: str,
    actor,
) -> Visit:
    """The expert files the 実施報告 (again, after a dispute); it keeps the visit's 第N回, its PDF
    is rendered and the company is asked to confirm it."""
    if report_end <= report_start:
        raise DomainError(
            _("終了時刻は開始時刻より後にしてください。"), code="times", field="report_end"
        )
    if report_date > _today():
        raise DomainError(_("実施前の日付では報告できません。"), code="future", field="report_date")
    if not topics.strip() or not advice.strip():
        raise DomainError(
            _("相談内容と助言内容を入力してください。"), code="content", field="advice"
        )
    with transaction.atomic():
        visit = _lock_visit(visit)
        dispatch = visit.dispatch
        _check_visit_date(dispatch, report_date, field="report_date")
        transition_check(visit, Visit.Status.REPORTED)
        _check_order(
            dispatch,
            visit,
            key=_order_key(visit, day=report_date, start=report_start),
            settling=True,
            field="report_date",
        )
        visit.report_date, visit.report_start, visit.report_end = (
            report_date,
            report_start,
            report_end,
        )
        visit.attendees, visit.topics = attendees.strip(), topics.strip()
        visit.advice, visit.next_steps = advice.strip(), next_steps.strip()
        transition(visit, Visit.Status.REPORTED, actor=actor, action="visit.report")
        visit.__dict__.pop("position", None)
        visit.report_number = visit.number
        visit.save(update_fields=["report_number"])
        from .pdf import visit_report_pdf_request

        visit_report_pdf_request(visit=visit, actor=actor)
        _notify_company(dispatch, "report_filed", {"visit": visit})
    return visit


def visit_report_confirm(*, visit: Visit, actor) -> Visit:
    """The company confirms the expert's report of a visit; the PDF is rendered again with the
    confirmation date."""
    with transaction.atomic():
        visit = _lock_visit(visit)
        transition(visit, Visit.Status.CONFIRMED, actor=actor, action="visit.confirm")
        from .pdf import visit_report_pdf_request

        visit_report_pdf_request(visit=visit, actor=actor)
    return visit


def visit_report_dispute(*, visit: Visit, comment: str, actor) -> Visit:
    """The company disputes the report; staff and the expert see the comment, and the PDF is
    rendered again with the dispute."""
    if not comment.strip():
        raise DomainError(_("内容と異なる点をご記入ください。"), code="comment", field="comment")
    with transaction.atomic():
        visit = _lock_visit(visit)
        transition_check(visit, Visit.Status.DISPUTED)
        visit.dispute_comment = comment.strip()
        transition(visit, Visit.Status.DISPUTED, actor=actor, action="visit.dispute")
        from .pdf import visit_report_pdf_request

        visit_report_pdf_request(visit=visit, actor=actor)
        _notify_expert(visit.dispatch, "report_disputed", {"visit": visit})
        email_enqueue(
            to=settings.PROGRAM["email"],
            template="dispatch/emails/report_disputed",
            context={
                "dispatch": visit.dispatch,
                "visit": visit,
                "url": settings.SITE_URL
                + reverse("admin:dispatch_dispatch_change", args=[visit.dispatch_id]),
            },
            related=visit.dispatch,
        )
    return visit


def dispatch_completion_blockers(dispatch: Dispatch) -> dict:
    """What stands between the dispatch and its 完了報告: visits still scheduled, and held visits
    the company has not confirmed (waived by a staff override)."""
    visits = [v for v in dispatch_visits(dispatch) if not v.is_cancelled]
    unconfirmed = [v for v in visits if v.status in (Visit.Status.REPORTED, Visit.Status.DISPUTED)]
    return {
        "scheduled": [v for v in visits if v.status == Visit.Status.SCHEDULED],
        "unconfirmed": unconfirmed,
        "overridden": bool(dispatch.completion_override_at),
        "done": [v for v in visits if v.status in Visit.DONE_STATUSES],
    }


def dispatch_complete(*, dispatch: Dispatch, summary: str, outcomes: str, actor) -> Dispatch:
    """The expert files the 完了報告 after the last visit: only when every held visit has been
    confirmed by the company, unless the desk allowed it (``dispatch_completion_allow``)."""
    if not summary.strip():
        raise DomainError(_("支援の総括を入力してください。"), code="summary", field="summary")
    with transaction.atomic():
        dispatch = _lock_dispatch(dispatch)
        blockers = dispatch_completion_blockers(dispatch)
        if blockers["scheduled"]:
            raise DomainError(
                _(
                    "実施報告が未提出の回があります。すべての回の報告後に完了報告を提出してください。"
                ),
                code="visits_pending",
            )
        if not blockers["done"]:
            raise DomainError(
                _("実施済みの回がないため、完了報告は提出できません。"), code="no_visits"
            )
        if blockers["unconfirmed"] and not blockers["overridden"]:
            raise DomainError(
                _(
                    "企業の確認が済んでいない回（%(visits)s）があります。企業の確認後に完了報告をご提出ください。確認が得られない事情がある場合は、専門家派遣担当（TEL %(phone)s）までご相談ください。"
                )
                % {
                    "visits": _("、").join(
                        _("第%(number)d回") % {"number": v.number} for v in blockers["unconfirmed"]
                    ),
                    "phone": settings.PROGRAM["dispatch_phone"],
                },
                code="visits_unconfirmed",
            )
        transition_check(dispatch, Dispatch.Status.COMPLETED)
        dispatch.completion_summary, dispatch.completion_outcomes = (
            summary.strip(),
            outcomes.strip(),
        )
        transition(
            dispatch,
            Dispatch.Status.COMPLETED,
            actor=actor,
            action="dispatch.complete",
            changes={"override": True} if blockers["unconfirmed"] else None,
        )
        from .pdf import completion_report_pdf_request

        completion_report_pdf_request(dispatch=dispatch, actor=actor)
        _notify_company(dispatch, "completed_company")
    return dispatch


def dispatch_completion_allow(*, dispatch: Dispatch, reason: str, actor) -> Dispatch:
    """Staff let the expert file the 完了報告 although held visits still await the company's
    confirmation; the reason is required, kept on the dispatch and printed on the report, and
    the expert is told."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("理由を入力してください。"), code="reason", field="reason")
    with transaction.atomic():
        dispatch = _lock_dispatch(dispatch)
        if dispatch.status != Dispatch.Status.DECIDED:
            raise DomainError(
                _("派遣決定後、完了報告の前の案件でのみ認めることができます。"),
                code="not_decided",
            )
        if not dispatch_completion_blockers(dispatch)["unconfirmed"]:
            raise DomainError(
                _("企業の確認を待っている回はありません。"), code="nothing_unconfirmed"
            )
        dispatch.completion_override_reason = reason
        dispatch.completion_override_at = _now()
        dispatch.completion_override_by = (
            actor if getattr(actor, "is_authenticated", False) else None
        )
        dispatch.save(
            update_fields=[
                "completion_override_reason",
                "completion_override_at",
                "completion_override_by",
            ]
        )
        audit_record(actor=actor, action="dispatch.completion_allow", obj=dispatch)
        _notify_expert(dispatch, "completion_allowed_expert", {"reason": reason})
    return dispatch


def survey_answer_check(introduced: list[str]) -> None:
    """Refuse answers that contradict each other or are not among the choices."""
    unknown = set(introduced) - set(Survey.Introduced.values)
    if unknown:
        raise DomainError(
            _("選択肢にない項目が含まれています。"), code="introduced", field="introduced"
        )
    if Survey.Introduced.NONE in introduced and len(set(introduced)) > 1:
        raise DomainError(
            _(
                "「%(none)s」は、ほかの取組と一緒には選べません。導入した取組を選ぶか、「%(none)s」だけを選んでください。"
            )
            % {"none": Survey.Introduced.NONE.label},
            code="introduced_contradiction",
            field="introduced",
        )


def survey_submit(
    *, dispatch: Dispatch, satisfaction: int, introduced: list[str], comment: str, actor
) -> Survey:
    """The company's survey after completion; closes the dispatch."""
    if satisfaction not in range(1, 6):
        raise DomainError(
            _("満足度を1〜5で選んでください。"), code="satisfaction", field="satisfaction"
        )
    survey_answer_check(list(introduced))
    with transaction.atomic():
        dispatch = _lock_dispatch(dispatch)
        transition(dispatch, Dispatch.Status.CLOSED, actor=actor, action="dispatch.survey")
        survey = Survey.objects.create(
            dispatch=dispatch,
            satisfaction=satisfaction,
            introduced=list(dict.fromkeys(introduced)),
            comment=comment.strip(),
            submitted_at=_now(),
        )
    return survey


# --- reminders -----------------------------------------------------------------------------------

REPORT_OVERDUE_BUSINESS_DAYS = 5
PERIOD_ENDING_DAYS = 14
APPLY_DEADLINE_DAYS = 14


def dispatch_reminders_send(*, today: datetime.date | None = None) -> int:
    """Write every reminder that is due and not yet written; running it twice writes nothing new.

    Each reminder (its link and its email) is its own transaction: one that fails (a template
    error, say) is logged and tried again at the next run, and the others are written."""
    from consultations.models import Consultation

    today = today or _today()
    written = 0

    def write(key: str, send, *args, **kwargs) -> None:
        nonlocal written
        written += bool(
            write_isolated(f"reminder {key}", lambda: send(*args, dedupe_key=key, **kwargs))
        )

    upcoming = Visit.objects.filter(
        status=Visit.Status.SCHEDULED,
        date__gt=today,
        date__lte=today + datetime.timedelta(days=10),
        dispatch__status=Dispatch.Status.DECIDED,
    ).select_related("dispatch__organisation", "dispatch__expert")
    for visit in visits_number(upcoming):
        if previous_business_day(visit.date) > today:
            continue
        key = f"dispatch:visit:{visit.pk}:{visit.date.isoformat()}:day-before"
        write(
            f"{key}:expert",
            _notify_expert,
            visit.dispatch,
            "reminder_visit",
            {"visit": visit, "for_expert": True},
        )
        write(f"{key}:company", _notify_company, visit.dispatch, "reminder_visit", {"visit": visit})

    past = Visit.objects.filter(
        status=Visit.Status.SCHEDULED, date__lt=today, dispatch__status=Dispatch.Status.DECIDED
    ).select_related("dispatch__organisation", "dispatch__expert")
    for visit in visits_number(past):
        if business_days_between(visit.date, today) < REPORT_OVERDUE_BUSINESS_DAYS:
            continue
        write(
            f"dispatch:visit:{visit.pk}:report-overdue",
            _notify_expert,
            visit.dispatch,
            "reminder_report_overdue",
            {"visit": visit},
        )

    ending = (
        Dispatch.objects.filter(
            status=Dispatch.Status.DECIDED,
            program_year__dispatch_period_ends_on__gte=today,
            program_year__dispatch_period_ends_on__lte=today
            + datetime.timedelta(days=PERIOD_ENDING_DAYS),
        )
        .annotate(used=Count("visits", filter=Q(visits__status__in=Visit.COUNTED_STATUSES)))
        .filter(used__lt=F("planned_visits"))
        .select_related("organisation", "program_year", "expert")
    )
    for dispatch in ending:
        write(
            f"dispatch:{dispatch.pk}:period-ending",
            _notify_company,
            dispatch,
            "reminder_period_ending",
            {"unused": dispatch.planned_visits - dispatch.used},
        )

    for program_year in ProgramYear.objects.all():
        closes_on = jst_date(program_year.application_closes_at)
        if (
            not (closes_on - datetime.timedelta(days=APPLY_DEADLINE_DAYS) <= today <= closes_on)
            or jst_date(program_year.application_opens_at) > today
        ):
            continue
        consultations = (
            Consultation.objects.filter(dispatch_need=True, anonymised_at__isnull=True)
            .exclude(status=Consultation.Status.WITHDRAWN)
            .exclude(organisation__dispatches__program_year=program_year)
            .select_related("organisation")
            .order_by("pk")
        )
        seen = set()
        for consultation in consultations:
            if consultation.organisation_id in seen:
                continue
            seen.add(consultation.organisation_id)
            key = f"dispatch:apply-deadline:{program_year.pk}:{consultation.organisation_id}"
            if _email_exists(key):
                continue
            write(key, _remind_apply_deadline, consultation, program_year)
    return written


def _remind_apply_deadline(consultation, program_year: ProgramYear, *, dedupe_key: str):
    _link, token = access_link_issue(
        email=consultation.contact_email,
        organisation=consultation.organisation,
        target=consultation,
    )
    return email_enqueue(
        to=consultation.contact_email,
        language=consultation.language,
        template="dispatch/emails/reminder_apply_deadline",
        context={
            "consultation": consultation,
            "program_year": program_year,
            "closes_at": program_year.application_closes_at,
            "url": settings.SITE_URL
            + reverse("dispatch:application_new", args=[consultation.reference]),
            "link_url": access_link_url(token),
        },
        dedupe_key=dedupe_key,
        related=consultation,
    )


# --- configuration: program years and experts (the admin saves through these) --------------------

PROGRAM_YEAR_FIELDS = [
    "fiscal_year",
    "application_opens_at",
    "application_closes_at",
    "dispatch_period_ends_on",
    "visit_cap",
    "cap_scope",
    "standard_visit_minutes",
    "sme_rule_version",
]


def program_year_validate(*, data: dict, instance: ProgramYear | None = None) -> None:
    """A program year's dates in order and inside its fiscal year (April to March), and a cap
    no lower than the visits a company has already used in it."""
    from kosha_portal.japan.fiscal import fiscal_year_label

    year = data.get("fiscal_year")
    opens, closes = data.get("application_opens_at"), data.get("application_closes_at")
    ends = data.get("dispatch_period_ends_on")
    if opens and closes and closes <= opens:
        raise DomainError(
            _("申込受付終了日時は、申込受付開始日時より後にしてください。"),
            field="application_closes_at",
            code="window",
        )
    if closes and ends and ends < jst_date(closes):
        raise DomainError(
            _("派遣期間の終了日は、申込受付終了日と同じ日かそれより後にしてください。"),
            field="dispatch_period_ends_on",
            code="dispatch_end",
        )
    if year:
        first, last = datetime.date(year, 4, 1), datetime.date(year + 1, 3, 31)
        label = fiscal_year_label(year)
        if opens and not first <= jst_date(opens) <= last:
            raise DomainError(
                _("申込受付開始日時が%(year)s（%(first)s〜%(last)s）の中にありません。")
                % {"year": label, "first": first.isoformat(), "last": last.isoformat()},
                field="application_opens_at",
                code="fiscal_year",
            )
        if ends and not first <= ends <= last:
            raise DomainError(
                _("派遣期間の終了日が%(year)s（%(first)s〜%(last)s）の中にありません。")
                % {"year": label, "first": first.isoformat(), "last": last.isoformat()},
                field="dispatch_period_ends_on",
                code="fiscal_year",
            )
    cap = data.get("visit_cap")
    if instance is not None and instance.pk and cap:
        used = (
            Visit.objects.filter(dispatch__program_year=instance, status__in=Visit.COUNTED_STATUSES)
            .values("dispatch__organisation")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("n", flat=True)
            .first()
        )
        if used and cap < used:
            raise DomainError(
                _(
                    "この年度にすでに%(used)d回の派遣を利用した事業者があるため、上限を"
                    "%(used)d回より少なくできません。"
                )
                % {"used": used},
                field="visit_cap",
                code="cap_below_used",
            )


def program_year_create(*, data: dict, actor) -> ProgramYear:
    """Register a fiscal year of the dispatch program (its eligibility items follow)."""
    program_year_validate(data=data)
    with transaction.atomic():
        year = ProgramYear(**{k: v for k, v in data.items() if k in PROGRAM_YEAR_FIELDS})
        year.save()
        audit_record(
            actor=actor,
            action="program_year.create",
            obj=year,
            changes={"values": {k: str(getattr(year, k)) for k in PROGRAM_YEAR_FIELDS}},
        )
        return year


def program_year_update(*, program_year: ProgramYear, data: dict, actor) -> ProgramYear:
    """Change a program year's window, period or cap, with the row locked; the audit event keeps
    the old and new values (none of them is personal)."""
    from kosha_portal.writes import assign_fields, audit_values, snapshot

    with transaction.atomic():
        year = ProgramYear.objects.select_for_update().get(pk=program_year.pk)
        program_year_validate(data={**snapshot(year, PROGRAM_YEAR_FIELDS), **data}, instance=year)
        before = snapshot(year, PROGRAM_YEAR_FIELDS)
        changed = assign_fields(year, data, PROGRAM_YEAR_FIELDS)
        if changed:
            year.save()
            audit_record(
                actor=actor,
                action="program_year.update",
                obj=year,
                changes={"fields": changed, "values": audit_values(before, year, changed)},
            )
        return year


EXPERT_FIELDS = [
    "user",
    "name",
    "kana",
    "email",
    "phone",
    "qualifications",
    "fields_of_expertise",
    "active",
    "conflicts",
]


def expert_validate(*, data: dict, instance: Expert | None = None) -> None:
    """An expert logs in to the expert area with an account of their own, never a staff one."""
    user = data.get("user")
    if user is not None and (user.is_staff or user.is_superuser):
        raise DomainError(
            _(
                "職員のアカウントは専門家に割り当てられません。専門家用に作成したアカウントを"
                "選んでください。"
            ),
            field="user",
            code="staff_account",
        )
    if user is not None:
        other = Expert.objects.filter(user=user)
        if instance is not None and instance.pk:
            other = other.exclude(pk=instance.pk)
        if other.exists():
            raise DomainError(
                _("このアカウントは別の専門家に割り当てられています。"),
                field="user",
                code="user_taken",
            )


def _expert_group(user) -> None:
    from django.contrib.auth.models import Group

    from kosha_portal.accounts.roles import EXPERTS

    group = Group.objects.filter(name=EXPERTS).first()
    if group is not None:
        user.groups.add(group)


def expert_create(*, data: dict, actor) -> Expert:
    """Register an expert (登録専門家); the account joins the experts' group."""
    from kosha_portal.writes import assign_many

    expert_validate(data=data)
    with transaction.atomic():
        expert = Expert(
            **{k: v for k, v in data.items() if k in EXPERT_FIELDS and k != "conflicts"}
        )
        expert.save()
        assign_many(expert, data, ["conflicts"])
        _expert_group(expert.user)
        audit_record(actor=actor, action="expert.create", obj=expert)
        return expert


def expert_update(*, expert: Expert, data: dict, actor) -> Expert:
    """Change an expert's record; the audit event names the changed fields only (name, contact
    details and conflicts are personal or sensitive), plus whether they are available."""
    from kosha_portal.writes import assign_fields, assign_many

    with transaction.atomic():
        locked = Expert.objects.select_for_update().get(pk=expert.pk)
        expert_validate(data={"user": locked.user, **data}, instance=locked)
        was_active = locked.active
        changed = assign_fields(locked, data, EXPERT_FIELDS)
        if changed:
            locked.save()
        changed += assign_many(locked, data, ["conflicts"])
        if "user" in changed:
            _expert_group(locked.user)
        if changed:
            audit_record(
                actor=actor,
                action="expert.update",
                obj=locked,
                changes={
                    "fields": changed,
                    **(
                        {"values": {"active": [was_active, locked.active]}}
                        if "active" in changed
                        else {}
                    ),
                },
            )
        return locked
