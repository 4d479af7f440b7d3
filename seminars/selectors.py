"""Reads the seminars views use."""

from django.db.models import Avg, Count, Q
from django.http import Http404
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock
from kosha_portal.accounts.services import portal_can_access

from .models import Registration, Seminar, SurveyResponse

PUBLIC_STATUSES = [Seminar.Status.PUBLISHED, Seminar.Status.CANCELLED, Seminar.Status.FINISHED]


def seminars_upcoming(now=None, *, kind=Seminar.Kind.SEMINAR):
    """Published or cancelled events of ``kind`` not yet over (the seminar listing never shows
    the school's 説明会)."""
    now = now or clock.now()
    return Seminar.objects.filter(
        kind=kind,
        status__in=[Seminar.Status.PUBLISHED, Seminar.Status.CANCELLED],
        ends_at__gte=now,
    ).order_by("starts_at")


def seminars_past(now=None):
    now = now or clock.now()
    return Seminar.objects.filter(
        Q(status=Seminar.Status.FINISHED) | Q(status=Seminar.Status.PUBLISHED, ends_at__lt=now),
        kind=Seminar.Kind.SEMINAR,
    ).order_by("-starts_at")


def info_sessions_upcoming(cohort, now=None):
    """The cohort's 説明会 the school page lists: published or cancelled, not yet over."""
    if cohort is None:
        return Seminar.objects.none()
    return seminars_upcoming(now, kind=Seminar.Kind.INFO_SESSION).filter(cohort=cohort)


def seminar_get_public(pk: int, *, kind=Seminar.Kind.SEMINAR) -> Seminar:
    """A public event of ``kind``: a 説明会 has no page under /seminars/ and a seminar none under
    /school/."""
    seminar = Seminar.objects.filter(pk=pk, kind=kind, status__in=PUBLIC_STATUSES).first()
    if seminar is None:
        raise Http404
    return seminar


def seminar_seats(seminar: Seminar) -> list[dict]:
    """Per offered format: seats, taken, left and waiting (one query)."""
    counts = Registration.objects.filter(seminar=seminar).aggregate(
        **{
            f"{fmt}_{kind}": Count("pk", filter=Q(format=fmt, status__in=statuses))
            for fmt in Registration.Format.values
            for kind, statuses in (
                ("taken", Registration.HOLDING_SEAT),
                ("waiting", [Registration.Status.WAITING]),
            )
        }
    )
    rows = []
    for fmt in seminar.attendance_formats:
        seats = seminar.seats_for(fmt)
        taken = counts[f"{fmt}_taken"]
        rows.append(
            {
                "format": fmt,
                "label": Registration.Format(fmt).label,
                "seats": seats,
                "taken": taken,
                "left": max(seats - taken, 0),
                "waiting": counts[f"{fmt}_waiting"],
            }
        )
    return rows


def seminar_counts(seminar: Seminar) -> dict:
    """Registered (holding a seat), waiting, attended and no-show counts for staff."""
    S = Registration.Status
    return Registration.objects.filter(seminar=seminar).aggregate(
        registered=Count("pk", filter=Q(status__in=Registration.HOLDING_SEAT)),
        waiting=Count("pk", filter=Q(status=S.WAITING)),
        attended=Count("pk", filter=Q(status=S.ATTENDED)),
        no_show=Count("pk", filter=Q(status=S.NO_SHOW)),
        cancelled=Count("pk", filter=Q(status=S.CANCELLED)),
    )


def registration_get_for_portal(request, pk: int, *, kind=Seminar.Kind.SEMINAR) -> Registration:
    """The registration the visitor's personal link covers; 404 alike for missing and forbidden
    (and for a registration of the other kind of event: each kind has its own pages)."""
    registration = (
        Registration.objects.select_related("seminar", "organisation")
        .filter(pk=pk, seminar__kind=kind)
        .first()
    )
    if registration is None or not portal_can_access(request, registration):
        raise Http404
    return registration


CHECKIN_ALL = "all"


def checkin_format(seminar: Seminar, requested: str | None) -> str:
    """The format the door's list shows: the one asked for, else the venue (online participants
    never come to the door), else the seminar's only format."""
    offered = seminar.attendance_formats
    if requested == CHECKIN_ALL and len(offered) > 1:
        return CHECKIN_ALL
    if requested in offered:
        return requested
    return Registration.Format.VENUE if seminar.has_venue else offered[0]


def checkin_format_filters(seminar: Seminar, current: str) -> list[dict]:
    """The filter buttons with their head counts (one query); none for a one-format seminar."""
    offered = seminar.attendance_formats
    if len(offered) < 2:
        return []
    counts = Registration.objects.filter(
        seminar=seminar, status__in=Registration.HOLDING_SEAT
    ).aggregate(
        **{fmt: Count("pk", filter=Q(format=fmt)) for fmt in offered},
        **{CHECKIN_ALL: Count("pk")},
    )
    labels = {
        Registration.Format.VENUE: _("会場"),
        Registration.Format.ONLINE: _("オンライン"),
        CHECKIN_ALL: _("すべて"),
    }
    return [
        {"value": value, "label": labels[value], "count": counts[value], "active": value == current}
        for value in [*offered, CHECKIN_ALL]
    ]


def checkin_registrations(seminar: Seminar, query: str = "", *, attendance_format=CHECKIN_ALL):
    """Participants holding a seat in ``attendance_format``, by フリガナ, filtered by name, kana
    (typed in hiragana or katakana) or company."""
    from kosha_portal.japan.normalize import normalize_kana, normalize_text

    queryset = (
        Registration.objects.filter(seminar=seminar, status__in=Registration.HOLDING_SEAT)
        .select_related("organisation")
        .order_by("name_kana", "pk")
    )
    if attendance_format != CHECKIN_ALL:
        queryset = queryset.filter(format=attendance_format)
    query = normalize_text(query)
    if query:
        kana = normalize_kana(query).replace(" ", "")
        queryset = queryset.filter(
            Q(name__icontains=query)
            | Q(name__icontains=query.replace(" ", ""))
            | Q(name__icontains=query.replace(" ", "\u3000"))
            | Q(name_kana__icontains=normalize_kana(query))
            | Q(name_kana__icontains=kana)
            | Q(organisation__name__icontains=query)
        )
    return queryset


def export_registrations(seminar: Seminar):
    return (
        Registration.objects.filter(seminar=seminar)
        .exclude(status=Registration.Status.CANCELLED)
        .select_related("organisation")
        .order_by("status", "name_kana", "pk")
    )


# --- survey results (admin) ------------------------------------------------------------------


def _intention_counts(rows) -> list[dict]:
    counts = dict.fromkeys(SurveyResponse.Intention.values, 0)
    for intentions in rows:
        for value in intentions or ():
            if value in counts:
                counts[value] += 1
    labels = dict(SurveyResponse.Intention.choices)
    return [{"value": v, "label": labels[v], "count": n} for v, n in counts.items() if n]


def _rounded(value) -> str:
    return "" if value is None else f"{value:.2f}"


def survey_summary(*, seminar: Seminar | None = None, fiscal_year: int | None = None) -> dict:
    """Answers, average 満足度 and 役立ち度 (1–5) and the intentions chosen, for one seminar or one
    program year (年度)."""
    responses = SurveyResponse.objects.all()
    if seminar is not None:
        responses = responses.filter(registration__seminar=seminar)
    if fiscal_year is not None:
        responses = responses.filter(registration__seminar__fiscal_year=fiscal_year)
    figures = responses.aggregate(
        answers=Count("pk"), satisfaction=Avg("satisfaction"), usefulness=Avg("usefulness")
    )
    return {
        "answers": figures["answers"],
        "satisfaction": _rounded(figures["satisfaction"]),
        "usefulness": _rounded(figures["usefulness"]),
        "intentions": _intention_counts(responses.values_list("intentions", flat=True)),
    }


def survey_summaries_by_seminar() -> list[dict]:
    """One row per seminar with answers: its averages (one query for the figures)."""
    rows = (
        Seminar.objects.annotate(
            answers=Count("registrations__survey"),
            satisfaction=Avg("registrations__survey__satisfaction"),
            usefulness=Avg("registrations__survey__usefulness"),
            participants=Count(
                "registrations",
                filter=Q(
                    registrations__status__in=[
                        Registration.Status.ATTENDED,
                        Registration.Status.NO_SHOW,
                    ]
                ),
                distinct=True,
            ),
        )
        .filter(answers__gt=0, kind=Seminar.Kind.SEMINAR)
        .order_by("-fiscal_year", "-number")
    )
    return [
        {
            "seminar": seminar,
            "answers": seminar.answers,
            "participants": seminar.participants,
            "satisfaction": _rounded(seminar.satisfaction),
            "usefulness": _rounded(seminar.usefulness),
        }
        for seminar in rows
    ]


def survey_summaries_by_year() -> list[dict]:
    """One row per program year (年度) with answers: averages over all its seminars."""
    rows = (
        SurveyResponse.objects.values("registration__seminar__fiscal_year")
        .annotate(
            answers=Count("pk"),
            seminars=Count("registration__seminar", distinct=True),
            satisfaction=Avg("satisfaction"),
            usefulness=Avg("usefulness"),
        )
        .order_by("-registration__seminar__fiscal_year")
    )
    return [
        {
            "fiscal_year": row["registration__seminar__fiscal_year"],
            "answers": row["answers"],
            "seminars": row["seminars"],
            "satisfaction": _rounded(row["satisfaction"]),
            "usefulness": _rounded(row["usefulness"]),
        }
        for row in rows
    ]
