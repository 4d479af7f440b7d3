"""The seminars section of the company contact's /my/ page."""

from django.utils.translation import gettext_lazy as _

from kosha_portal.accounts.services import portal_target_ids

from .models import Registration, Seminar


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
    sections = []
    for kind, title in (
        (Seminar.Kind.SEMINAR, _("セミナーのお申込み")),
        (Seminar.Kind.INFO_SESSION, _("説明会のお申込み")),
    ):
        items = [
            {"label": str(r.seminar), "url": r.get_portal_url(), "status": r.get_status_display()}
            for r in registrations
            if r.seminar.kind == kind
        ]
        if items:
            sections.append({"title": title, "items": items})
    return sections
