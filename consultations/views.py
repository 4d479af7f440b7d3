from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from kosha_portal.accounts.services import portal_emails
from kosha_portal.audit.services import audit_record
from kosha_portal.errors import DomainError
from kosha_portal.ratelimit import rate_limited

from .forms import CompanyMessageForm, ConsultationIntakeForm
from .selectors import (
    attachment_get_for,
    consultation_attachments_for_company,
    consultation_get_for_company,
    consultation_thread_for_company,
)
from .services import company_actor, consultation_company_message_add, consultation_submit

# The thank-you page learns its reference from a signed, short-lived token in its URL rather
# than from the session, so a submission creates no session.
THANKS_SALT = "consultations.thanks"
THANKS_MAX_AGE = 60 * 60


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def consultation_new(request):
    """The public intake form."""
    if request.method == "POST":
        refused = rate_limited(
            request,
            scope="consultation-intake",
            limit=settings.CONSULTATION_RATE_LIMIT,
            window_seconds=60,
        )
        if refused is not None:
            return refused
        form = ConsultationIntakeForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                consultation = consultation_submit(
                    organisation_data=form.organisation_data(),
                    data=form.consultation_data(),
                    files=form.cleaned_data["attachments"],
                    privacy_consented=True,
                    actor=company_actor(form.cleaned_data["contact_email"]),
                )
            except DomainError as error:
                error.add_to_form(form)
            else:
                form.announcement_opt_in_record(
                    request,
                    source="consultation",
                    email=consultation.contact_email,
                    organisation=consultation.organisation,
                )
                token = signing.dumps(consultation.reference, salt=THANKS_SALT)
                # A URL, not a view name: redirect() would try to reverse it first.
                return HttpResponseRedirect(f"{reverse('consultations:thanks')}?r={token}")
        # A fresh timestamp: the next attempt is judged from now.
        form.data = form.data.copy()
        form.data["started"] = form.fields["started"].initial
        status = 200
    else:
        form = ConsultationIntakeForm()
        status = 200
    return render(request, "consultations/new.html", {"form": form}, status=status)


@login_not_required
@never_cache
def consultation_thanks(request):
    try:
        reference = signing.loads(
            request.GET.get("r", ""), salt=THANKS_SALT, max_age=THANKS_MAX_AGE
        )
    except signing.BadSignature:
        reference = None
    if not reference:
        return redirect("consultations:new")
    return render(request, "consultations/thanks.html", {"reference": reference})


def _dispatch_url(consultation):
    if consultation.dispatch_need is not True:
        return None
    try:
        return reverse("dispatch:application_new", args=[consultation.reference])
    except NoReverseMatch:
        return None


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def consultation_status(request, reference):
    """The company's status page, reached through its personal access link."""
    consultation = consultation_get_for_company(request, reference)
    form = CompanyMessageForm()
    if request.method == "POST":
        form = CompanyMessageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                consultation_company_message_add(
                    consultation=consultation,
                    body=form.cleaned_data["body"],
                    files=form.cleaned_data["attachments"],
                    actor=company_actor(consultation.contact_email),
                )
            except DomainError as error:
                error.add_to_form(form)
            else:
                messages.success(
                    request, _("メッセージを送信しました。担当者からの連絡をお待ちください。")
                )
                return redirect(consultation.get_portal_url())
    return render(
        request,
        "consultations/status.html",
        {
            "consultation": consultation,
            "thread": consultation_thread_for_company(consultation),
            "attachments": consultation_attachments_for_company(consultation),
            "form": form,
            "dispatch_url": _dispatch_url(consultation),
        },
    )


@login_not_required
@never_cache
def attachment_download(request, reference, pk):
    """Serve an attachment to someone allowed to see it, always as a download."""
    attachment = attachment_get_for(request, reference, pk)
    audit_record(
        actor=request.user
        if request.user.is_authenticated
        else company_actor("|".join(sorted(portal_emails(request)))),
        action="consultation.attachment.download",
        obj=attachment.consultation,
        changes={"attachment": attachment.pk},
    )
    try:
        handle = attachment.file.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.mime_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
