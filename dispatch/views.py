from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from consultations.models import Consultation
from kosha_portal import clock
from kosha_portal.accounts.services import portal_can_access, portal_emails
from kosha_portal.audit.services import company_actor
from kosha_portal.documents.views import document_response
from kosha_portal.errors import DomainError
from kosha_portal.workflow import is_allowed

from . import services
from .eligibility import dispatch_eligibility
from .forms import (
    ApplicationForm,
    CompletionForm,
    DisputeForm,
    SurveyForm,
    VisitCancelForm,
    VisitReportForm,
    VisitScheduleForm,
    WithdrawReasonForm,
)
from .models import Dispatch, EligibilityItem, Visit
from .pdf import (
    completion_report_document,
    completion_report_pending,
    visit_documents,
)
from .selectors import (
    company_dispatch_get,
    company_visit_get,
    consultation_background,
    expert_dispatch_get,
    expert_dispatches,
    expert_for_user,
    expert_visit_get,
    program_year_for_application,
    visits_used,
)


def _company_actor(request) -> str:
    return company_actor("|".join(sorted(portal_emails(request))))


# --- company side (personal links) ---------------------------------------------------------------


@login_not_required
def application_new(request, reference):
    """The company's dispatch application, reached from its consultation page.

    Rules the applicant cannot fix here (outside Tokyo, window closed, cap reached, ...) are
    shown before any form; data a rule needs but the registry lacks (従業員数, 資本金) is asked
    for in the form, and the rules run again on submit."""
    consultation = (
        Consultation.objects.select_related("organisation").filter(reference=reference).first()
    )
    if consultation is None or not portal_can_access(request, consultation):
        raise Http404
    program_year = program_year_for_application()
    preview = None
    if program_year is not None:
        preview = dispatch_eligibility(
            organisation=consultation.organisation,
            program_year=program_year,
            consultation=consultation,
            attestations=None,
            at=clock.now(),
        )
    context = {"consultation": consultation, "program_year": program_year, "preview": preview}
    if program_year is None or preview.final:
        return render(request, "dispatch/application_form.html", {**context, "form": None})
    items = list(EligibilityItem.objects.filter(program_year=program_year))
    form = ApplicationForm(
        request.POST or None,
        items=items,
        missing=preview.missing,
        initial={
            "contact_name": consultation.contact_name,
            "contact_email": consultation.contact_email,
            "contact_phone": consultation.contact_phone,
        },
    )
    refusal = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dispatch = services.dispatch_apply(
                consultation=consultation,
                contact_name=data["contact_name"],
                contact_email=data["contact_email"],
                contact_phone=data["contact_phone"],
                theme=data["theme"],
                goals=data["goals"],
                preferred_expert_type=data["preferred_expert_type"],
                preferred_mode=data["preferred_mode"],
                preferred_dates=data["preferred_dates"],
                share_description_with_expert=data["share_description_with_expert"],
                company_data=form.company_data(),
                attestations=form.attestations(),
                consent=data["consent"],
                actor=_company_actor(request),
            )
        except services.DispatchIneligible as exc:
            refusal = exc.result
            if any(r.code == "attestations" for r in refusal.failed):
                for item in items:
                    if item.required and not form.attestations()[item.code]:
                        form.add_error(
                            f"attest_{item.code}",
                            _("この確認事項を確認のうえ、チェックしてください。"),
                        )
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            form.announcement_opt_in_record(
                request,
                source="dispatch",
                email=dispatch.contact_email,
                organisation=consultation.organisation,
            )
            messages.success(request, _("専門家派遣のお申込みを受け付けました。"))
            return redirect(dispatch.get_portal_url())
    return render(
        request,
        "dispatch/application_form.html",
        {**context, "form": form, "refusal": refusal},
    )


def _with_documents(visits) -> list[Visit]:
    """Attach each visit's report PDF state (``pdf``: ready document, ``pdf_pending``)."""
    visits = list(visits)
    documents = visit_documents(v for v in visits if v.reported_at)
    for visit in visits:
        state = documents.get(visit.pk, {"ready": None, "pending": False})
        visit.pdf, visit.pdf_pending = state["ready"], state["pending"]
    return visits


def _document_or_wait(request, document, *, pending: bool, back: str, actor):
    """Serve the PDF, or say it is being prepared (it renders in a task after each change)."""
    if document is not None:
        return document_response(document, actor=actor)
    if not pending:
        raise Http404
    return render(request, "dispatch/document_pending.html", {"back": back}, status=200)


@login_not_required
def company_dispatch(request, reference):
    dispatch = company_dispatch_get(request=request, reference=reference)
    visits = _with_documents(dispatch.visits.all())
    return render(
        request,
        "dispatch/company_dispatch.html",
        {
            "dispatch": dispatch,
            "visits": [v for v in visits if not v.is_cancelled],
            "cancelled_visits": [v for v in visits if v.is_cancelled],
            "dispute_form": DisputeForm(),
            "can_withdraw": is_allowed(dispatch, Dispatch.Status.WITHDRAWN),
            "survey_form": SurveyForm() if dispatch.status == Dispatch.Status.COMPLETED else None,
            "completion_pdf": completion_report_document(dispatch)
            if dispatch.completed_at
            else None,
        },
    )


@login_not_required
@require_POST
def company_visit_confirm(request, reference, visit_id):
    visit = company_visit_get(request=request, reference=reference, visit_id=visit_id)
    try:
        services.visit_report_confirm(visit=visit, actor=_company_actor(request))
        messages.success(request, _("第%(n)d回の実施報告を確認しました。") % {"n": visit.number})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("dispatch:company_dispatch", reference)


@login_not_required
@require_POST
def company_visit_dispute(request, reference, visit_id):
    visit = company_visit_get(request=request, reference=reference, visit_id=visit_id)
    form = DisputeForm(request.POST)
    if form.is_valid():
        try:
            services.visit_report_dispute(
                visit=visit, comment=form.cleaned_data["comment"], actor=_company_actor(request)
            )
            messages.success(request, _("ご指摘を担当者と専門家に伝えました。"))
            return redirect("dispatch:company_dispatch", reference)
        except DomainError as exc:
            exc.add_to_form(form)
    return render(
        request,
        "dispatch/company_dispute.html",
        {"dispatch": visit.dispatch, "visit": visit, "form": form},
        status=200,
    )


@login_not_required
def company_survey(request, reference):
    dispatch = company_dispatch_get(request=request, reference=reference)
    if dispatch.status != Dispatch.Status.COMPLETED:
        return redirect(dispatch.get_portal_url())
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.survey_submit(
                dispatch=dispatch, actor=_company_actor(request), **form.cleaned_data
            )
            messages.success(request, _("アンケートにご回答いただきありがとうございました。"))
            return redirect(dispatch.get_portal_url())
        except DomainError as exc:
            exc.add_to_form(form)
    return render(request, "dispatch/company_survey.html", {"dispatch": dispatch, "form": form})


@login_not_required
def company_withdraw(request, reference):
    """The company withdraws its dispatch after reading what follows from it, with its reason."""
    dispatch = company_dispatch_get(request=request, reference=reference)
    if not is_allowed(dispatch, Dispatch.Status.WITHDRAWN):
        messages.info(request, _("この専門家派遣は取り下げることができない状態です。"))
        return redirect(dispatch.get_portal_url())
    form = WithdrawReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dispatch_withdraw(
                dispatch=dispatch,
                reason=form.cleaned_data["reason"],
                actor=_company_actor(request),
            )
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(
                request,
                _("専門家派遣を取り下げました。確認のメールをお送りしました。"),
            )
            return redirect(dispatch.get_portal_url())
    visits = list(dispatch.visits.all())
    return render(
        request,
        "dispatch/company_withdraw.html",
        {
            "dispatch": dispatch,
            "form": form,
            "to_cancel": [v for v in visits if v.status == Visit.Status.SCHEDULED],
            "held": [v for v in visits if v.status in Visit.DONE_STATUSES],
        },
    )


@login_not_required
def company_visit_pdf(request, reference, visit_id):
    visit = company_visit_get(request=request, reference=reference, visit_id=visit_id)
    state = visit_documents([visit])[visit.pk]
    return _document_or_wait(
        request,
        state["ready"],
        pending=state["pending"],
        back=reverse("dispatch:company_dispatch", args=[reference]),
        actor=_company_actor(request),
    )


@login_not_required
def company_completion_pdf(request, reference):
    dispatch = company_dispatch_get(request=request, reference=reference)
    return _document_or_wait(
        request,
        completion_report_document(dispatch),
        pending=completion_report_pending(dispatch),
        back=reverse("dispatch:company_dispatch", args=[reference]),
        actor=_company_actor(request),
    )


# --- expert area ---------------------------------------------------------------------------------


def _expert(request):
    expert = expert_for_user(request.user)
    if expert is None:
        raise Http404
    return expert


def expert_home(request):
    expert = _expert(request)
    return render(
        request,
        "dispatch/expert_home.html",
        {"expert": expert, "dispatches": expert_dispatches(expert)},
    )


def expert_dispatch(request, reference):
    expert = _expert(request)
    dispatch = expert_dispatch_get(expert=expert, reference=reference)
    form = VisitScheduleForm(request.POST or None, initial={"mode": dispatch.preferred_mode})
    can_schedule = dispatch.status == Dispatch.Status.DECIDED
    if request.method == "POST" and can_schedule and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_schedule(
                dispatch=dispatch,
                date=data["date"],
                start_time=data["start_time"],
                mode=data["mode"],
                place=data["place"],
                online_url=data["online_url"],
                actor=request.user,
            )
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(
                request,
                _("第%(n)d回の日程を登録し、事業者にお知らせしました。") % {"n": visit.number},
            )
            for warning in services.visit_date_warnings(visit.date):
                messages.warning(request, warning)
            return redirect("dispatch:expert_dispatch", reference)
    visits = _with_documents(dispatch.visits.all())
    used = visits_used(organisation=dispatch.organisation, program_year=dispatch.program_year)
    return render(
        request,
        "dispatch/expert_dispatch.html",
        {
            "dispatch": dispatch,
            "active_visits": [v for v in visits if not v.is_cancelled],
            "cancelled_visits": [v for v in visits if v.is_cancelled],
            "background": consultation_background(dispatch),
            "form": form,
            "can_schedule": can_schedule,
            "cap_used": used,
            "blockers": services.dispatch_completion_blockers(dispatch) if can_schedule else None,
            "completion_pdf": completion_report_document(dispatch)
            if dispatch.completed_at
            else None,
        },
    )


def expert_visit_report(request, reference, visit_id):
    expert = _expert(request)
    visit = expert_visit_get(expert=expert, reference=reference, visit_id=visit_id)
    if visit.status not in (Visit.Status.SCHEDULED, Visit.Status.DISPUTED):
        messages.info(request, _("この回の実施報告は提出済みです。"))
        return redirect("dispatch:expert_dispatch", reference)
    initial = {
        "report_date": visit.report_date or visit.date,
        "report_start": visit.report_start or visit.start_time,
    }
    if visit.status == Visit.Status.DISPUTED:
        initial.update(
            {
                k: getattr(visit, k)
                for k in ("report_end", "attendees", "topics", "advice", "next_steps")
            }
        )
    form = VisitReportForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            visit = services.visit_report_file(visit=visit, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(
                request, _("第%(n)d回の実施報告を提出しました。") % {"n": visit.report_number}
            )
            return redirect("dispatch:expert_dispatch", reference)
    return render(
        request,
        "dispatch/expert_visit_report.html",
        {"dispatch": visit.dispatch, "visit": visit, "form": form},
    )


def expert_visit_cancel(request, reference, visit_id):
    """The expert cancels a scheduled visit after reading what follows, with the reason."""
    visit = expert_visit_get(expert=_expert(request), reference=reference, visit_id=visit_id)
    if not is_allowed(visit, Visit.Status.CANCELLED):
        messages.info(request, _("この回は取り消すことができない状態です。"))
        return redirect("dispatch:expert_dispatch", reference)
    form = VisitCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        number = visit.number
        try:
            services.visit_cancel(
                visit=visit, reason=form.cleaned_data["reason"], actor=request.user
            )
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(
                request,
                _("第%(n)d回の日程を取り消し、事業者にお知らせしました。") % {"n": number},
            )
            return redirect("dispatch:expert_dispatch", reference)
    return render(
        request,
        "dispatch/expert_visit_cancel.html",
        {
            "dispatch": visit.dispatch,
            "visit": visit,
            "form": form,
            "later": [
                v
                for v in visit.dispatch.visits.all()
                if not v.is_cancelled and v.number and v.number > visit.number
            ],
        },
    )


@require_POST
def expert_visit_no_show(request, reference, visit_id):
    visit = expert_visit_get(expert=_expert(request), reference=reference, visit_id=visit_id)
    try:
        services.visit_no_show(visit=visit, actor=request.user)
        messages.success(request, _("第%(n)d回を不実施として記録しました。") % {"n": visit.number})
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("dispatch:expert_dispatch", reference)


def expert_completion(request, reference):
    expert = _expert(request)
    dispatch = expert_dispatch_get(expert=expert, reference=reference)
    form = CompletionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.dispatch_complete(dispatch=dispatch, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            exc.add_to_form(form)
        else:
            messages.success(request, _("完了報告を提出しました。"))
            return redirect("dispatch:expert_dispatch", reference)
    blockers = None
    if dispatch.status == Dispatch.Status.DECIDED:
        blockers = services.dispatch_completion_blockers(dispatch)
    return render(
        request,
        "dispatch/expert_completion.html",
        {"dispatch": dispatch, "form": form, "blockers": blockers},
    )


def expert_visit_pdf(request, reference, visit_id):
    visit = expert_visit_get(expert=_expert(request), reference=reference, visit_id=visit_id)
    state = visit_documents([visit])[visit.pk]
    return _document_or_wait(
        request,
        state["ready"],
        pending=state["pending"],
        back=reverse("dispatch:expert_dispatch", args=[reference]),
        actor=request.user,
    )


def expert_completion_pdf(request, reference):
    dispatch = expert_dispatch_get(expert=_expert(request), reference=reference)
    return _document_or_wait(
        request,
        completion_report_document(dispatch),
        pending=completion_report_pending(dispatch),
        back=reverse("dispatch:expert_dispatch", args=[reference]),
        actor=request.user,
    )


# --- staff ---------------------------------------------------------------------------------------


def _staff_pdf(request, document):
    if document is None:
        raise Http404
    return document_response(document, actor=request.user)


def _require_dispatch_staff(request) -> None:
    if not (request.user.is_staff and request.user.has_perm("dispatch.view_dispatch")):
        raise Http404


def staff_visit_pdf(request, pk):
    """Desk staff download a visit report (any dispatch)."""
    _require_dispatch_staff(request)
    visit = get_object_or_404(Visit, pk=pk)
    return _staff_pdf(request, visit_documents([visit])[visit.pk]["ready"])


def staff_completion_pdf(request, pk):
    _require_dispatch_staff(request)
    return _staff_pdf(request, completion_report_document(get_object_or_404(Dispatch, pk=pk)))
