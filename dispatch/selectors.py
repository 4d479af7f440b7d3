"""Reads the dispatch views and services need, with their visibility rules."""

import datetime

from django.db.models import (
    Avg,
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    Prefetch,
    Q,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber
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


# --- visit numbering ------------------------------------------------------------------------------
#
# 第N回 is the position of a visit among its dispatch's visits that are not cancelled, in the order
# they are held: the reported date and time where a report exists, else the scheduled ones, then
# the primary key. One window function numbers every visit of the dispatches a query reads, so a
# list costs no extra query. The window runs after the WHERE clause: filter these querysets by
# dispatch only, never by status or pk (that would number the remaining rows instead).


def _visit_order():
    return [F("held_on").asc(), F("held_from").asc(nulls_last=True), F("pk").asc()]


def visits_numbered(queryset=None):
    """Visits with ``position`` (第N回; counted separately among the cancelled, whose ``number``
    is None), in the order they are held."""
    queryset = Visit.objects.all() if queryset is None else queryset
    return (
        queryset.annotate(
            held_on=Coalesce("report_date", "date"),
            held_from=Coalesce("report_start", "start_time"),
        )
        .annotate(
            position=Window(
                RowNumber(),
                partition_by=[
                    F("dispatch_id"),
                    ExpressionWrapper(
                        Q(status=Visit.Status.CANCELLED), output_field=BooleanField()
                    ),
                ],
                order_by=_visit_order(),
            )
        )
        .order_by("dispatch_id", *_visit_order())
    )


def dispatch_visits(dispatch) -> list[Visit]:
    """Every visit of the dispatch with its 第N回, cancelled ones included, in date order."""
    return list(visits_numbered().filter(dispatch_id=dispatch.pk))


def visit_position(visit: Visit) -> int | None:
    """第N回 of one visit (one query); lists use ``visits_numbered``."""
    for other in dispatch_visits(visit.dispatch):
        if other.pk == visit.pk:
            return other.number
    return None


def visits_number(visits) -> list:
    """Give each visit of ``visits`` (from any query) its 第N回, with one query for them all."""
    visits = list(visits)
    dispatch_ids = {visit.dispatch_id for visit in visits}
    positions = dict(
        visits_numbered().filter(dispatch_id__in=dispatch_ids).values_list("pk", "position")
    )
    for visit in visits:
        visit.__dict__["position"] = positions.get(visit.pk)
    return visits


def _with_visits(queryset):
    return queryset.select_related(
        "organisation", "program_year", "expert", "consultation"
    ).prefetch_related(Prefetch("visits", visits_numbered()))


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


def _visit_of(dispatch: Dispatch, visit_id: int, *, include_cancelled: bool) -> Visit:
    visit = next((v for v in dispatch.visits.all() if v.pk == visit_id), None)
    if visit is None or (visit.is_cancelled and not include_cancelled):
        raise Http404
    visit.dispatch = dispatch
    return visit


def expert_visit_get(
    *, expert: Expert | None, reference: str, visit_id: int, include_cancelled: bool = False
) -> Visit:
    """One visit of the expert's own dispatch, by its id, with its 第N回."""
    dispatch = expert_dispatch_get(expert=expert, reference=reference)
    return _visit_of(dispatch, visit_id, include_cancelled=include_cancelled)


def company_dispatch_get(*, request, reference: str) -> Dispatch:
    """The dispatch if a personal link of the visitor targets it or the consultation it came
    from; 404 alike for missing and forbidden."""
    from kosha_portal.accounts.services import portal_can_access

    dispatch = _with_visits(Dispatch.objects.filter(reference=reference)).first()
    if dispatch is None or not portal_can_access(request, dispatch, via=(dispatch.consultation,)):
        raise Http404
    return dispatch


def company_visit_get(*, request, reference: str, visit_id: int) -> Visit:
    dispatch = company_dispatch_get(request=request, reference=reference)
    return _visit_of(dispatch, visit_id, include_cancelled=False)


def staff_visit_get(*, dispatch_id: int, visit_id: int) -> Visit:
    dispatch = _with_visits(Dispatch.objects.filter(pk=dispatch_id)).first()
    if dispatch is None:
        raise Http404
    return _visit_of(dispatch, visit_id, include_cancelled=True)


# --- what the expert needs to know ---------------------------------------------------------------


def consultation_background(dispatch: Dispatch) -> dict:
    """The consultation behind the dispatch, as the expert may see it: the checklists always, the
    company's own description only with its consent to share it (``share_description_with_expert``)
    and while the consultation still holds it (it is erased after the retention period)."""
    from consultations.models import BehaviourType, Damage, Measure, Place

    consultation = dispatch.consultation

    def labels(codes, choices) -> list[str]:
        known = dict(choices.choices)
        return [str(known[code]) for code in codes or () if code in known]

    description = ""
    if dispatch.share_description_with_expert and not consultation.anonymised_at:
        description = consultation.description
    return {
        "reference": consultation.reference,
        "behaviour_types": labels(consultation.behaviour_types, BehaviourType),
        "places": labels(consultation.places, Place),
        "damages": labels(consultation.damages, Damage),
        "measures": labels(consultation.measures, Measure),
        "description": description,
        "description_shared": dispatch.share_description_with_expert,
    }


# --- surveys -------------------------------------------------------------------------------------


def survey_averages_by_year():
    """Per program year: answers, average 満足度 and how many answered each 導入した取組."""
    from .models import Survey

    years = list(
        ProgramYear.objects.annotate(
            survey_count=Count("dispatches__survey"),
            satisfaction_avg=Avg("dispatches__survey__satisfaction"),
        ).order_by("-fiscal_year")
    )
    introduced: dict[int, dict[str, int]] = {}
    for year_id, codes in Survey.objects.values_list("dispatch__program_year_id", "introduced"):
        counts = introduced.setdefault(year_id, {})
        for code in codes or ():
            counts[code] = counts.get(code, 0) + 1
    labels = dict(Survey.Introduced.choices)
    for year in years:
        counts = introduced.get(year.pk, {})
        year.introduced_counts = [
            (str(labels[code]), counts.get(code, 0)) for code in Survey.Introduced.values
        ]
    return years
