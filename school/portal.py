"""The school's part of the company contact's /my/ page."""

from django.utils.translation import gettext as _

from .selectors import applications_for_portal


def portal_sections(request) -> list[dict]:
    applications = applications_for_portal(request)
    if not applications:
        return []
    return [
        {
            "title": _("サービス生産性革新スクール"),
            "items": [
                {
                    "label": f"{a.cohort.label} {a.organisation.name}",
                    "url": a.get_portal_url(),
                    "status": a.get_status_display(),
                }
                for a in applications
            ],
        }
    ]
