"""Reads the seminars views use."""

from django.db.models import Count, Q
from django.http import Http404

from kosha_portal import clock
from kosha_portal.accounts.services import portal_can_access

from .models import Registration, Seminar

PUBLIC_STATUSES = [Seminar.Status.PUBLISHED, Seminar.Status.CANCELLED, Seminar.Status.FINISHED]


def seminars_upcoming(now=None):
    now = now or clock.now()
    return Seminar.objects.filter(
        status__in=[Seminar.Status.PUBLISHED, Seminar.Status.CANCELLED], ends_at__gte=now
    ).order_by("starts_at")


def seminars_past(now=None):
    now = now or clock.now()
    return Seminar.objects.filter(
        Q(status=Seminar.Status.FINISHED) | Q(status=Seminar.Status.PUBLISHED, ends_at__lt=now)
    ).order_by("-starts_at")


def seminar_get_public(pk: int) -> Seminar:
    seminar = Seminar.objects.filter(pk=pk, status__in=PUBLIC_STATUSES).first()
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


def registration_get_for_portal(request, pk: int) -> Registration:
    """The registration the visitor's personal link covers; 404 alike for missing and forbidden."""
    registration = (
        Registration.objects.select_related("seminar", "organisation").filter(pk=pk).first()
    )
    if registration is None or not portal_can_access(request, registration):
        raise Http404
    return registration


def checkin_registrations(seminar: Seminar, query: str = ""):
    """Participants holding a seat, by フリガナ, filtered by name or kana."""
    from kosha_portal.japan.normalize import normalize_kana, normalize_text

    queryset = (
        Registration.objects.filter(seminar=seminar, status__in=Registration.HOLDING_SEAT)
        .select_related("organisation")
        .order_by("name_kana", "pk")
    )
    query = normalize_text(query)
    if query:
        kana = normalize_kana(query).replace(" ", "")
        queryset = queryset.filter(
            Q(name__icontains=query)
            | Q(name__icontains=query.replace(" ", ""))
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
