"""Reads for the account pages and the admin: devices, logins, failed attempts."""

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Q, Subquery, Sum
from django_otp.plugins.otp_totp.models import TOTPDevice

from .factors import factor_required
from .models import LoginSession, RecoveryCode

RECENT = 10


def failed_logins_for(user, limit: int = RECENT):
    """The latest failed password attempts under the user's name (django-axes' log)."""
    from axes.models import AccessFailureLog

    return AccessFailureLog.objects.filter(username=user.get_username()).order_by("-attempt_time")[
        :limit
    ]


def recent_logins_for(user, limit: int = RECENT):
    return LoginSession.objects.filter(user=user).order_by("-started_at", "-pk")[:limit]


def security_overview(user) -> dict:
    """What the user's security page shows."""
    devices = list(
        TOTPDevice.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")
    )
    return {
        "devices": devices,
        "factor_required": factor_required(user),
        "recovery_left": RecoveryCode.objects.filter(device__user=user).count(),
        "logins": list(recent_logins_for(user)),
        "failures": list(failed_logins_for(user)),
    }


def accounts_for_admin(queryset):
    """The admin's account list with its devices and failed attempts in the same query."""
    from axes.models import AccessAttempt

    failures = (
        AccessAttempt.objects.filter(username=OuterRef("username"))
        .values("username")
        .annotate(total=Sum("failures_since_start"))
        .values("total")[:1]
    )
    return queryset.annotate(
        device_count=Count("totpdevice", filter=Q(totpdevice__confirmed=True), distinct=True),
        failures_now=Subquery(failures),
    )


def user_by_pk(pk):
    return get_user_model().objects.filter(pk=pk).first()
