from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from kosha_portal.audit.services import company_actor
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.documents.services import documents_for, latest_ready_document
from kosha_portal.documents.views import document_response
from kosha_portal.errors import DomainError
from kosha_portal.exports import export_options
from kosha_portal.ratelimit import rate_limited
from seminars import selectors as event_selectors

from . import roster_io, selectors, services
from .forms import CoachingVisitForm, RosterImportForm, SchoolApplicationForm
from .models import Application, Attendance, Certificate, CoachingVisit, Cohort, Participant

# --- public -------------------------------------------------------------------------------------


@login_not_required
def about(request):
    """What the school is, who it suits, and the next cohort."""
    cohort = selectors.cohort_upcoming()
    curriculum_cohort = selectors.cohort_for_curriculum(cohort)
    sessions = selectors.cohort_curriculum(curriculum_cohort) if curriculum_cohort else []
    return render(
        request,
        "school/about.html",
        {
            "cohort": cohort,
            # Upcoming 説明会 of the cohort open for applications (each page has its form).
            "info_sessions": event_selectors.info_sessions_upcoming(
                selectors.cohort_open_for_applications() or cohort
            ),
            "open_cohort": selectors.cohort_open_for_applications(),
            "concerns": Application.Concern.choices,
            "curriculum_cohort": curriculum_cohort,
            "sessions": sessions,
        },
    )


@login_not_required
def apply(request):
    cohort = selectors.cohort_open_for_applications()
    if cohort is None:
        return render(request, "school/apply_closed.html", {"cohort": selectors.cohort_upcoming()})
    form = SchoolApplicationForm(
        request.POST or None,
        max_participants=cohort.max_participants_per_company,
        info_sessions=selectors.info_sessions_attendable(cohort),
    )
    if request.method == "POST":
        refused = rate_limited(request, scope="school-apply", limit=20, window_seconds=600)
        if refused is not None:
            return refused
        if form.is_valid():
            try:
                application = services.application_submit(
                    cohort=cohort,
                    organisation_data=form.organisation_data(),
                    contact=form.contact(),
                    participants=form.participants(),
                    concerns=form.cleaned_data["concerns"],
                    concerns_other=form.cleaned_data["concerns_other"],
                    info_session=form.cleaned_data.get("info_session"),
                    actor=company_actor(form.cleaned_data["contact_email"]),
                )
            except DomainError as error:
                error.add_to_form(form)
            else:
                form.announcement_opt_in_record(
                    request,
                    source="school",
                    email=application.contact_email,
                    organisation=application.organisation,
                )
                request.session["school_applied"] = application.pk
                return redirect("school:apply_done")
    return render(request, "school/apply.html", {"form": form, "cohort": cohort})


@login_not_required
def apply_done(request):
    application = (
        Application.objects.select_related("cohort")
        .filter(pk=request.session.get("school_applied"))
        .first()
    )
    if application is None:
        return redirect("school:about")
    return render(request, "school/apply_done.html", {"application": application})


@login_not_required
def application_status(request, pk):
    """The company's own view of its application (through its personal link)."""
    application = selectors.application_get_for_portal(request, pk)
    return render(request, "school/application_status.html", {"application": application})


# --- staff --------------------------------------------------------------------------------------


def staff_required(view):
    """Staff with the school's permissions; everybody else gets a 404 (login is enforced by the
    middleware before this runs)."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        user = request.user
        if not (user.is_active and user.is_staff and user.has_perm("school.view_cohort")):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def staff_write_required(*permissions: str, reading_needs_it: bool = True):
    """On top of ``staff_required``: the page writes, so it also needs ``permissions`` (the add or
    change permissions of what it writes); without them the answer is the same 404. With
    ``reading_needs_it=False`` only a POST needs them, and view-only staff may still read the page."""

    def decorator(view):
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if (reading_needs_it or request.method not in ("GET", "HEAD")) and not (
                request.user.has_perms(permissions)
            ):
                raise Http404
            return view(request, *args, **kwargs)

        return staff_required(wrapped)

    return decorator


def _cohort(pk) -> Cohort:
    return get_object_or_404(Cohort, pk=pk)


@staff_required
def staff_home(request):
    cohorts = Cohort.objects.all()
    return render(request, "school/staff/home.html", {"cohorts": cohorts})


@staff_required
def roster(request, pk):
    cohort = _cohort(pk)
    documents = documents_for(cohort).filter(kind__startswith=services.ROSTER_KIND)[:5]
    return render(
        request,
        "school/staff/roster.html",
        {
            "cohort": cohort,
            "rows": selectors.roster_rows(cohort),
            "documents": documents,
        },
    )


def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@staff_required
def roster_csv(request, pk):
    _format, encoding = export_options(request)
    return roster_io.roster_export_response(
        request, _cohort(pk), file_format="csv", encoding=encoding
    )


@staff_required
def roster_xlsx(request, pk):
    return roster_io.roster_export_response(
        request, _cohort(pk), file_format="xlsx", encoding="utf-8-sig"
    )


@staff_write_required("school.change_cohort")
@require_POST
def roster_pdf(request, pk):
    cohort = _cohort(pk)
    services.roster_pdf_request(
        cohort=cohort, actor=request.user, with_names=request.POST.get("public") != "1"
    )
    messages.success(
        request, _("名簿のPDFを作成しています。しばらくしてからこの画面を更新してください。")
    )
    return redirect("school:roster", pk=cohort.pk)


@staff_required
def document_download(request, pk, uuid):
    cohort = _cohort(pk)
    document = get_object_or_404(documents_for(cohort), uuid=uuid)
    return document_response(document, actor=request.user)


@staff_write_required("school.add_application")
def roster_import(request, pk):
    cohort = _cohort(pk)
    form = RosterImportForm(request.POST or None, request.FILES or None)
    row_errors = []
    if request.method == "POST" and form.is_valid():
        try:
            rows = roster_io.roster_file_read(form.cleaned_data["file"])
            created = services.roster_import(cohort=cohort, rows=rows, actor=request.user)
        except services.RosterImportError as error:
            row_errors = error.errors
            error.add_to_form(form)
        except DomainError as error:
            error.add_to_form(form)
        else:
            messages.success(request, _("%(n)s社を名簿に取り込みました。") % {"n": len(created)})
            return redirect("school:roster", pk=cohort.pk)
    return render(
        request,
        "school/staff/import.html",
        {
            "cohort": cohort,
            "form": form,
            "row_errors": row_errors,
        },
    )


@staff_required
def import_template(request, pk):
    cohort = _cohort(pk)
    return _download(
        roster_io.import_template_csv(),
        f"school-roster-import-{cohort.number}.csv",
        "text/csv; charset=utf-8",
    )


@staff_write_required("school.add_attendance", "school.change_attendance", reading_needs_it=False)
def attendance(request, pk):
    cohort = _cohort(pk)
    grid = selectors.attendance_grid(cohort)
    if request.method == "POST":
        marks = {}
        for row in grid["rows"]:
            for cell in row["cells"]:
                if cell["name"] in request.POST:
                    marks[(row["participant"].pk, cell["session"].pk)] = request.POST[cell["name"]]
        try:
            changed = services.attendance_record(cohort=cohort, marks=marks, actor=request.user)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("出欠を保存しました（%(n)s件更新）。") % {"n": changed})
            return redirect("school:attendance", pk=cohort.pk)
    return render(
        request,
        "school/staff/attendance.html",
        {
            "cohort": cohort,
            **grid,
            "statuses": Attendance.Status.choices,
            "show_year": selectors.sessions_span_years(grid["sessions"]),
        },
    )


@staff_write_required("school.add_coachingvisit", reading_needs_it=False)
def coaching(request, pk):
    cohort = _cohort(pk)
    form = CoachingVisitForm(request.POST or None, cohort=cohort)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.coaching_visit_record(
                application=data["application"],
                date=data["date"],
                start_time=data["start_time"],
                end_time=data["end_time"],
                mode=data["mode"],
                instructor=data["instructor"],
                topics=data["topics"],
                notes=data["notes"],
                actor=request.user,
            )
        except DomainError as error:
            error.add_to_form(form)
        else:
            messages.success(request, _("個別支援の記録を保存しました。"))
            return redirect("school:coaching", pk=cohort.pk)
    rows = selectors.roster_rows(cohort)
    visits = {}
    for visit in CoachingVisit.objects.filter(application__cohort=cohort).select_related(
        "instructor"
    ):
        visits.setdefault(visit.application_id, []).append(visit)
    return render(
        request,
        "school/staff/coaching.html",
        {
            "cohort": cohort,
            "form": form,
            "companies": [{"row": r, "visits": visits.get(r.application.pk, [])} for r in rows],
        },
    )


@staff_required
def certificates(request, pk):
    cohort = _cohort(pk)
    grid = selectors.attendance_grid(cohort)
    issued = {
        c.participant_id: c
        for c in Certificate.objects.filter(participant__application__cohort=cohort)
    }
    ready = selectors.participants_with_document(
        [r["participant"].pk for r in grid["rows"]],
        kind=services.CERTIFICATE_KIND,
        ready_only=True,
    )
    rows = [
        {
            **r,
            "certificate": issued.get(r["participant"].pk),
            "pdf_ready": r["participant"].pk in ready,
        }
        for r in grid["rows"]
    ]
    bundles = documents_for(cohort, kind=services.CERTIFICATES_BUNDLE_KIND).order_by("-created_at")[
        :3
    ]
    return render(
        request,
        "school/staff/certificates.html",
        {
            "cohort": cohort,
            "rows": rows,
            "to_issue": sum(1 for r in rows if r["summary"].eligible and not r["certificate"]),
            "eligible": sum(1 for r in rows if r["summary"].eligible),
            "bundles": bundles,
            "ready": GeneratedDocument.Status.READY,
        },
    )


@staff_write_required("school.add_certificate")
@require_POST
def certificates_issue_all(request, pk):
    """Every eligible participant's 修了証 in one action, and one PDF of them all to print."""
    cohort = _cohort(pk)
    result = services.certificates_issue_all(cohort=cohort, actor=request.user)
    if result.certificates:
        messages.success(
            request,
            _(
                "%(new)s名の修了証を発行しました（発行済み%(already)s名を含む全%(total)s名分）。"
                "PDF（1名ずつと、印刷用に全員分をまとめたもの）を作成しています。"
                "しばらくしてからこの画面を更新してください。"
            )
            % {
                "new": len(result.issued),
                "already": len(result.already),
                "total": len(result.certificates),
            },
        )
    else:
        messages.error(request, _("修了基準を満たした参加者がいないため、発行していません。"))
    if result.ineligible:
        messages.info(
            request,
            _("修了基準に達していない%(n)s名には発行していません。")
            % {"n": len(result.ineligible)},
        )
    return redirect("school:certificates", pk=cohort.pk)


def _participant(cohort_pk, participant_pk) -> Participant:
    return get_object_or_404(
        Participant.objects.select_related("application__cohort"),
        pk=participant_pk,
        application__cohort_id=cohort_pk,
        application__status=Application.Status.ACCEPTED,
    )


@staff_write_required("school.add_certificate")
@require_POST
def certificate_issue(request, pk, participant_pk):
    participant = _participant(pk, participant_pk)
    try:
        services.certificate_issue(participant=participant, actor=request.user)
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("%(name)s様の修了証を作成しています。") % {"name": participant.name}
        )
    return redirect("school:certificates", pk=pk)


@staff_required
def certificate_download(request, pk, participant_pk):
    participant = _participant(pk, participant_pk)
    if not hasattr(participant, "certificate"):
        raise Http404
    document = latest_ready_document(participant, kind=services.CERTIFICATE_KIND)
    if document is None:
        raise Http404
    return document_response(document, actor=request.user)
