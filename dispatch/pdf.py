"""The dispatch program's PDFs: gather and freeze each report's data, then render in a task."""

from django.conf import settings
from django.utils import timezone

from kosha_portal import clock
from kosha_portal.documents.services import document_request, latest_ready_document
from kosha_portal.japan.wareki import format_wareki

from .models import Dispatch, Visit

VISIT_REPORT_KIND = "dispatch.visit_report"
COMPLETION_REPORT_KIND = "dispatch.completion_report"


def _time(value) -> str:
    return value.strftime("%H:%M") if value else ""


def _common(dispatch: Dispatch) -> dict:
    organisation = dispatch.organisation
    expert = dispatch.expert
    return {
        "program": dict(settings.PROGRAM),
        "program_year": dispatch.program_year.label,
        "reference": dispatch.reference,
        "decision_number": dispatch.decision_number,
        "decision_date": format_wareki(dispatch.decision_date) if dispatch.decision_date else "",
        "company": {
            "name": organisation.name,
            "address": organisation.full_address,
            "representative": organisation.representative,
        },
        "contact_name": dispatch.contact_name,
        "theme": dispatch.theme,
        "expert": {
            "name": expert.name if expert else "",
            "qualifications": "、".join(expert.qualification_labels) if expert else "",
        },
        "issued_on": format_wareki(clock.today()),
    }


def visit_report_context(visit: Visit) -> dict:
    dispatch = visit.dispatch
    return {
        **_common(dispatch),
        "visit": {
            "number": visit.number,
            "cap": dispatch.program_year.visit_cap,
            "date": format_wareki(visit.report_date or visit.date),
            "start": _time(visit.report_start),
            "end": _time(visit.report_end),
            "mode": str(visit.get_mode_display()),
            "place": visit.place or visit.online_url,
            "attendees": visit.attendees,
            "topics": visit.topics,
            "advice": visit.advice,
            "next_steps": visit.next_steps,
        },
    }


def completion_report_context(dispatch: Dispatch) -> dict:
    visits = [v for v in dispatch.visits.order_by("number") if v.status in Visit.DONE_STATUSES]
    return {
        **_common(dispatch),
        "completed_on": format_wareki(timezone.localtime(dispatch.completed_at)),
        "period_end": format_wareki(dispatch.program_year.dispatch_period_ends_on),
        "summary": dispatch.completion_summary,
        "outcomes": dispatch.completion_outcomes,
        "visits": [
            {
                "number": v.number,
                "date": format_wareki(v.report_date or v.date),
                "time": f"{_time(v.report_start)}〜{_time(v.report_end)}" if v.report_start else "",
                "mode": str(v.get_mode_display()),
                "status": str(v.get_status_display()),
                "topics": v.topics,
            }
            for v in visits
        ],
    }


def visit_report_pdf_request(*, visit: Visit, actor):
    return document_request(
        kind=VISIT_REPORT_KIND,
        template="dispatch/pdf/visit_report.html",
        context=visit_report_context(visit),
        filename=f"実施報告書_{visit.dispatch.reference}_第{visit.number}回.pdf",
        related=visit,
        actor=actor,
    )


def completion_report_pdf_request(*, dispatch: Dispatch, actor):
    return document_request(
        kind=COMPLETION_REPORT_KIND,
        template="dispatch/pdf/completion_report.html",
        context=completion_report_context(dispatch),
        filename=f"派遣完了報告書_{dispatch.reference}.pdf",
        related=dispatch,
        actor=actor,
    )


def visit_report_document(visit: Visit):
    return latest_ready_document(visit, kind=VISIT_REPORT_KIND)


def completion_report_document(dispatch: Dispatch):
    return latest_ready_document(dispatch, kind=COMPLETION_REPORT_KIND)
