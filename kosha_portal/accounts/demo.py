"""Demo logins, one per role, marked as demo accounts.

Under DJANGO_DEBUG=true (a developer's machine, `scripts/run`) each gets a printed password and,
to pass the second factor, an authenticator key that is printed too (add it to an app, or run
`manage.py demo_code <user>`) plus ten recovery codes made afresh at every run. With DEBUG off
the demo accounts have no usable password and nothing secret is printed: an administrator
invites them like any other account."""

import base64
import binascii

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from .roles import ADMINISTRATORS, DESK_STAFF, roles_sync

DEMO_USERS = [
    # username, password, role, is_staff, is_superuser, family name, given name
    ("admin", "kosha-admin-2026", ADMINISTRATORS, True, True, "管理", "太郎"),
    ("desk", "kosha-desk-2026", DESK_STAFF, True, False, "窓口", "花子"),
]


def ensure_user(
    username, password, role, *, is_staff, is_superuser, last_name, first_name, email=""
):
    """The demo account (created once, marked as demo). Its password is set only under DEBUG;
    otherwise it is made unusable, also for an account an earlier DEBUG run created."""
    from .models import AccountProfile

    User = get_user_model()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={
            "is_staff": is_staff,
            "is_superuser": is_superuser,
            "last_name": last_name,
            "first_name": first_name,
            "email": email or f"{username}@example.jp",
        },
    )
    if settings.DEBUG:
        if created or not user.has_usable_password():
            user.set_password(password)
            user.save(update_fields=["password"])
    elif user.has_usable_password():
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=role))
    AccountProfile.objects.update_or_create(user=user, defaults={"is_demo": True})
    return user, created


def demo_second_factor(user) -> tuple[str, list[str]]:
    """Under DEBUG: the demo account's authenticator key (kept across runs) and fresh recovery
    codes."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from .services import recovery_codes_generate

    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="デモ用の認証アプリ", confirmed=True)
    key = base64.b32encode(binascii.unhexlify(device.key)).decode("ascii").rstrip("=")
    return key, recovery_codes_generate(user=user, actor="demo")


def demo_login_lines(user, role: str, password: str) -> list[str]:
    """What load_demo prints for a demo account: the password and the second factor under
    DEBUG, a note otherwise."""
    name = user.get_username()
    if not settings.DEBUG:
        return [f"  login ({role}): {name} (demo account; no password without DJANGO_DEBUG=true)"]
    key, codes = demo_second_factor(user)
    return [
        f"  login ({role}): {name} / {password}",
        f"    second factor: authenticator key {key} "
        f"(or `manage.py demo_code {name}`); recovery codes: {', '.join(codes)}",
    ]


def load(stdout):
    roles_sync()
    for username, password, role, is_staff, is_superuser, last, first in DEMO_USERS:
        user, _created = ensure_user(
            username,
            password,
            role,
            is_staff=is_staff,
            is_superuser=is_superuser,
            last_name=last,
            first_name=first,
        )
        for line in demo_login_lines(user, role, password):
            stdout.write(line)
