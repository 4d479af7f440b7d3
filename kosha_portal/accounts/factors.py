"""Who needs a second factor, which devices count, and how an authenticator app is set up.

Staff (desk officers) and administrators always need one; experts too unless
OTP_REQUIRED_FOR_EXPERTS is false. An authenticator device is a confirmed TOTP device; the
recovery codes are a fallback and never count as enrolment on their own."""

import base64
import binascii

import segno
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from .models import RecoveryCodeDevice
from .roles import ADMINISTRATORS, DESK_STAFF, EXPERTS

_ROLE_CACHE = "_kosha_factor_required"


def factor_required(user) -> bool:
    """True for a password account that must pass a second factor before reaching anything."""
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, _ROLE_CACHE, None)
    if cached is not None:
        return cached
    if user.is_staff or user.is_superuser:
        required = True
    else:
        roles = set(user.groups.values_list("name", flat=True))
        required = bool(roles & {DESK_STAFF, ADMINISTRATORS})
        if not required and settings.OTP_REQUIRED_FOR_EXPERTS:
            required = EXPERTS in roles or _has_expert_entry(user)
    setattr(user, _ROLE_CACHE, required)
    return required


def _has_expert_entry(user) -> bool:
    from .backends import _expert_relation, _has_related

    relation = _expert_relation()
    return relation is not None and _has_related(user, relation)


def authenticators(user):
    """The user's confirmed authenticator devices (TOTP), oldest first."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).order_by("created_at", "pk")


def has_authenticator(user) -> bool:
    return authenticators(user).exists()


def recovery_device(user) -> RecoveryCodeDevice | None:
    return RecoveryCodeDevice.objects.filter(user=user).order_by("pk").first()


def recovery_codes_left(user) -> int:
    device = recovery_device(user)
    return device.codes.count() if device else 0


def totp_secret(device: TOTPDevice) -> str:
    """The key as authenticator apps take it when typed in: base32, in groups of four."""
    secret = base64.b32encode(binascii.unhexlify(device.key)).decode("ascii").rstrip("=")
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))


def totp_qr_svg(device: TOTPDevice) -> str:
    """The otpauth:// URL as an inline SVG QR code (rendered here; no outside service sees it)."""
    from django.utils.translation import gettext

    qr = segno.make(device.config_url, error="m")
    return qr.svg_inline(
        scale=5, border=2, dark="#000", light="#fff", title=gettext("認証アプリ登録用のQRコード")
    )
