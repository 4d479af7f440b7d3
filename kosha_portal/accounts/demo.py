"""Demo logins, one per role. Passwords are for local demos only and are printed on purpose."""

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
    if created:
        user.set_password(password)
        user.save()
    user.groups.add(Group.objects.get(name=role))
    return user, created


def load(stdout):
    roles_sync()
    for username, password, role, is_staff, is_superuser, last, first in DEMO_USERS:
        ensure_user(
            username,
            password,
            role,
            is_staff=is_staff,
            is_superuser=is_superuser,
            last_name=last,
            first_name=first,
        )
        stdout.write(f"  login ({role}): {username} / {password}")
