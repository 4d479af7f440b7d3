"""Second-factor helpers for the tests (see tests/conftest.py).

The portal requires a second factor of staff, administrators and experts. In the tests,
``client.force_login(user)`` stands for a complete login, password and second factor: it logs
the user in and marks the session verified with a confirmed authenticator device (made for the
user when they have none). ``password_only_login(client, user)`` is a session that passed the
password but not the second factor, which is what tests of the requirement need."""

import time

from django.test.client import ClientMixin
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

_django_force_login = ClientMixin.force_login
TEST_DEVICE_NAME = "テスト用の認証アプリ"


def authenticator_for(user) -> TOTPDevice:
    """The user's first confirmed authenticator device, made when there is none."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name=TEST_DEVICE_NAME, confirmed=True)


def totp_now(device: TOTPDevice, *, offset_steps: int = 0) -> str:
    """The code the authenticator app shows now (computed from the device's key)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time() + offset_steps * device.step
    return f"{totp.token():0{device.digits}d}"


def mark_session_verified(client, user, device=None) -> TOTPDevice:
    device = device or authenticator_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


def password_only_login(client, user, backend=None) -> None:
    """A session that passed the password but not the second factor."""
    _django_force_login(client, user, backend)


def verified_force_login(client, user, backend=None) -> None:
    """force_login in the tests: a complete login (password and second factor)."""
    from kosha_portal.accounts.factors import factor_required

    _django_force_login(client, user, backend)
    user.__dict__.pop("_kosha_factor_required", None)
    if factor_required(user):
        mark_session_verified(client, user)
