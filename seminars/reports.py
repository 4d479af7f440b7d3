"""セミナー figures for the program report (実績報告). Pure reads, aggregated in SQL with a fixed
number of queries.

Which seminars: those held (``starts_at``, JST) inside the period, drafts excepted; every
registration of them counts, whenever it was made."""

from collections import Counter

from django.db.models import Count, Sum

from kosha_portal.japan.deadlines import jst_date
from kosha_portal.reports.periods import ReportPeriod

from .models import Registration, Seminar, SurveyResponse

FORMATS = [Registration.Format.VENUE.value, Registration.Format.ONLINE.value]
COUNTS = ["registrations", "confirmed", "waiting", "cancelled", "attended", "no_show"]


def seminars_in(period: ReportPeriod):
    # The school's 説明会 share the table but are not seminars of the program.
    return Seminar.objects.filter(
        kind=Seminar.Kind.SEMINAR, starts_at__gte=period.start, starts_at__lt=period.end
    ).exclude(status=Seminar.Status.DRAFT)


def _empty_counts() -> dict:
    return dict.fromkeys(COUNTS, 0)


def _add(counts: dict, status: str, n: int) -> None:
    counts["registrations"] += n
    if status in Registration.HOLDING_SEAT:
        counts["confirmed"] += n
    key = {
        Registration.Status.WAITING: "waiting",
        Registration.Status.CANCELLED: "cancelled",
        Registration.Status.ATTENDED: "attended",
        Registration.Status.NO_SHOW: "no_show",
    }.get(status)
    if key:
        counts[key] += n


def _rate(counts: dict) -> float | None:
    """Attendance among those who held a seat once the seminar was over (出席 ÷ 出席＋欠席)."""
    taken = counts["attended"] + counts["no_show"]
    return counts["attended"] / taken if taken else None


def seminar_report(*, period: ReportPeriod) -> dict:
    """Every セミナー figure of ``period``, per seminar and for the period, as plain data."""
    seminars = list(
        seminars_in(period)
        .order_by("starts_at", "number")
        .values("pk", "number", "part", "title", "starts_at", "format", "status")
    )
    ids = [s["pk"] for s in seminars]
    registrations = Registration.objects.filter(seminar__in=seminars_in(period))

    per_seminar = {pk: {f: _empty_counts() for f in FORMATS} for pk in ids}
    for row in (
        registrations.values("seminar", "format", "status").annotate(n=Count("pk")).order_by()
    ):
        _add(per_seminar[row["seminar"]][row["format"]], row["status"], row["n"])

    surveys = {
        row["registration__seminar"]: row
        for row in SurveyResponse.objects.filter(registration__in=registrations)
        .values("registration__seminar")
        .annotate(
            responses=Count("pk"), satisfaction=Sum("satisfaction"), usefulness=Sum("usefulness")
        )
        .order_by()
    }
    heard_from = Counter()
    for row in registrations.values("heard_from").annotate(n=Count("pk")).order_by():
        heard_from[row["heard_from"] or "unanswered"] += row["n"]

    rows = []
    totals = {f: _empty_counts() for f in FORMATS}
    survey_totals = {"responses": 0, "satisfaction": 0, "usefulness": 0}
    for seminar in seminars:
        by_format = per_seminar[seminar["pk"]]
        both = _empty_counts()
        for f in FORMATS:
            for key in COUNTS:
                both[key] += by_format[f][key]
                totals[f][key] += by_format[f][key]
        survey = surveys.get(seminar["pk"]) or {"responses": 0}
        for key in survey_totals:
            survey_totals[key] += survey.get(key) or 0
        responses = survey["responses"]
        rows.append(
            {
                "number": seminar["number"],
                "part": seminar["part"],
                "title": seminar["title"],
                "date": jst_date(seminar["starts_at"]).isoformat(),
                "format": seminar["format"],
                "status": seminar["status"],
                "by_format": by_format,
                "counts": both,
                "attendance_rate": _rate(both),
                "survey_responses": responses,
                "satisfaction_avg": survey["satisfaction"] / responses if responses else None,
                "usefulness_avg": survey["usefulness"] / responses if responses else None,
            }
        )
    all_formats = _empty_counts()
    for f in FORMATS:
        for key in COUNTS:
            all_formats[key] += totals[f][key]
    responses = survey_totals["responses"]
    return {
        "seminars": rows,
        "count": len(rows),
        "held": sum(1 for s in seminars if s["status"] != Seminar.Status.CANCELLED),
        "cancelled_seminars": sum(1 for s in seminars if s["status"] == Seminar.Status.CANCELLED),
        "totals_by_format": totals,
        "totals": all_formats,
        "attendance_rate": _rate(all_formats),
        "attendance_rate_by_format": {f: _rate(totals[f]) for f in FORMATS},
        "survey_responses": responses,
        "satisfaction_avg": survey_totals["satisfaction"] / responses if responses else None,
        "usefulness_avg": survey_totals["usefulness"] / responses if responses else None,
        "heard_from": dict(heard_from),
    }
