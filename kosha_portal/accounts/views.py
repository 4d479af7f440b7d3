import importlib

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kosha_portal.ratelimit import rate_limit_exceeded, rate_limited

from .forms import LinkResendForm
from .models import token_hash
from .roles import EXPERTS, user_has_role
from .services import (
    access_link_resolve,
    access_links_resend,
    portal_grant,
    portal_has_any,
    portal_leave,
)

PORTAL_APPS = ("consultations", "dispatch", "seminars", "school")


def locked_out(request, original_response=None, credentials=None):
    """django-axes' lockout answer (AXES_LOCKOUT_CALLABLE): how long, and whom to call."""
    from axes.helpers import get_cool_off

    cool_off = get_cool_off(request)
    minutes = max(1, round(cool_off.total_seconds() / 60)) if cool_off else None
    response = render(
        request,
        "accounts/locked_out.html",
        {"cooloff_minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
    if cool_off:
        response["Retry-After"] = str(int(cool_off.total_seconds()))
    return response


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True


def after_login(request):
    """Send each role to its own start page."""
    if request.user.is_staff:
        return redirect("admin:index")
    if user_has_role(request.user, EXPERTS):
        try:
            return redirect(reverse("dispatch:expert_home"))
        except NoReverseMatch:
            pass
    return redirect("home")


@login_not_required
def access_link_open(request, token):
    link = access_link_resolve(token)
    if link is None:
        return render(request, "accounts/link_invalid.html", status=404)
    portal_grant(request, link)
    target = link.target if link.content_type_id else None
    url = getattr(target, "get_portal_url", None)
    return redirect(url() if url else "accounts:my_page")


@login_not_required
def my_page(request):
    """The company contact's page: everything their links cover."""
    if not portal_has_any(request):
        return redirect("accounts:link_resend")
    sections = []
    for app in PORTAL_APPS:
        try:
            module = importlib.import_module(f"{app}.portal")
        except ModuleNotFoundError:
            continue
        sections.extend(module.portal_sections(request))
    return render(request, "accounts/my_page.html", {"sections": sections})


@login_not_required
@require_http_methods(["POST"])
def portal_logout(request):
    portal_leave(request)
    messages.info(request, _("個人用リンクでのアクセスを終了しました。"))
    return redirect("home")


@login_not_required
def link_resend(request):
    """Send fresh personal links; the answer never reveals whether the address is known."""
    form = LinkResendForm(request.POST or None)
    if request.method == "POST":
        refused = rate_limited(request, scope="link-resend", limit=10, window_seconds=600)
        if refused is not None:
            return refused
        if form.is_valid():
            email = form.cleaned_data["email"]
            # A per-address cap stops anyone from flooding a mailbox from many IPs; the answer
            # stays the same, so it reveals nothing either.
            if not rate_limit_exceeded(
                scope="link-resend-address", key=token_hash(email), limit=3, window_seconds=3600
            ):
                access_links_resend(email=email)
            return render(request, "accounts/link_resend_done.html")
    return render(request, "accounts/link_resend.html", {"form": form})
