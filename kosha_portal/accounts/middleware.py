"""Session limits for people who log in with a password (desk staff, administrators, experts).

Such a session ends after STAFF_SESSION_IDLE_MINUTES without a request and, whatever the activity,
SESSION_COOKIE_AGE after it began. Public visitors and personal-link sessions have no password
login and are not affected; a personal-link session ends with its links (see services)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from kosha_portal import clock

LOGIN_AT_KEY = "_kosha_login_at"
SEEN_AT_KEY = "_kosha_seen_at"
# The last-seen stamp is rewritten at most this often (seconds): one session write a minute for a
# busy officer instead of one per request. Idle is therefore measured to within this much.
SEEN_RESOLUTION_SECONDS = 60


def session_stamp_login(sender, request, user, **kwargs):
    """At each password login (user_logged_in): the absolute and idle limits start now."""
    if request is not None and hasattr(request, "session"):
        now = clock.now().timestamp()
        request.session[LOGIN_AT_KEY] = now
        request.session[SEEN_AT_KEY] = now


def _login_url(request) -> str:
    admin_prefix = "/" + settings.ADMIN_URL.lstrip("/")
    if request.path.startswith(admin_prefix):
        return reverse("admin:login")
    return reverse(settings.LOGIN_URL)


class StaffSessionTimeoutMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            expired = self._check(request)
            if expired is not None:
                return expired
        return self.get_response(request)

    def _check(self, request):
        session = request.session
        now = clock.now().timestamp()
        login_at = session.get(LOGIN_AT_KEY)
        seen_at = session.get(SEEN_AT_KEY)
        if login_at is None or seen_at is None:
            session[LOGIN_AT_KEY] = login_at if login_at is not None else now
            session[SEEN_AT_KEY] = now
            return None
        idle_limit = settings.STAFF_SESSION_IDLE_MINUTES * 60
        if now - seen_at > idle_limit:
            message = _(
                "%(minutes)s分以上操作がなかったため、安全のためログアウトしました。"
                "お手数ですが、もう一度ログインしてください。"
            ) % {"minutes": settings.STAFF_SESSION_IDLE_MINUTES}
        elif now - login_at > settings.SESSION_COOKIE_AGE:
            message = _(
                "ログインから%(hours)s時間が経過したため、安全のためログアウトしました。"
                "お手数ですが、もう一度ログインしてください。"
            ) % {"hours": f"{settings.SESSION_COOKIE_AGE / 3600:g}"}
        else:
            if now - seen_at >= SEEN_RESOLUTION_SECONDS:
                session[SEEN_AT_KEY] = now
            return None
        login_url = _login_url(request)
        logout(request)
        messages.info(request, message)
        next_url = request.get_full_path() if request.method == "GET" else ""
        return redirect_to_login(next_url, login_url) if next_url else redirect(login_url)


# --- the second factor ---------------------------------------------------------------------------

# What a session that passed the password but not yet the second factor may open: the factor's
# own pages, logging out, the language switch, the health check. Not even the public pages: some
# of them (an attachment, a PDF) also serve staff, whom they recognise by request.user.
UNVERIFIED_ALLOWED = {
    "healthz",
    "accounts:otp_verify",
    "accounts:otp_setup",
    "accounts:logout",
    "admin:logout",
    "set_language",
    "javascript-catalog",
}


class SecondFactorMiddleware:
    """Staff, administrators and (by default) experts reach nothing but the second-factor pages
    until their session has passed it: every other page, the admin site's included, sends them
    to the code page, or to the enrolment of an authenticator app when they have none yet.

    It also keeps the login index (LoginSession) pointing at the session when its key changes."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and session.accessed:
            from .services import LOGIN_SESSION_KEY, login_session_follow_key

            if (
                session.get(LOGIN_SESSION_KEY)
                and request.COOKIES.get(settings.SESSION_COOKIE_NAME) != session.session_key
            ):
                login_session_follow_key(request)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        from .factors import factor_required, has_authenticator

        user = request.user
        if not user.is_authenticated or not factor_required(user) or user.is_verified():
            return None
        match = request.resolver_match
        name = match.view_name if match else ""
        if name in UNVERIFIED_ALLOWED:
            return None
        if name == "admin:login":
            next_url = request.GET.get("next") or reverse("admin:index")
        elif request.method == "GET":
            next_url = request.get_full_path()
        else:
            next_url = ""
        step = "accounts:otp_verify" if has_authenticator(user) else "accounts:otp_setup"
        if next_url:
            return redirect_to_login(next_url, reverse(step))
        return redirect(step)
