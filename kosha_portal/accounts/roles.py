"""The three staff-side roles and what each may do in the admin.

Patterns are ``app_label.*`` (every permission of the app), ``app_label.view_*`` or a full
``app_label.codename``. Domain apps add their entries here."""

from django.utils.translation import gettext_lazy as _

DESK_STAFF = "desk_staff"
EXPERTS = "experts"
ADMINISTRATORS = "administrators"

ROLE_LABELS = {
    DESK_STAFF: _("窓口担当（公社職員）"),
    EXPERTS: _("専門家"),
    ADMINISTRATORS: _("管理者"),
}

ROLE_PERMISSIONS = {
    DESK_STAFF: [
        "companies.*",
        "consultations.*",
        "dispatch.*",
        "seminars.*",
        "school.*",
        "announcements.*",
        "mail.view_*",
        "mail.change_outboundemail",
        "documents.view_*",
        "audit.view_*",
        "japan.*",
        "reports.*",
    ],
    EXPERTS: [],
    ADMINISTRATORS: ["*"],
}


def _matches(pattern: str, app_label: str, codename: str) -> bool:
    if pattern == "*":
        return True
    app, _, code = pattern.partition(".")
    if app != app_label:
        return False
    return (
        code == "*" or code == codename or (code.endswith("*") and codename.startswith(code[:-1]))
    )


def roles_sync(sender=None, **kwargs):
    """Create the groups and give each the permissions its patterns name (after every migrate)."""
    from django.contrib.auth.models import Group, Permission

    permissions = list(Permission.objects.select_related("content_type"))
    for name, patterns in ROLE_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        wanted = [
            p
            for p in permissions
            if any(_matches(pattern, p.content_type.app_label, p.codename) for pattern in patterns)
        ]
        group.permissions.set(wanted)


def user_has_role(user, role: str) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser and role == ADMINISTRATORS:
        return True
    return user.groups.filter(name=role).exists()
