"""専門家派遣 figures for the program report (実績報告). Pure reads, aggregated in SQL with a fixed
number of queries.

Which rows: the applications (派遣申込) received inside the period (``applied_at``, JST) and what
became of them; visits by the day they were (to be) held (``date``) inside the period; surveys of
the period's applications."""

from collections import Counter

from django.db.models import Avg, Count, Q
from django.db.models.functions import Trim, TruncMonth

from kosha_portal.japan.deadlines import JST
from kosha_portal.reports.periods import ReportPeriod, month_key
from kosha_portal.reports.sql import multiselect_counts, value_counts

from .models import Dispatch, Survey, Visit

# A visit took place: its report was filed (confirmed or disputed by the company, or awaiting
# confirmation). A no-show used the expert's time but no advice was given.
HELD_STATUSES = (Visit.Status.REPORTED, Visit.Status.CONFIRMED, Visit.Status.DISPUTED)
REJECTION_REASONS_TOP = 10
USAGE_BUCKETS = ["0", "1", "2", "3", "4", "5+"]


def dispatches_in(period: ReportPeriod):
    return Dispatch.objects.filter(applied_at__gte=period.start, applied_at__lt=period.end)


def visits_in(period: ReportPeriod):
    return Visit.objects.filter(date__gte=period.start_date, date__lte=period.end_date)


def dispatch_report(*, period: ReportPeriod) -> dict:
    """Every 専門家派遣 figure of ``period`` as plain data (JSON-serialisable)."""
    scope = dispatches_in(period)

    # 1. Applications and what became of them, in one grouped scan.
    by_month = {month_key(m): 0 for m in period.months}
    status_now = Counter()
    applications = decided = completed = withdrawn_before = withdrawn_after = 0
    for row in (
        scope.annotate(month=TruncMonth("applied_at", tzinfo=JST))
        .values("month", "status")
        .annotate(
            n=Count("pk"),
            decided=Count("pk", filter=Q(decided_at__isnull=False)),
            completed=Count("pk", filter=Q(completed_at__isnull=False)),
        )
        .order_by()
    ):
        n = row["n"]
        applications += n
        by_month[month_key(row["month"])] += n
        status_now[row["status"]] += n
        decided += row["decided"]
        completed += row["completed"]
        if row["status"] == Dispatch.Status.WITHDRAWN:
            withdrawn_after += row["decided"]
            withdrawn_before += n - row["decided"]

    # 2. 不採択, by the reason as staff wrote it.
    reasons = [
        [row["reason"], row["n"]]
        for row in scope.filter(status=Dispatch.Status.REJECTED)
        .annotate(reason=Trim("rejection_reason"))
        .values("reason")
        .annotate(n=Count("pk"))
        .order_by("-n", "reason")[: REJECTION_REASONS_TOP + 1]
    ]
    listed_reasons = reasons[:REJECTION_REASONS_TOP]

    # 3. Visits held in the period, by status, mode and month.
    visits = Counter()
    held_by_mode = Counter()
    held_by_month = {month_key(m): 0 for m in period.months}
    for row in (
        visits_in(period)
        .annotate(month=TruncMonth("date"))
        .values("status", "mode", "month")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        visits[row["status"]] += row["n"]
        if row["status"] in HELD_STATUSES:
            held_by_mode[row["mode"]] += row["n"]
            held_by_month[month_key(row["month"])] += row["n"]
    held = sum(visits[s] for s in HELD_STATUSES)

    # 4. Held visits per expert type (an expert with two qualifications counts under both).
    held_visits = visits_in(period).filter(status__in=HELD_STATUSES)
    by_qualification = multiselect_counts(
        held_visits, {"qualifications": "dispatch__expert__qualifications"}
    )["qualifications"]
    without_qualification = held_visits.filter(
        Q(dispatch__expert__qualifications=[]) | Q(dispatch__expert__isnull=True)
    ).count()

    # 5. Companies by the number of visits held (all their decided applications of the period).
    per_company = (
        scope.filter(decided_at__isnull=False)
        .values("organisation")
        .annotate(visits_held=Count("visits", filter=Q(visits__status__in=HELD_STATUSES)))
        .order_by()
    )
    usage = dict.fromkeys(USAGE_BUCKETS, 0)
    for n, companies in value_counts(per_company, "visits_held").items():
        usage["5+" if n >= 5 else str(n)] += companies

    # 6. The companies' surveys after completion.
    surveys = Survey.objects.filter(dispatch__in=scope)
    survey = surveys.aggregate(
        responses=Count("pk"),
        satisfaction_avg=Avg("satisfaction"),
        **{f"s{score}": Count("pk", filter=Q(satisfaction=score)) for score in range(1, 6)},
    )
    introduced = multiselect_counts(surveys, ["introduced"])["introduced"]

    return {
        "applications": applications,
        "by_month": by_month,
        "decided": decided,
        "rejected": status_now[Dispatch.Status.REJECTED],
        "rejection_reasons": listed_reasons,
        "rejection_reasons_other": status_now[Dispatch.Status.REJECTED]
        - sum(n for _r, n in listed_reasons),
        "withdrawn": status_now[Dispatch.Status.WITHDRAWN],
        "withdrawn_before_decision": withdrawn_before,
        "withdrawn_after_decision": withdrawn_after,
        "expired": status_now[Dispatch.Status.EXPIRED],
        "completed": completed,
        "completion_rate": completed / decided if decided else None,
        "open_now": sum(status_now[s] for s in Dispatch.OPEN_STATUSES),
        "status_now": dict(status_now),
        "visits": {
            "held": held,
            "scheduled": visits[Visit.Status.SCHEDULED],
            "cancelled": visits[Visit.Status.CANCELLED],
            "no_show": visits[Visit.Status.NO_SHOW],
            "total": sum(visits.values()),
        },
        "visits_by_month": held_by_month,
        "visits_by_mode": {mode: held_by_mode[mode] for mode in ("onsite", "online")},
        "visits_by_qualification": by_qualification,
        "visits_without_qualification": without_qualification,
        "usage": usage,
        "survey": {
            "responses": survey["responses"],
            "response_rate": survey["responses"] / completed if completed else None,
            "satisfaction_avg": float(survey["satisfaction_avg"])
            if survey["satisfaction_avg"] is not None
            else None,
            "satisfaction": {str(score): survey[f"s{score}"] for score in range(1, 6)},
            "introduced": introduced,
        },
    }
