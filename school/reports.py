"""東京都サービス生産性革新スクール figures for the program report (実績報告). Pure reads,
aggregated in SQL with a fixed number of queries.

Which cohorts: those whose course starts (``start_date``) inside the period. Participants are the
people of accepted companies; the attendance rate counts the sessions already recorded."""

from collections import Counter

from django.db.models import Count, Q

from kosha_portal.reports.periods import ReportPeriod

from .models import Application, Attendance, Certificate, CoachingVisit, Cohort, Participant

APPLICATION_STATUSES = [s.value for s in Application.Status]


def cohorts_in(period: ReportPeriod):
    return Cohort.objects.filter(start_date__gte=period.start_date, start_date__lte=period.end_date)


def school_report(*, period: ReportPeriod) -> dict:
    """Every スクール figure of ``period``, per cohort and for the period, as plain data."""
    scope = cohorts_in(period)
    cohorts = list(
        scope.order_by("number").values("pk", "number", "title", "start_date", "end_date")
    )
    applications = Counter()
    for row in (
        Application.objects.filter(cohort__in=scope)
        .values("cohort", "status")
        .annotate(n=Count("pk"))
        .order_by()
    ):
        applications[(row["cohort"], row["status"])] += row["n"]
    participants = dict(
        Participant.objects.filter(
            application__cohort__in=scope, application__status=Application.Status.ACCEPTED
        )
        .values("application__cohort")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("application__cohort", "n")
    )
    attendance = {
        row["session__cohort"]: row
        for row in Attendance.objects.filter(
            session__cohort__in=scope, participant__application__status=Application.Status.ACCEPTED
        )
        .values("session__cohort")
        .annotate(
            marks=Count("pk"),
            attended=Count("pk", filter=Q(status__in=Attendance.ATTENDED)),
            sessions=Count("session", distinct=True),
        )
        .order_by()
    }
    coaching = dict(
        CoachingVisit.objects.filter(application__cohort__in=scope)
        .values("application__cohort")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("application__cohort", "n")
    )
    certificates = dict(
        Certificate.objects.filter(participant__application__cohort__in=scope)
        .values("participant__application__cohort")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("participant__application__cohort", "n")
    )

    rows = []
    totals = dict.fromkeys(
        [
            "applications",
            *APPLICATION_STATUSES,
            "participants",
            "coaching_visits",
            "certificates",
            "attended",
            "expected",
        ],
        0,
    )
    for cohort in cohorts:
        pk = cohort["pk"]
        by_status = {s: applications[(pk, s)] for s in APPLICATION_STATUSES}
        people = participants.get(pk, 0)
        marks = attendance.get(pk) or {"attended": 0, "sessions": 0}
        # Every participant is expected at every recorded session; a session without a mark for
        # someone counts as missed.
        expected = people * marks["sessions"]
        row = {
            "number": cohort["number"],
            "title": cohort["title"],
            "start_date": cohort["start_date"].isoformat(),
            "end_date": cohort["end_date"].isoformat(),
            "applications": sum(by_status.values()),
            **by_status,
            "participants": people,
            "sessions_recorded": marks["sessions"],
            "attended": marks["attended"],
            "expected": expected,
            "attendance_rate": marks["attended"] / expected if expected else None,
            "coaching_visits": coaching.get(pk, 0),
            "certificates": certificates.get(pk, 0),
        }
        rows.append(row)
        for key in totals:
            totals[key] += row[key]
    return {
        "cohorts": rows,
        "count": len(rows),
        "totals": totals,
        "attendance_rate": totals["attended"] / totals["expected"] if totals["expected"] else None,
    }
