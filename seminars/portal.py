"""The seminars section of the company contact's /my/ page."""

from django.utils.translation import gettext_lazy as _

from kosha_portal.accounts.services import portal_can_access, portal_emails

from .models import Registration


def portal_sections(request) -> list[dict]:
    emails = portal_emails(request)
    if not emails:
        return []
    candidates = (
        Registration.objects.filter(email__in=emails)
        .select_related("seminar")
        .order_by("-seminar__starts_at", "-pk")[:50]
    )
    items = [
        {"label": str(r.seminar), "url": r.get_portal_url(), "status": r.get_status_display()}
        for r in candidates
        if portal_can_access(request, r)
    ]
    return [{"title": _("セミナーのお申込み"), "items": items}] if items else []
