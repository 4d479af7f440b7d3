from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_POST

from kosha_portal import clock
from kosha_portal.audit.services import company_actor
from kosha_portal.errors import DomainError
from kosha_portal.exports import Column, export_options, export_response
from kosha_portal.mail.services import current_language
from kosha_portal.ratelimit import rate_limited

from . import qr, selectors, services
from .forms import CheckInCodeForm, RegistrationForm, ResendForm, SurveyForm
from .models import Registration, Seminar

# The public pages of each kind of event: the same views, the kind's own templates and URLs
# (a 説明会 lives under /school/, speaks of 説明会 and signs as the school).
KIND_TEMPLATES = {
    Seminar.Kind.SEMINAR: "seminars/{}.html",
    Seminar.Kind.INFO_SESSION: "school/info_sessions/{}.html",
}
# The announcement opt-in records the form family: a 説明会 is one of the school's forms.
OPT_IN_SOURCE = {Seminar.Kind.SEMINAR: "seminar", Seminar.Kind.INFO_SESSION: "school"}


def _template(kind: str, name: str) -> str:
    return KIND_TEMPLATES[kind].format(name)


@login_not_required
def seminar_list(request):
    return render(
        request,
        "seminars/list.html",
        {
            "upcoming": selectors.seminars_upcoming(),
            "past": selectors.seminars_past(),
        },
    )


@login_not_required
def seminar_detail(request, pk, kind=Seminar.Kind.SEMINAR):
    """The seminar (or 説明会) page with seats left per format and the registration form."""
    seminar = selectors.seminar_get_public(pk, kind=kind)
    is_open = services.registration_is_open(seminar)
    form = RegistrationForm(request.POST or None, seminar=seminar)
    resend_form = None
    if request.method == "POST" and is_open and form.is_valid():
        try:
            registration = services.registration_create(
                seminar_id=seminar.pk,
                participant=form.participant_data(),
                organisation_data=form.organisation_data(),
                actor=company_actor(form.cleaned_data["email"]),
                language=current_language(),
                **form.registration_choice(),
            )
        except services.SeatsFullError as error:
            error.add_to_form(form)
            form.offer_alternatives(requested=error.requested, alternatives=error.alternatives)
            is_open = services.registration_is_open(seminar)
        except DomainError as error:
            if error.code == "duplicate":
                resend_form = ResendForm(initial={"email": form.cleaned_data["email"]})
            error.add_to_form(form)
            is_open = services.registration_is_open(seminar)
        else:
            form.announcement_opt_in_record(
                request,
                source=OPT_IN_SOURCE[kind],
                email=registration.email,
                organisation=registration.organisation,
            )
            query = {"result": registration.status, "format": registration.format}
            if registration.requested_format:
                query["requested"] = registration.requested_format
            return redirect(f"{seminar.get_done_url()}?{urlencode(query)}")
    return render(
        request,
        _template(kind, "detail"),
        {
            "seminar": seminar,
            "form": form,
            "is_open": is_open,
            "resend_form": resend_form,
            "seats": selectors.seminar_seats(seminar),
            "now": clock.now(),
        },
        status=200,
    )


@login_not_required
def registration_done(request, pk, kind=Seminar.Kind.SEMINAR):
    seminar = selectors.seminar_get_public(pk, kind=kind)
    result = request.GET.get("result")
    if result not in (Registration.Status.CONFIRMED, Registration.Status.WAITING):
        return redirect(seminar)
    formats = dict(Registration.Format.choices)
    chosen = request.GET.get("format")
    requested = request.GET.get("requested")
    return render(
        request,
        _template(kind, "done"),
        {
            "seminar": seminar,
            "result": result,
            "format_label": formats.get(chosen, ""),
            # Which format the seat is in when the chosen one was full (the page says so).
            "requested_label": formats.get(requested, "") if requested != chosen else "",
        },
    )


@login_not_required
@require_POST
def confirmation_resend(request, pk, kind=Seminar.Kind.SEMINAR):
    seminar = selectors.seminar_get_public(pk, kind=kind)
    refused = rate_limited(request, scope="seminar-resend", limit=5, window_seconds=600)
    if refused is not None:
        return refused
    form = ResendForm(request.POST)
    if form.is_valid():
        services.registration_confirmation_resend(
            seminar=seminar,
            email=form.cleaned_data["email"],
            actor=company_actor(form.cleaned_data["email"]),
        )
    # The same answer whatever the address: the page must not confirm who registered.
    messages.success(
        request,
        _(
            "ご登録のメールアドレス宛てに確認メールを再送しました。"
            "届かない場合は、お電話でお問い合わせください。"
        ),
    )
    return redirect(seminar)


@login_not_required
def registration_page(request, pk, kind=Seminar.Kind.SEMINAR):
    """The registrant's own page (through their personal link)."""
    registration = selectors.registration_get_for_portal(request, pk, kind=kind)
    seminar = registration.seminar
    can_cancel = (
        registration.status in (Registration.Status.CONFIRMED, Registration.Status.WAITING)
        and seminar.status == Seminar.Status.PUBLISHED
        and seminar.starts_at > clock.now()
    )
    return render(
        request,
        _template(kind, "registration"),
        {
            "registration": registration,
            "seminar": seminar,
            "can_cancel": can_cancel,
            "online_url": seminar.online_url if registration.may_see_online_url else "",
            "survey_state": services.survey_availability(registration),
            # segno's SVG of our own token: no user input reaches the markup.
            "checkin_qr_svg": (
                mark_safe(qr.checkin_qr_svg(registration))  # noqa: S308
                if registration.shows_checkin_code
                else ""
            ),
        },
    )


@login_not_required
def registration_cancel(request, pk, kind=Seminar.Kind.SEMINAR):
    registration = selectors.registration_get_for_portal(request, pk, kind=kind)
    if request.method == "POST":
        try:
            services.registration_cancel(
                registration=registration,
                reason=services.SELF_CANCEL_REASON,
                actor=company_actor(registration.email),
                by_registrant=True,
            )
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("お申込みをキャンセルしました。確認のメールをお送りします。")
            )
        return redirect(registration.get_portal_url())
    return render(
        request,
        _template(kind, "cancel_confirm"),
        {"registration": registration, "seminar": registration.seminar},
    )


@login_not_required
def survey(request, pk):
    """The survey after the seminar; before it ends the page says when it opens."""
    registration = selectors.registration_get_for_portal(request, pk)
    state = services.survey_availability(registration)
    form = None
    if state == services.SURVEY_OPEN:
        form = SurveyForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.survey_submit(
                    registration=registration,
                    actor=company_actor(registration.email),
                    **form.answers(),
                )
            except DomainError as error:
                error.add_to_form(form)
            else:
                messages.success(request, _("アンケートにご回答いただき、ありがとうございました。"))
                return redirect("seminars:registration", pk=registration.pk)
    return render(
        request,
        "seminars/survey.html",
        {
            "registration": registration,
            "seminar": registration.seminar,
            "form": form,
            "state": state,
        },
    )


# --- staff ----------------------------------------------------------------------------------------


def _staff_seminar(request, pk) -> Seminar:
    user = request.user
    if not (user.is_staff and user.has_perm("seminars.change_registration")):
        raise Http404
    return get_object_or_404(Seminar, pk=pk)


CHECKIN_RESULT_SESSION_KEY = "seminars:checkin-result"


def checkin(request, pk):
    """Check-in at the door: venue participants by default (online ones never come to the
    door), search by name or kana, one tap per participant; or the QR code of the confirmation
    scanned with the tablet's camera, or its short code typed (checkin_scan)."""
    seminar = _staff_seminar(request, pk)
    query = request.GET.get("q", "")
    attendance_format = selectors.checkin_format(seminar, request.GET.get("format"))
    return _checkin_render(request, seminar, query, attendance_format, CheckInCodeForm())


def _checkin_render(request, seminar, query, attendance_format, code_form):
    result = request.session.pop(CHECKIN_RESULT_SESSION_KEY, None)
    if result and result.get("seminar") != seminar.pk:
        result = None
    if result and result.get("registration"):
        result["registration"] = (
            Registration.objects.filter(pk=result["registration"], seminar=seminar)
            .select_related("organisation")
            .first()
        )
    return render(
        request,
        "seminars/checkin.html",
        {
            "seminar": seminar,
            "code_form": code_form,
            "result": result,
            "query": query,
            "format": attendance_format,
            "format_filters": selectors.checkin_format_filters(seminar, attendance_format),
            "registrations": selectors.checkin_registrations(
                seminar, query, attendance_format=attendance_format
            ),
            "counts": selectors.seminar_counts(seminar),
        },
    )


@require_POST
def checkin_scan(request, pk):
    """The QR code read by the camera, or the short code typed: the result (who, and whether
    they were checked in or why not) is shown large on the check-in page."""
    seminar = _staff_seminar(request, pk)
    form = CheckInCodeForm(request.POST)
    attendance_format = selectors.checkin_format(seminar, request.POST.get("format"))
    if not form.is_valid():
        return _checkin_render(request, seminar, "", attendance_format, form)
    try:
        result = services.registration_check_in_by_code(
            seminar=seminar, value=form.cleaned_data["code"], actor=request.user
        )
    except services.CheckInRefused as error:
        outcome = {
            "ok": False,
            "code": error.code,
            "message": str(error.message),
            "registration": error.registration.pk if error.registration else None,
        }
    else:
        outcome = {
            "ok": True,
            "code": "checked_in",
            "message": str(result.message),
            "registration": result.registration.pk,
        }
    request.session[CHECKIN_RESULT_SESSION_KEY] = {"seminar": seminar.pk, **outcome}
    url = reverse("seminars:checkin", args=[seminar.pk])
    return redirect(f"{url}?{urlencode({'format': attendance_format})}#checkin-result")


@require_POST
def checkin_mark(request, pk, registration_pk):
    seminar = _staff_seminar(request, pk)
    registration = get_object_or_404(Registration, pk=registration_pk, seminar=seminar)
    try:
        if request.POST.get("action") == "undo":
            services.registration_check_in_undo(registration=registration, actor=request.user)
            messages.info(
                request, _("%(name)s さんの出席を取り消しました。") % {"name": registration.name}
            )
        else:
            services.registration_check_in(registration=registration, actor=request.user)
            messages.success(
                request, _("%(name)s さんの出席を記録しました。") % {"name": registration.name}
            )
    except DomainError as error:
        messages.error(request, error.message)
    url = reverse("seminars:checkin", args=[seminar.pk])
    params = {
        key: request.POST[key] for key in ("q", "format") if request.POST.get(key, "").strip()
    }
    return redirect(f"{url}?{urlencode(params)}" if params else url)


PARTICIPANT_COLUMNS = [
    Column(_lazy("状態"), lambda r: r.get_status_display()),
    Column(_lazy("参加方法"), lambda r: r.get_format_display()),
    Column(_lazy("キャンセル待ち順位"), lambda r: r.waiting_position or ""),
    Column(_lazy("氏名"), lambda r: r.name),
    Column(_lazy("氏名（フリガナ）"), lambda r: r.name_kana),
    Column(_lazy("事業者名"), lambda r: r.organisation.name, width=30),
    Column(_lazy("部署"), lambda r: r.department),
    Column(_lazy("役職"), lambda r: r.role),
    Column(_lazy("メールアドレス"), lambda r: r.email, width=30),
    Column(_lazy("電話番号"), lambda r: r.phone, text=True, width=16),
    Column(_lazy("講師への質問"), lambda r: r.question, width=40),
    Column(
        _lazy("申込日時"), lambda r: timezone.localtime(r.created_at).strftime("%Y-%m-%d %H:%M")
    ),
]


def export_csv(request, pk):
    """Participant list for the lecturer (CSV for Excel, or ``?format=xlsx``); what registrants
    typed is kept as text, never run as a formula, and every download is access-logged."""
    seminar = _staff_seminar(request, pk)
    file_format, encoding = export_options(request)
    return export_response(
        request,
        rows=selectors.export_registrations(seminar),
        columns=PARTICIPANT_COLUMNS,
        filename=f"seminar-{seminar.fiscal_year}-{seminar.number}-participants",
        format=file_format,
        encoding=encoding,
        what="seminar_registration",
        obj=seminar,
    )
