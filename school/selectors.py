"""Reads the school's views need: open cohort, roster, attendance grid and rates."""

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Prefetch, Q
from django.http import Http404
from django.utils.translation import gettext as _

from kosha_portal import clock
from kosha_portal.accounts.services import portal_can_access, portal_target_ids

from .models import Application, Attendance, Cohort, CurriculumSession, Participant


def cohort_open_for_applications() -> Cohort | None:
    """The next cohort accepting applications today, if any."""
    today = clock.today()
    return (
        Cohort.objects.filter(status=Cohort.Status.RECRUITING)
        .filter(Q(application_opens_on__isnull=True) | Q(application_opens_on__lte=today))
        .filter(Q(application_closes_on__isnull=True) | Q(application_closes_on__gte=today))
        .order_by("number")
        .first()
    )


def info_sessions_attendable(cohort: Cohort, now=None):
    """The cohort's 説明会 an applicant can say they attended: held (begun), not cancelled."""
    from seminars.models import Seminar

    from .models import InfoSession

    now = now or clock.now()
    return InfoSession.objects.filter(
        cohort=cohort,
        status__in=[Seminar.Status.PUBLISHED, Seminar.Status.FINISHED],
        starts_at__lte=now,
    ).order_by("starts_at")


def cohort_upcoming() -> Cohort | None:
    """The next recruiting cohort even when its window has not opened yet (for the school page)."""
    return Cohort.objects.filter(status=Cohort.Status.RECRUITING).order_by("number").first()


def affiliations_summary(participants) -> str:
    """所属・役職 of a company's participants as the leaflet prints them: identical ones merged
    with a head count (営業部 次長（2名）)."""
    counts: dict[str, int] = {}
    for participant in participants:
        counts[participant.affiliation] = counts.get(participant.affiliation, 0) + 1
    return _("、").join(
        label if n == 1 else _("%(label)s（%(n)s名）") % {"label": label, "n": n}
        for label, n in counts.items()
    )


@dataclass
class RosterRow:
    number: int
    application: Application
    company: str
    main_business: str
    affiliations: str
    participants: list = field(default_factory=list)


def accepted_applications(cohort: Cohort):
    return (
        cohort.applications.filter(status=Application.Status.ACCEPTED)
        .select_related("organisation")
        .prefetch_related(
            Prefetch("participants", queryset=Participant.objects.order_by("position", "pk"))
        )
        .order_by("roster_number")
    )


def roster_rows(cohort: Cohort) -> list[RosterRow]:
    """The cohort's roster in № order (company names are for staff only)."""
    rows = []
    for application in accepted_applications(cohort):
        participants = list(application.participants.all())
        rows.append(
            RosterRow(
                number=application.roster_number,
                application=application,
                company=application.organisation.name,
                main_business=application.main_business,
                affiliations=affiliations_summary(participants),
                participants=participants,
            )
        )
    return rows


@dataclass(frozen=True)
class AttendanceSummary:
    attended: int
    sessions: int
    threshold: int

    @property
    def percent(self) -> str:
        if not self.sessions:
            return "0.0"
        value = Decimal(self.attended * 100) / Decimal(self.sessions)
        return str(value.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))

    @property
    def eligible(self) -> bool:
        # Integer arithmetic: 4 of 5 sessions is exactly 80 %, never 79.99….
        return self.sessions > 0 and self.attended * 100 >= self.threshold * self.sessions


def attendance_summary(*, attended: int, sessions: int, threshold: int) -> AttendanceSummary:
    """Attendance rate = sessions attended (present, or late/left early) / the cohort's sessions."""
    return AttendanceSummary(attended=attended, sessions=sessions, threshold=threshold)


def attendance_summary_for(participant: Participant) -> AttendanceSummary:
    cohort = participant.application.cohort
    attended = participant.attendances.filter(status__in=Attendance.ATTENDED).count()
    return attendance_summary(
        attended=attended,
        sessions=cohort.sessions.count(),
        threshold=cohort.completion_threshold_percent,
    )


def attendance_grid(cohort: Cohort) -> dict:
    """Sessions, roster participants, their marks and rates for the attendance page."""
    sessions = list(cohort.sessions.select_related("instructor").order_by("number"))
    marks = {
        (a.participant_id, a.session_id): a.status
        for a in Attendance.objects.filter(session__cohort=cohort)
    }
    attended = dict(
        Participant.objects.filter(application__cohort=cohort)
        .annotate(n=Count("attendances", filter=Q(attendances__status__in=Attendance.ATTENDED)))
        .values_list("pk", "n")
    )
    rows = []
    for roster_row in roster_rows(cohort):
        for participant in roster_row.participants:
            summary = attendance_summary(
                attended=attended.get(participant.pk, 0),
                sessions=len(sessions),
                threshold=cohort.completion_threshold_percent,
            )
            rows.append(
                {
                    "roster": roster_row,
                    "participant": participant,
                    "summary": summary,
                    "cells": [
                        {
                            "session": s,
                            "status": marks.get((participant.pk, s.pk), ""),
                            "name": f"a-{participant.pk}-{s.pk}",
                        }
                        for s in sessions
                    ],
                }
            )
    return {"sessions": sessions, "rows": rows}


def application_get_for_portal(request, pk: int) -> Application:
    """A company-side view of one application: 404 alike for missing and forbidden."""
    application = (
        Application.objects.select_related("cohort", "organisation")
        .prefetch_related("participants")
        .filter(pk=pk)
        .first()
    )
    if application is None or not portal_can_access(request, application):
        raise Http404
    return application


def applications_for_portal(request):
    """The applications the visitor's links target (for the /my/ page)."""
    ids = portal_target_ids(request, Application)
    if not ids:
        return []
    return list(
        Application.objects.select_related("cohort", "organisation")
        .filter(pk__in=ids)
        .order_by("-submitted_at")
    )


def participants_with_document(participant_ids, *, kind: str, ready_only: bool = False) -> set[int]:
    """Which of these participants have a PDF of ``kind`` that is ready (or, unless
    ``ready_only``, on its way); one query."""
    from django.contrib.contenttypes.models import ContentType

    from kosha_portal.documents.models import GeneratedDocument

    statuses = [GeneratedDocument.Status.READY]
    if not ready_only:
        statuses += [GeneratedDocument.Status.PENDING, GeneratedDocument.Status.RENDERING]
    return {
        int(object_id)
        for object_id in GeneratedDocument.objects.filter(
            kind=kind,
            status__in=statuses,
            content_type=ContentType.objects.get_for_model(Participant),
            object_id__in=[str(pk) for pk in participant_ids],
        ).values_list("object_id", flat=True)
    }


def cohort_curriculum(cohort: Cohort) -> list[CurriculumSession]:
    """The cohort's sessions in order, with their instructors (for the public school page)."""
    return list(cohort.sessions.select_related("instructor").order_by("number"))


def cohort_for_curriculum(upcoming: Cohort | None) -> Cohort | None:
    """The cohort whose curriculum the school page shows: the next one when its sessions are
    set, else the latest cohort that has sessions (an example of what the course covers)."""
    if upcoming is not None and upcoming.sessions.exists():
        return upcoming
    return (
        Cohort.objects.filter(sessions__isnull=False)
        .exclude(status=Cohort.Status.DRAFT)
        .distinct()
        .order_by("-number")
        .first()
    )


def sessions_span_years(sessions) -> bool:
    """Whether a cohort's sessions fall in more than one calendar year (then dates show it)."""
    return len({session.date.year for session in sessions}) > 1
