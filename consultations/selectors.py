import datetime

from django.db.models import Q
from django.http import Http404
from django.utils.translation import gettext

from companies.models import Organisation
from kosha_portal import clock
from kosha_portal.accounts.services import portal_can_access, portal_target_ids

from .models import Consultation, ConsultationAttachment, ConsultationMessage

OPEN_STATUSES = [Consultation.Status.NEW, Consultation.Status.IN_PROGRESS]


def consultation_with_confirmed_need(organisation) -> Consultation | None:
    """The organisation's latest consultation whose dispatch need the desk confirmed."""
    return (
        Consultation.objects.filter(organisation=organisation, dispatch_need=True)
        .exclude(status=Consultation.Status.WITHDRAWN)
        .order_by("-dispatch_need_decided_on", "-received_at")
        .first()
    )


def overdue_q(today: datetime.date | None = None) -> Q:
    """Open consultations whose reply-by date has passed (JST)."""
    today = today or clock.today()
    return Q(status__in=OPEN_STATUSES, reply_by__lt=today)


def consultations_new():
    return (
        Consultation.objects.filter(status=Consultation.Status.NEW)
        .select_related("organisation")
        .order_by("received_at")
    )


def consultations_overdue(*, today: datetime.date | None = None):
    return (
        Consultation.objects.filter(overdue_q(today))
        .select_related("organisation", "assigned_to")
        .order_by("reply_by", "received_at")
    )


def consultation_get_for_company(request, reference: str) -> Consultation:
    """The consultation the visitor's personal link covers; 404 alike for missing and forbidden."""
    consultation = (
        Consultation.objects.select_related("organisation").filter(reference=reference).first()
    )
    if consultation is None or not portal_can_access(request, consultation):
        raise Http404
    return consultation


def consultation_thread_for_company(consultation: Consultation) -> list[ConsultationMessage]:
    """Replies and the company's own messages; internal notes are never included."""
    return list(
        consultation.messages.exclude(kind=ConsultationMessage.Kind.INTERNAL_NOTE)
        .select_related("author")
        .prefetch_related("attachments")
    )


def consultation_attachments_for_company(consultation: Consultation):
    return ConsultationAttachment.objects.filter(consultation=consultation, message__isnull=True)


def attachment_get_for(request, reference: str, pk: int) -> ConsultationAttachment:
    """An attachment the visitor may download: desk staff with view permission, or the company
    whose link covers its consultation. 404 alike for missing and forbidden."""
    attachment = (
        ConsultationAttachment.objects.select_related("consultation")
        .filter(pk=pk, consultation__reference=reference)
        .first()
    )
    if attachment is None:
        raise Http404
    user = request.user
    if getattr(user, "is_staff", False) and user.has_perm("consultations.view_consultation"):
        return attachment
    consultation = attachment.consultation
    if not portal_can_access(request, consultation):
        raise Http404
    return attachment


def consultations_for_portal(request):
    """The consultations the visitor's links target (for the /my/ page)."""
    ids = portal_target_ids(request, Consultation)
    if not ids:
        return Consultation.objects.none()
    return Consultation.objects.filter(pk__in=ids).order_by("-received_at")


def consultation_duplicates(consultation: Consultation):
    """Other consultations from the same organisation, the same 法人番号 or the same name key."""
    organisation = consultation.organisation
    condition = Q(organisation=organisation) | Q(organisation__name_key=organisation.name_key)
    if organisation.corporate_number:
        condition |= Q(organisation__corporate_number=organisation.corporate_number)
    return (
        Consultation.objects.filter(condition)
        .exclude(pk=consultation.pk)
        .select_related("organisation")
        .order_by("-received_at")
    )


def organisations_like(*, corporate_number: str, name_key: str):
    condition = Q(name_key=name_key) if name_key else Q(pk__in=[])
    if corporate_number:
        condition |= Q(corporate_number=corporate_number)
    return Organisation.objects.filter(condition)


# The rules of expert dispatch the desk can foresee when it confirms the need: where the company
# is, whether it is an SME, whether applications are open, and visits left (DOMAIN §3-4).
PREVIEW_RULES = ("tokyo", "sme", "window", "cap", "no_open_dispatch")


def dispatch_need_preview(consultation: Consultation, *, at=None):
    """What dispatch/eligibility.py would say if the company applied now, without the rules the
    determination itself decides (the need) or the applicant answers later (確認事項): a list of
    rule results, the failing ones first to read."""
    from dispatch.eligibility import RuleResult, dispatch_eligibility
    from dispatch.selectors import program_year_for_application

    at = at or clock.now()
    program_year = program_year_for_application(at)
    if program_year is None:
        return [
            RuleResult(
                "window",
                gettext("申込受付期間内であること"),
                False,
                gettext("専門家派遣の申込を受け付けている年度がまだ登録されていません。"),
            )
        ]
    result = dispatch_eligibility(
        organisation=consultation.organisation,
        program_year=program_year,
        consultation=None,
        attestations=None,
        at=at,
    )
    return [rule for rule in result.rules if rule.code in PREVIEW_RULES]
