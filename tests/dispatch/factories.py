"""Builders for dispatch tests: real rows through the real services wherever one exists, at the
fixed dates of tests/timeline.py (never the real clock)."""

import datetime
import itertools

from django.contrib.auth.models import Group

from consultations.models import Consultation
from consultations.services import consultation_dispatch_need_determine
from dispatch import services
from dispatch.models import Dispatch, EligibilityItem, Expert, ProgramYear, Qualification
from kosha_portal.accounts.roles import EXPERTS
from tests import timeline
from tests.factories import OrganisationFactory, UserFactory

_seq = itertools.count(1)

ITEMS = [
    ("tokyo", "都内に本店（個人事業主は都内の税務署に開業届）があること"),
    ("no_tax_arrears", "法人税・消費税・都税の滞納がないこと"),
    ("no_violation", "過去5年間に重大な法令違反がないこと"),
    ("not_adult_business", "性風俗関連特殊営業等を営んでいないこと"),
    ("no_organised_crime", "暴力団等に該当せず、役員・従業員に暴力団員等がいないこと"),
]
ALL_YES = {code: True for code, _label in ITEMS}


jst = timeline.jst


def program_year(
    fiscal_year=2026,
    *,
    opens=None,
    closes=None,
    ends=None,
    cap=4,
    scope=ProgramYear.CapScope.FISCAL_YEAR,
    **extra,
) -> ProgramYear:
    defaults = {
        2023: (jst(2023, 4, 3), jst(2024, 1, 31, 23, 59, 59), datetime.date(2024, 2, 29)),
        2026: (timeline.FY2026_OPENS, timeline.FY2026_CLOSES, timeline.FY2026_DISPATCH_ENDS),
    }.get(
        fiscal_year,
        (
            jst(fiscal_year, 4, 1),
            jst(fiscal_year + 1, 1, 31, 23, 59, 59),
            datetime.date(fiscal_year + 1, 2, 28),
        ),
    )
    year = ProgramYear.objects.create(
        fiscal_year=fiscal_year,
        application_opens_at=opens or defaults[0],
        application_closes_at=closes or defaults[1],
        dispatch_period_ends_on=ends or defaults[2],
        visit_cap=cap,
        cap_scope=scope,
        **extra,
    )
    for order, (code, label) in enumerate(ITEMS):
        EligibilityItem.objects.create(
            program_year=year, code=code, label=label, order=order, evidence="申込者の誓約"
        )
    return year


def consultation(organisation=None, *, need=True, actor=None, email=None) -> Consultation:
    organisation = organisation or OrganisationFactory()
    n = next(_seq)
    c = Consultation.objects.create(
        reference=f"C2026-T{n:04d}",
        fiscal_year=2026,
        sequence=90000 + n,
        organisation=organisation,
        received_at=timeline.CONSULTED_AT,
        reply_by=timeline.CONSULTATION_REPLY_BY,
        contact_name="山田 太郎",
        contact_email=email or f"contact{n}@shop.example.jp",
        description="お客様から長時間の苦情が繰り返されています。",
        privacy_notice_version="2026-04",
    )
    if need is not None:
        c = consultation_dispatch_need_determine(
            consultation=c, needed=need, reason="マニュアル整備が必要", actor=actor
        )
    return c


def expert(
    name="佐藤 一郎", *, qualifications=(Qualification.SME_CONSULTANT,), password=None, conflicts=()
) -> Expert:
    n = next(_seq)
    user = UserFactory(username=f"expert{n}", password=password or "pw-12345678")
    if password:
        user.set_password(password)
        user.save()
    user.groups.add(Group.objects.get(name=EXPERTS))
    e = Expert.objects.create(
        user=user,
        name=name,
        kana="サトウ イチロウ",
        email=f"expert{n}@experts.example.jp",
        qualifications=list(qualifications),
    )
    e.conflicts.set(conflicts)
    return e


def application_instant(year: ProgramYear) -> datetime.datetime:
    """When the factories apply: 15 October of the fiscal year, 10:00 JST (timeline.APPLIED_AT
    for FY2026), inside the year's window whatever today is."""
    return min(
        max(jst(year.fiscal_year, 10, 15, 10), year.application_opens_at),
        year.application_closes_at,
    )


def applied_dispatch(year: ProgramYear, *, organisation=None, at=None, cons=None) -> Dispatch:
    cons = cons or consultation(organisation)
    at = at or application_instant(year)
    return services.dispatch_apply(
        consultation=cons,
        contact_name="山田 太郎",
        contact_email=cons.contact_email,
        theme="カスハラ対応マニュアルの作成",
        goals="現場で使える対応手順を整えたい",
        preferred_expert_type="sme_consultant",
        preferred_mode="onsite",
        preferred_dates="平日午後",
        attestations=ALL_YES,
        consent=True,
        actor="test",
        at=at,
    )


def decided_dispatch(
    year: ProgramYear,
    *,
    organisation=None,
    the_expert=None,
    planned=4,
    decision_date=None,
    staff=None,
) -> Dispatch:
    """Applied at ``application_instant`` and decided on 2 November of the fiscal year
    (timeline.DECISION_DATE for FY2026) unless ``decision_date`` says otherwise."""
    d = applied_dispatch(year, organisation=organisation)
    decision_date = decision_date or datetime.date(year.fiscal_year, 11, 2)
    return services.dispatch_decide(
        dispatch=d,
        decision_date=decision_date,
        decision_number=f"5産労総第{next(_seq)}号",
        expert=the_expert or expert(),
        planned_visits=planned,
        actor=staff or "test",
    )
