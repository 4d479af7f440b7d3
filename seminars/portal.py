"""The seminars section of the company contact's /my/ page."""

from django.utils.translation import gettext_lazy as _

from kosha_portal.accounts.services import portal_target_ids

from .models import Registration


def portal_sections(request) -> list[dict]:
    """Registrations the visitor's links target."""
    ids = portal_target_ids(request, Registration)
    if not ids:
        return []
    registrations = (
        Registration.objects.filter(pk__in=ids)
        .select_related("seminar")
        .order_by("-seminar__starts_at", "-pk")[:50]
    )
    items = [
        {"label": str(r.seminar), "url": r.get_portal_url(), "status": r.get_status_display()}
        for r in registrations
    ]
    return [{"title": _("セミナーのお申込み"), "items": items}] if items else []
