"""Reads the dispatch views and services need, with their visibility rules."""

import datetime

from django.db.models import Count, Prefetch, Q
from django.http import Http404

from companies.models import Organisation
from kosha_portal import clock
from kosha_portal.japan.deadlines import jst_date

from .models import Dispatch, Expert, ProgramYear, Visit


def program_year_for_application(at: datetime.datetime | None = None) -> ProgramYear | None:
    """The program year an application made at ``at`` belongs to: the latest one already open."""
    at = at or clock.now()
    return ProgramYear.objects.filter(application_opens_at__lte=at).order_by("-fiscal_year").first()


def organisation_group(organisation_id: int):
    """The registry rows that are one company for the cap and the one-open-dispatch rule: the row
    itself and every row with its 法人番号. Rows that merely share the normalised name are only
    possible duplicates (see ``organisation_name_duplicates``): staff merge or confirm them."""
    numbers = (
        Organisation.objects.filter(pk=organisation_id)
        .exclude(corporate_number="")
        .values("corporate_number")
    )
    return Organisation.objects.filter(Q(pk=organisation_id) | Q(corporate_number__in=numbers))


def organisation_name_duplicates(organisation):
    """Unmerged rows outside the group with the same normalised name (名寄せキー); two rows with
    different 法人番号 are different companies and never listed."""
    if not organisation.name_key:
        return Organisation.objects.none()
    duplicates = Organisation.objects.filter(name_key=organisation.name_key).exclude(
        pk__in=organisation_group(organisation.pk).values("pk")
    )
    if organisation.corporate_number:
        duplicates = duplicates.filter(corporate_number="")
    return duplicates.order_by("pk")


def live_dispatches(*, organisation, at: datetime.datetime):
    """The company's dispatches still in course at ``at``: applied or decided, in a program year
    whose dispatch period has not ended (an ended one no longer blocks a new application)."""
    return Dispatch.objects.filter(
        organisation__in=organisation_group(organisation.pk),
        status__in=Dispatch.OPEN_STATUSES,
        program_year__dispatch_period_ends_on__gte=jst_date(at),
    )


def dispatches_due_to_expire(*, today: datetime.date):
    """Decided dispatches whose dispatch period ended (after its last day, JST) without a 完了報告."""
    return Dispatch.objects.filter(
        status=Dispatch.Status.DECIDED, program_year__dispatch_period_ends_on__lt=today
    ).order_by("pk")


def visits_in_cap_scope(*, organisation, program_year: ProgramYear):
    """Every counted visit of the company (its whole group) that uses the program year's cap."""
    visits = Visit.objects.filter(
        dispatch__organisation__in=organisation_group(organisation.pk),
        status__in=Visit.COUNTED_STATUSES,
    )
    if program_year.cap_scope == ProgramYear.CapScope.FISCAL_YEAR:
        visits = visits.filter(dispatch__program_year=program_year)
    return visits


def visits_used(*, organisation, program_year: ProgramYear) -> int:
    return visits_in_cap_scope(organisation=organisation, program_year=program_year).count()


def visits_used_earlier_years(*, organisation, program_year: ProgramYear) -> int:
    return Visit.objects.filter(
        dispatch__organisation__in=organisation_group(organisation.pk),
        status__in=Visit.COUNTED_STATUSES,
        dispatch__program_year__fiscal_year__lt=program_year.fiscal_year,
    ).count()


def visit_cap_remaining(*, organisation, program_year: ProgramYear) -> int:
    return max(
        program_year.visit_cap - visits_used(organisation=organisation, program_year=program_year),
        0,
    )


def expert_for_user(user) -> Expert | None:
    if not getattr(user, "is_authenticated", False):
        return None
    return Expert.objects.filter(user=user).first()


def _with_visits(queryset):
    return queryset.select_related(
        "organisation", "program_year", "expert", "consultation"
    ).prefetch_related(Prefetch("visits", Visit.objects.order_by("number", "pk")))


def expert_dispatches(expert: Expert):
    return (
        _with_visits(Dispatch.objects.filter(expert=expert))
        .annotate(visit_count=Count("visits", filter=Q(visits__status__in=Visit.COUNTED_STATUSES)))
        .order_by("-decided_at")
    )


def expert_dispatch_get(*, expert: Expert | None, reference: str) -> Dispatch:
    """The expert's own dispatch; 404 alike for missing and someone else's."""
    if expert is None:
        raise Http404
    dispatch = _with_visits(Dispatch.objects.filter(reference=reference, expert=expert)).first()
    if dispatch is None:
        raise Http404
    return dispatch


def expert_visit_get(*, expert: Expert | None, reference: str, number: int) -> Visit:
    dispatch = expert_dispatch_get(expert=expert, reference=reference)
    visit = (
        Visit.objects.select_related("dispatch__organisation", "dispatch__program_year")
        .filter(dispatch=dispatch, number=number)
        .exclude(status=Visit.Status.CANCELLED)
        .first()
    )
    if visit is None:
        raise Http404
    return visit


def company_dispatch_get(*, request, reference: str) -> Dispatch:
    """The dispatch if a personal link of the visitor targets it or the consultation it came
    from; 404 alike for missing and forbidden."""
    from kosha_portal.accounts.services import portal_can_access

    dispatch = _with_visits(Dispatch.objects.filter(reference=reference)).first()
    if dispatch is None or not portal_can_access(request, dispatch, via=(dispatch.consultation,)):
        raise Http404
    return dispatch


def company_visit_get(*, request, reference: str, number: int) -> Visit:
    dispatch = company_dispatch_get(request=request, reference=reference)
    visit = (
        Visit.objects.select_related("dispatch__organisation")
        .filter(dispatch=dispatch, number=number)
        .exclude(status=Visit.Status.CANCELLED)
        .first()
    )
    if visit is None:
        raise Http404
    return visit
