"""The dispatch section of the company's /my/ page."""

from django.utils.translation import gettext_lazy as _

from kosha_portal.accounts.services import portal_organisation_ids

from .models import Dispatch


def portal_sections(request) -> list[dict]:
    organisation_ids = portal_organisation_ids(request)
    if not organisation_ids:
        return []
    dispatches = (
        Dispatch.objects.filter(organisation_id__in=organisation_ids)
        .select_related("organisation", "program_year")
        .order_by("-applied_at")
    )
    items = [
        {
            "label": f"{d.reference} {d.program_year.label} {d.theme}",
            "url": d.get_portal_url(),
            "status": d.get_status_display(),
        }
        for d in dispatches
    ]
    return [{"title": _("専門家派遣"), "items": items}] if items else []
