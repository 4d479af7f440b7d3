"""The dispatch section of the company's /my/ page."""

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from consultations.models import Consultation
from kosha_portal.accounts.services import portal_target_ids

from .models import Dispatch


def portal_sections(request) -> list[dict]:
    """Dispatches the visitor's links target, directly or through their consultation."""
    dispatch_ids = portal_target_ids(request, Dispatch)
    consultation_ids = portal_target_ids(request, Consultation)
    if not dispatch_ids and not consultation_ids:
        return []
    dispatches = (
        Dispatch.objects.filter(Q(pk__in=dispatch_ids) | Q(consultation_id__in=consultation_ids))
        .select_related("program_year")
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
