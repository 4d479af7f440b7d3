"""Deployment checks (``manage.py check --deploy``) for the login and proxy settings."""

from django.conf import settings
from django.core.checks import Error as CheckError
from django.core.checks import Warning as CheckWarning
from django.core.checks import register


@register(deploy=True)
def check_admin_path(app_configs, **kwargs):
    if settings.ADMIN_URL.strip("/") == "admin":
        return [
            CheckWarning(
                "The staff admin is served at the default path /admin/.",
                hint="Set DJANGO_ADMIN_URL to a less obvious path, e.g. kanri-<random>/ "
                "(see .env.example).",
                id="kosha.W001",
            )
        ]
    return []


@register(deploy=True)
def check_trusted_proxy(app_configs, **kwargs):
    proxied = getattr(settings, "SECURE_PROXY_SSL_HEADER", None)
    if proxied and not settings.TRUSTED_PROXY_NETWORKS and not settings.TRUSTED_PROXY_COUNT:
        return [
            CheckWarning(
                "The portal expects a TLS proxy (SECURE_PROXY_SSL_HEADER) but trusts none for "
                "the client address: every visitor would share the proxy's rate limits and "
                "lockouts.",
                hint="Set TRUSTED_PROXY_COUNT (e.g. 1) or TRUSTED_PROXY_NETWORKS "
                "(docs/architecture.md, 'Behind the proxy').",
                id="kosha.W002",
            )
        ]
    return []


@register()
def check_second_factor_middleware(app_configs, **kwargs):
    """Without these two, staff would reach everything with a password alone."""
    middleware = list(settings.MIDDLEWARE)
    otp = "django_otp.middleware.OTPMiddleware"
    gate = "kosha_portal.accounts.middleware.SecondFactorMiddleware"
    auth = "django.contrib.auth.middleware.AuthenticationMiddleware"
    if (
        gate not in middleware
        or otp not in middleware
        or auth not in middleware
        or not middleware.index(auth) < middleware.index(otp) < middleware.index(gate)
    ):
        return [
            CheckError(
                "The second factor is not enforced: MIDDLEWARE needs AuthenticationMiddleware, "
                "then django_otp's OTPMiddleware, then accounts' SecondFactorMiddleware.",
                id="kosha.E001",
            )
        ]
    return []
