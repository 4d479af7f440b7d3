"""The consultation desk's part of the company contact's /my/ page."""

from django.utils.translation import gettext as _

from kosha_portal.japan.wareki import format_date

from .selectors import consultations_for_portal


def portal_sections(request) -> list[dict]:
    consultations = list(consultations_for_portal(request)[:50])
    if not consultations:
        return []
    return [
        {
            "title": _("特別相談窓口へのご相談"),
            "items": [
                {
                    "label": _("相談番号 %(reference)s（%(date)s 受付）")
                    % {
                        "reference": c.reference,
                        "date": format_date(c.received_at),
                    },
                    "url": c.get_portal_url(),
                    "status": c.get_status_display(),
                }
                for c in consultations
            ],
        }
    ]
