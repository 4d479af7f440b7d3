"""Demo data for expert dispatch: 令和5年度 (the leaflet's dates), the current year, the 確認事項,
three experts with logins, and a decided dispatch for the demo consultation whose need is
confirmed. Idempotent."""

import datetime

from kosha_portal import clock
from kosha_portal.accounts.demo import demo_login_lines, ensure_user
from kosha_portal.accounts.roles import EXPERTS, roles_sync
from kosha_portal.japan.deadlines import JST

from .models import EligibilityItem, Expert, ProgramYear, Qualification

ELIGIBILITY_ITEMS = [
    (
        "tokyo",
        "都内に本店（主たる事業所）があること。個人事業主の場合は都内の税務署に開業の届出をしていること。",
        "登記事項・開業届（申込者の誓約）",
    ),
    ("sme", "中小企業基本法に定める中小企業者であること（みなし大企業を除く）。", "申込者の誓約"),
    (
        "no_tax_arrears",
        "法人事業税・法人都民税などの都税、法人税・消費税等に滞納がないこと。",
        "申込者の誓約（必要に応じて納税証明書）",
    ),
    ("no_violation", "過去5年間に重大な法令違反がないこと。", "申込者の誓約"),
    (
        "not_adult_business",
        "性風俗関連特殊営業及び接客業務受託営業を行っていないこと。",
        "申込者の誓約",
    ),
    (
        "no_organised_crime",
        "暴力団、暴力団員等に該当せず、役員・従業員に暴力団員等がいないこと（東京都暴力団排除条例）。",
        "申込者の誓約",
    ),
    ("not_insolvent", "破産・民事再生・会社更生等の手続き中でないこと。", "申込者の誓約"),
]

YEARS = [
    # fiscal year, opens, closes, dispatch period ends
    (
        2023,
        datetime.datetime(2023, 4, 3, 0, 0, tzinfo=JST),
        datetime.datetime(2024, 1, 31, 23, 59, 59, tzinfo=JST),
        datetime.date(2024, 2, 29),
    ),
    (
        2026,
        datetime.datetime(2026, 4, 1, 0, 0, tzinfo=JST),
        datetime.datetime(2027, 1, 29, 23, 59, 59, tzinfo=JST),
        datetime.date(2027, 2, 26),
    ),
]

EXPERTS_DEMO = [
    # username, password, family, given, kana, qualifications, fields
    (
        "expert-sato",
        "kosha-expert-2026",
        "佐藤",
        "一郎",
        "サトウ イチロウ",
        [Qualification.SME_CONSULTANT],
        "小売・飲食業の業務改善、カスハラ対応マニュアル作成",
    ),
    (
        "expert-tanaka",
        "kosha-expert-2026",
        "田中",
        "美咲",
        "タナカ ミサキ",
        [Qualification.LAWYER],
        "カスハラの法的対応、警察・弁護士との連携",
    ),
    (
        "expert-suzuki",
        "kosha-expert-2026",
        "鈴木",
        "健",
        "スズキ ケン",
        [Qualification.LABOUR_CONSULTANT],
        "社内相談窓口の設置、就業規則、従業員のケア",
    ),
]


def load(stdout):
    roles_sync()
    for fiscal_year, opens, closes, ends in YEARS:
        year, _created = ProgramYear.objects.get_or_create(
            fiscal_year=fiscal_year,
            defaults={
                "application_opens_at": opens,
                "application_closes_at": closes,
                "dispatch_period_ends_on": ends,
            },
        )
        for order, (code, label, evidence) in enumerate(ELIGIBILITY_ITEMS):
            EligibilityItem.objects.get_or_create(
                program_year=year,
                code=code,
                defaults={"label": label, "evidence": evidence, "order": order},
            )
        stdout.write(f"  dispatch program year: {year.label}")
    experts = []
    for username, password, family, given, kana, qualifications, fields in EXPERTS_DEMO:
        user, _created = ensure_user(
            username,
            password,
            EXPERTS,
            is_staff=False,
            is_superuser=False,
            last_name=family,
            first_name=given,
            email=f"{username}@experts.example.jp",
        )
        expert, _created = Expert.objects.get_or_create(
            user=user,
            defaults={
                "name": f"{family} {given}",
                "kana": kana,
                "email": user.email,
                "qualifications": qualifications,
                "fields_of_expertise": fields,
            },
        )
        experts.append(expert)
        for line in demo_login_lines(user, "expert", password):
            stdout.write(line)
    _demo_dispatch(stdout, experts[0])


def _demo_dispatch(stdout, expert):
    from consultations.models import Consultation

    from .services import DispatchIneligible, dispatch_apply, dispatch_decide

    consultation = (
        Consultation.objects.filter(dispatch_need=True)
        .exclude(contact_email__startswith="demo-history-")
        .exclude(organisation__dispatches__isnull=False)
        .order_by("pk")
        .first()
    )
    if consultation is None:
        return
    year = ProgramYear.objects.get(fiscal_year=2026)
    now = clock.now()
    if not year.window_contains(now):
        return
    try:
        dispatch = _apply(consultation, dispatch_apply)
    except DispatchIneligible as exc:
        stdout.write(f"  demo dispatch not created: {exc.message}")
        return
    dispatch = dispatch_decide(
        dispatch=dispatch,
        decision_date=clock.today(),
        decision_number="8産労総第101号",
        expert=expert,
        planned_visits=4,
        actor="demo",
    )
    stdout.write(f"  dispatch decided: {dispatch.reference} ({dispatch.organisation})")


def _apply(consultation, dispatch_apply):
    return dispatch_apply(
        consultation=consultation,
        contact_name=consultation.contact_name,
        contact_email=consultation.contact_email,
        contact_phone=consultation.contact_phone,
        theme="カスタマーハラスメント対応マニュアルの作成",
        goals="長時間の苦情への対応手順を決め、従業員が一人で抱え込まない体制をつくりたい。",
        preferred_expert_type=Qualification.SME_CONSULTANT,
        preferred_mode="onsite",
        preferred_dates="平日の午後",
        share_description_with_expert=True,
        consent=True,
        actor="demo",
        attestations={code: True for code, _l, _e in ELIGIBILITY_ITEMS},
    )


def load_history(stdout, experts, *, now=None) -> int:
    """Finished and running dispatches with visits and surveys for the demo consultations of
    last fiscal year and this one (the program reports' data). Idempotent."""
    import random

    from consultations.models import Consultation
    from kosha_portal.japan.fiscal import fiscal_year_of

    from .models import Dispatch, Survey, Visit

    if Dispatch.objects.filter(contact_email__startswith="demo-history-dispatch-").exists():
        return 0
    now = now or clock.now()
    today = now.astimezone(JST).date()
    candidates = list(
        Consultation.objects.filter(
            contact_email__startswith="demo-history-",
            dispatch_need=True,
            received_at__lt=now - datetime.timedelta(days=20),
        ).order_by("received_at")
    )
    rng = random.Random(20260402)  # noqa: S311 - demo data, reproducible
    plan = ["closed", "closed", "rejected", "closed", "withdrawn", "completed", "closed", "expired"]
    used, per_year, created = set(), {}, 0
    for consultation in candidates:
        applied = consultation.received_at + datetime.timedelta(days=5)
        fiscal_year = fiscal_year_of(applied.astimezone(JST).date())
        # One dispatch per company and year, up to nine a year.
        key = (consultation.organisation_id, fiscal_year)
        if key in used or per_year.get(fiscal_year, 0) >= 9:
            continue
        used.add(key)
        per_year[fiscal_year] = per_year.get(fiscal_year, 0) + 1
        year, _created = ProgramYear.objects.get_or_create(
            fiscal_year=fiscal_year,
            defaults={
                "application_opens_at": datetime.datetime(fiscal_year, 4, 1, tzinfo=JST),
                "application_closes_at": datetime.datetime(
                    fiscal_year + 1, 1, 31, 23, 59, 59, tzinfo=JST
                ),
                "dispatch_period_ends_on": datetime.date(fiscal_year + 1, 2, 28),
            },
        )
        status = plan[created % len(plan)]
        recent = (today - applied.astimezone(JST).date()).days < 80
        if recent and status in ("closed", "completed", "expired"):
            status = "decided"
        decided = (
            applied + datetime.timedelta(days=7)
            if status not in ("rejected", "withdrawn")
            else None
        )
        expert = experts[created % len(experts)]
        visits_planned = rng.randint(2, 4)
        finished = decided + datetime.timedelta(days=16 * visits_planned + 7) if decided else None
        dispatch = Dispatch.objects.create(
            reference=f"D{fiscal_year}-{year.dispatches.count() + 1:04d}",
            program_year=year,
            organisation=consultation.organisation,
            consultation=consultation,
            status=status,
            contact_name=consultation.contact_name,
            contact_email=f"demo-history-dispatch-{created + 1}@example.jp",
            theme="カスタマーハラスメント対応マニュアルの作成",
            goals="（デモ）現場で使える対応手順と社内相談窓口を整えたい。",
            preferred_expert_type=expert.qualifications[0] if expert.qualifications else "",
            consent_at=applied,
            privacy_notice_version="2026-04",
            applied_at=applied,
            decided_at=decided,
            decision_date=decided.astimezone(JST).date() if decided else None,
            decision_number=f"産労総第{500 + created}号" if decided else "",
            expert=expert if decided else None,
            planned_visits=visits_planned if decided else None,
            rejection_reason="中小企業基本法の中小企業者に該当しないため"
            if status == "rejected"
            else "",
            rejected_at=applied + datetime.timedelta(days=6) if status == "rejected" else None,
            withdrawn_at=applied + datetime.timedelta(days=4) if status == "withdrawn" else None,
            completed_at=finished if status in ("completed", "closed") else None,
            closed_at=finished + datetime.timedelta(days=5) if status == "closed" else None,
            expired_at=finished if status == "expired" else None,
            completion_summary="（デモ）対応方針とマニュアルを整備しました。"
            if status in ("completed", "closed")
            else "",
        )
        created += 1
        if decided:
            held = 0
            for k in range(visits_planned if status != "expired" else visits_planned - 1):
                day = (decided + datetime.timedelta(days=14 * (k + 1))).astimezone(JST).date()
                if day >= today:
                    state = "scheduled"
                elif rng.random() < 0.12:
                    state = rng.choice(["cancelled", "no_show"])
                else:
                    state = "confirmed" if rng.random() < 0.85 else "reported"
                filed = state in ("confirmed", "reported")
                if state != "cancelled":
                    held += 1
                Visit.objects.create(
                    dispatch=dispatch,
                    status=state,
                    report_number=held if filed else None,
                    cancel_reason="会社側の日程の都合により" if state == "cancelled" else "",
                    date=day,
                    start_time=datetime.time(14),
                    mode=rng.choice(["onsite", "onsite", "online"]),
                    place="事業所の会議室",
                    scheduled_at=decided,
                    report_date=day if state in ("confirmed", "reported") else None,
                )
        if status == "closed":
            Survey.objects.create(
                dispatch=dispatch,
                satisfaction=rng.choice([5, 5, 4, 4, 3]),
                introduced=rng.sample(
                    ["manual", "policy", "contact", "training", "recording", "care"],
                    rng.randint(1, 3),
                ),
                comment="（デモ）具体的な対応手順が分かり、従業員も安心しています。",
                submitted_at=dispatch.closed_at,
            )
    stdout.write(f"  report history: {created} dispatches with visits and surveys")
    return created
