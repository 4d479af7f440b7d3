import importlib
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login as auth_login
from django.contrib.auth import logout
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from kosha_portal import clock
from kosha_portal.errors import DomainError
from kosha_portal.ratelimit import rate_limit_exceeded, rate_limited

from . import selectors
from .factors import factor_required, has_authenticator, totp_qr_svg, totp_secret
from .forms import (
    InvitationPasswordForm,
    LinkResendForm,
    ReauthForm,
    SecondFactorForm,
    StaffPasswordResetForm,
    StaffSetPasswordForm,
    TotpConfirmForm,
)
from .models import LoginSession, RecoveryCodeDevice, token_hash
from .roles import EXPERTS, user_has_role
from .services import (
    FRESH_CODES_KEY,
    REAUTH_AT_KEY,
    access_link_resolve,
    access_links_resend,
    invitation_accept,
    invitation_resolve,
    password_changed,
    portal_grant,
    portal_has_any,
    portal_leave,
    recovery_code_used,
    recovery_codes_generate,
    second_factor_check,
    second_factor_throttled,
    session_verify,
    totp_device_confirm,
    totp_device_remove,
    totp_device_start,
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


# --- the second factor ---------------------------------------------------------------------------


def _safe_next(request, default: str) -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def _start_page(request) -> str:
    return reverse("accounts:after_login")


@require_http_methods(["GET", "POST"])
def second_factor(request):
    """After the password: the code from the authenticator app (or a recovery code)."""
    user = request.user
    next_url = _safe_next(request, _start_page(request))
    if user.is_verified() or not factor_required(user):
        return redirect(next_url)
    if not has_authenticator(user):
        return redirect(f"{reverse('accounts:otp_setup')}?{urlencode({'next': next_url})}")
    form = SecondFactorForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if rate_limit_exceeded(
            scope="otp-verify",
            key=str(user.pk),
            limit=settings.OTP_VERIFY_RATE_LIMIT,
            window_seconds=900,
        ) or second_factor_throttled(user):
            form.add_error(
                "code", _("確認コードの誤りが続いたため、少し時間をおいてからお試しください。")
            )
        else:
            device = second_factor_check(user=user, code=form.cleaned_data["code"])
            if device is None:
                form.add_error("code", _("確認コードが正しくないか、すでに使われています。"))
            else:
                is_recovery = isinstance(device, RecoveryCodeDevice)
                session_verify(
                    request,
                    device,
                    factor=LoginSession.Factor.RECOVERY
                    if is_recovery
                    else LoginSession.Factor.TOTP,
                )
                if is_recovery:
                    recovery_code_used(user=user, device=device, request=request)
                    left = device.codes.count()
                    messages.warning(
                        request,
                        _(
                            "リカバリーコードでログインしました（残り%(left)s個）。"
                            "スマートフォンを紛失した場合は「セキュリティ設定」で認証アプリを登録し直してください。"
                        )
                        % {"left": left},
                    )
                return redirect(next_url)
    return render(request, "accounts/otp_verify.html", {"form": form, "next": next_url}, status=200)


@require_http_methods(["GET", "POST"])
def otp_setup(request):
    """Enrol an authenticator app: a QR code and the key as text, then a code to confirm. The
    first device needs no re-authentication (there is no factor yet); a further one does."""
    user = request.user
    next_url = _safe_next(request, reverse("accounts:security"))
    if not factor_required(user):
        raise Http404
    if has_authenticator(user):
        if not user.is_verified():
            return redirect(f"{reverse('accounts:otp_verify')}?{urlencode({'next': next_url})}")
        if not reauth_fresh(request):
            return _reauth_redirect(request)
    device = totp_device_start(user=user, request=request)
    form = TotpConfirmForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            codes = totp_device_confirm(
                device=device,
                code=form.cleaned_data["code"],
                name=form.cleaned_data["name"],
                request=request,
            )
        except DomainError as error:
            error.add_to_form(form)
        else:
            messages.success(request, _("認証アプリを登録しました。"))
            if codes:
                request.session[FRESH_CODES_KEY] = codes
                return redirect(
                    f"{reverse('accounts:recovery_codes')}?{urlencode({'next': next_url})}"
                )
            return redirect(next_url)
    return render(
        request,
        "accounts/otp_setup.html",
        {
            "form": form,
            "next": next_url,
            "qr_svg": mark_safe(totp_qr_svg(device)),  # noqa: S308 - SVG made by segno from our URL
            "secret": totp_secret(device),
            "issuer": settings.OTP_TOTP_ISSUER,
            "first": not has_authenticator(user),
        },
    )


def reauth_fresh(request) -> bool:
    stamp = request.session.get(REAUTH_AT_KEY)
    if not stamp:
        return False
    return clock.now().timestamp() - stamp <= settings.ACCOUNT_REAUTH_MINUTES * 60


def _reauth_redirect(request):
    target = request.get_full_path() if request.method == "GET" else reverse("accounts:security")
    return redirect(f"{reverse('accounts:reauth')}?{urlencode({'next': target})}")


@require_http_methods(["GET", "POST"])
def reauth(request):
    """The password and a code again, before the account's security changes."""
    user = request.user
    next_url = _safe_next(request, reverse("accounts:security"))
    form = ReauthForm(request.POST or None, user=user)
    if request.method == "POST":
        refused = rate_limited(request, scope="reauth", limit=10, window_seconds=900)
        if refused is not None:
            return refused
        if form.is_valid():
            is_recovery = isinstance(form.device, RecoveryCodeDevice)
            session_verify(
                request,
                form.device,
                factor=LoginSession.Factor.RECOVERY if is_recovery else LoginSession.Factor.TOTP,
            )
            if is_recovery:
                recovery_code_used(user=user, device=form.device, request=request)
            return redirect(next_url)
    return render(request, "accounts/reauth.html", {"form": form, "next": next_url})


def security(request):
    """The user's own account security: devices, recovery codes, recent logins and failures."""
    user = request.user
    if not factor_required(user) and not user.has_usable_password():
        raise Http404
    return render(request, "accounts/security.html", selectors.security_overview(user))


@require_http_methods(["GET", "POST"])
def device_remove(request, pk):
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(pk=pk, user=request.user, confirmed=True).first()
    if device is None:
        raise Http404
    if not reauth_fresh(request):
        return _reauth_redirect(request)
    if request.method == "POST":
        try:
            totp_device_remove(device=device, actor=request.user, request=request)
        except DomainError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("認証アプリ「%(name)s」を削除しました。") % {"name": device.name}
            )
        return redirect("accounts:security")
    return render(request, "accounts/device_remove.html", {"device": device})


@require_http_methods(["GET", "POST"])
def recovery_codes(request):
    """GET: the codes just made, shown once; POST: new codes (after re-authentication)."""
    next_url = _safe_next(request, reverse("accounts:security"))
    if request.method == "POST":
        if not reauth_fresh(request):
            return _reauth_redirect(request)
        request.session[FRESH_CODES_KEY] = recovery_codes_generate(
            user=request.user, actor=request.user
        )
        return redirect(f"{reverse('accounts:recovery_codes')}?{urlencode({'next': next_url})}")
    codes = request.session.pop(FRESH_CODES_KEY, None)
    if not codes:
        messages.info(
            request,
            _(
                "リカバリーコードは作成したときに一度だけ表示されます。必要な場合は新しく作成してください。"
            ),
        )
        return redirect("accounts:security")
    response = render(request, "accounts/recovery_codes.html", {"codes": codes, "next": next_url})
    response["Cache-Control"] = "no-store"
    return response


# --- invitations and password reset --------------------------------------------------------------


@login_not_required
@require_http_methods(["GET", "POST"])
def invitation_open(request, token):
    """The invitee sets a password; then the second-factor enrolment follows."""
    invitation = invitation_resolve(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    form = InvitationPasswordForm(invitation.user, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitation_accept(
                invitation=invitation, password=form.cleaned_data["new_password1"]
            )
        except DomainError as error:
            return render(
                request, "accounts/invitation_invalid.html", {"message": error.message}, status=404
            )
        if request.user.is_authenticated:
            logout(request)
        auth_login(request, user, backend="kosha_portal.accounts.backends.AccountBackend")
        messages.success(
            request,
            _("パスワードを設定しました。続けて、二段階認証の認証アプリを登録してください。"),
        )
        return redirect(
            f"{reverse('accounts:otp_setup')}?{urlencode({'next': _start_page(request)})}"
        )
    # The token is in the path: the site-wide Referrer-Policy (same-origin) keeps it from other
    # sites. (no-referrer would make Chromium send "Origin: null", which CSRF refuses.)
    return render(
        request,
        "accounts/invitation.html",
        {"form": form, "invited": invitation.user, "expires_at": invitation.expires_at},
    )


@method_decorator(login_not_required, name="dispatch")
class PasswordResetView(auth_views.PasswordResetView):
    template_name = "registration/password_reset_form.html"
    form_class = StaffPasswordResetForm
    success_url = reverse_lazy("accounts:password_reset_done")

    def post(self, request, *args, **kwargs):
        refused = rate_limited(
            request,
            scope="password-reset",
            limit=settings.PASSWORD_RESET_RATE_LIMIT,
            window_seconds=900,
        )
        if refused is not None:
            return refused
        return super().post(request, *args, **kwargs)

    def form_valid(self, form):
        # A per-address cap stops anyone from flooding a mailbox from many addresses; the answer
        # stays the same, so it reveals nothing either.
        email = form.cleaned_data["email"]
        if not rate_limit_exceeded(
            scope="password-reset-address",
            key=token_hash(email.lower()),
            limit=settings.PASSWORD_RESET_ADDRESS_RATE_LIMIT,
            window_seconds=3600,
        ):
            with transaction.atomic():
                form.save(request=self.request, use_https=self.request.is_secure())
        return redirect(self.get_success_url())


@method_decorator(login_not_required, name="dispatch")
class PasswordResetDoneView(auth_views.PasswordResetDoneView):
    template_name = "registration/password_reset_done.html"


@method_decorator(login_not_required, name="dispatch")
class PasswordResetConfirmView(auth_views.PasswordResetConfirmView):
    template_name = "registration/password_reset_confirm.html"
    form_class = StaffSetPasswordForm
    success_url = reverse_lazy("accounts:password_reset_complete")

    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed(user=form.user)
        return response


@method_decorator(login_not_required, name="dispatch")
class PasswordResetCompleteView(auth_views.PasswordResetCompleteView):
    template_name = "registration/password_reset_complete.html"


class PasswordChangeView(auth_views.PasswordChangeView):
    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("accounts:security")

    def get_form(self, form_class=None):
        form = super().get_form(form_class)
        form.fields["old_password"].label = _("現在のパスワード")
        form.fields["new_password1"].label = _("新しいパスワード")
        form.fields["new_password2"].label = _("新しいパスワード（確認）")
        return form

    def form_valid(self, form):
        response = super().form_valid(form)
        password_changed(user=form.user, request=self.request)
        messages.success(self.request, _("パスワードを変更しました。"))
        return response
