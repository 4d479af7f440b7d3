"""The dispatch program's PDFs: gather and freeze each report's data, then render in a task.

A visit report prints the 第N回 it was filed with (``Visit.report_number``) and the company's
confirmation (企業確認日, 企業確認待ち or 異議あり with its content); it is rendered again whenever
that state changes, and the newest rendering is the one served."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone
from django.utils.translation import gettext as _

from kosha_portal import clock
from kosha_portal.documents.models import GeneratedDocument
from kosha_portal.documents.services import document_request
from kosha_portal.japan.wareki import format_wareki

from .models import Dispatch, ProgramYear, Visit
from .selectors import dispatch_visits, visits_in_cap_scope

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
        # 作成日 is a document date, printed without the weekday (GLOSSARY: dates).
        "issued_on": format_wareki(clock.today(), weekday=False),
        "documents": dict(settings.DOCUMENTS),
    }


def _reporter(dispatch: Dispatch, submitted_at) -> dict:
    """The reporting expert as the report's signature block prints them."""
    expert = dispatch.expert
    return {
        "name": expert.name if expert else "",
        "qualifications": "、".join(expert.qualification_labels) if expert else "",
        "submitted_on": format_wareki(submitted_at, weekday=False) if submitted_at else "",
    }


def confirmation_state(visit: Visit) -> dict:
    """The company's confirmation of a visit's report, frozen for the PDFs: ``state`` is
    confirmed, disputed, pending or no_show."""
    if visit.status == Visit.Status.CONFIRMED:
        return {"state": "confirmed", "on": format_wareki(visit.confirmed_at), "comment": ""}
    if visit.status == Visit.Status.DISPUTED:
        return {"state": "disputed", "on": "", "comment": visit.dispute_comment}
    if visit.status == Visit.Status.NO_SHOW:
        return {"state": "no_show", "on": "", "comment": ""}
    return {"state": "pending", "on": "", "comment": ""}


def visit_report_context(visit: Visit) -> dict:
    dispatch = visit.dispatch
    return {
        **_common(dispatch),
        "visit": {
            "number": visit.report_number or visit.number,
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
        "confirmation": confirmation_state(visit),
        "reporter": _reporter(dispatch, visit.reported_at),
    }


def completion_report_context(dispatch: Dispatch) -> dict:
    """Every visit held (and every no-show) with its 第N回, date and confirmation state, and the
    visits used of the program year's cap."""
    visits = [v for v in dispatch_visits(dispatch) if v.status in Visit.DONE_STATUSES]
    used = visits_in_cap_scope(
        organisation=dispatch.organisation, program_year=dispatch.program_year
    ).count()
    override = None
    if dispatch.completion_override_at:
        override = {
            "on": format_wareki(dispatch.completion_override_at),
            "reason": dispatch.completion_override_reason,
        }
    return {
        **_common(dispatch),
        "completed_on": format_wareki(timezone.localtime(dispatch.completed_at)),
        "period_end": format_wareki(dispatch.program_year.dispatch_period_ends_on),
        "summary": dispatch.completion_summary,
        "outcomes": dispatch.completion_outcomes,
        "visit_count": len(visits),
        "cap_used": used,
        "cap": dispatch.program_year.visit_cap,
        "cap_scope": str(
            _("今年度")
            if dispatch.program_year.cap_scope == ProgramYear.CapScope.FISCAL_YEAR
            else _("通算")
        ),
        "override": override,
        "reporter": _reporter(dispatch, dispatch.completed_at),
        "visits": [
            {
                "number": v.number,
                "date": format_wareki(v.report_date or v.date),
                "time": f"{_time(v.report_start)}〜{_time(v.report_end)}" if v.report_start else "",
                "mode": str(v.get_mode_display()),
                "topics": v.topics,
                "confirmation": confirmation_state(v),
            }
            for v in visits
        ],
    }


def visit_report_pdf_request(*, visit: Visit, actor):
    number = visit.report_number or visit.number
    return document_request(
        kind=VISIT_REPORT_KIND,
        template="dispatch/pdf/visit_report.html",
        context=visit_report_context(visit),
        filename=f"実施報告書_{visit.dispatch.reference}_第{number}回.pdf",
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


def _documents(model, ids, kind: str):
    return GeneratedDocument.objects.filter(
        content_type=ContentType.objects.get_for_model(model),
        object_id__in=[str(pk) for pk in ids],
        kind=kind,
    )


def visit_documents(visits) -> dict[int, dict]:
    """Per visit id: ``ready`` (the newest rendered report, to serve) and ``pending`` (a newer
    rendering is on its way), for a whole list in one query."""
    visits = list(visits)
    newest, ready = {}, {}
    documents = (
        _documents(Visit, [v.pk for v in visits], VISIT_REPORT_KIND)
        .defer("context")
        .order_by("object_id", "-created_at", "-pk")
    )
    for document in documents:
        newest.setdefault(document.object_id, document)
        if document.status == GeneratedDocument.Status.READY:
            ready.setdefault(document.object_id, document)
    in_progress = (GeneratedDocument.Status.PENDING, GeneratedDocument.Status.RENDERING)
    return {
        visit.pk: {
            "ready": ready.get(str(visit.pk)),
            "pending": str(visit.pk) in newest and newest[str(visit.pk)].status in in_progress,
        }
        for visit in visits
    }


def visit_report_document(visit: Visit):
    """The newest rendered report of the visit, or None."""
    return visit_documents([visit])[visit.pk]["ready"]


def completion_report_document(dispatch: Dispatch):
    return (
        _documents(Dispatch, [dispatch.pk], COMPLETION_REPORT_KIND)
        .filter(status=GeneratedDocument.Status.READY)
        .order_by("-created_at", "-pk")
        .first()
    )


def completion_report_pending(dispatch: Dispatch) -> bool:
    return (
        _documents(Dispatch, [dispatch.pk], COMPLETION_REPORT_KIND)
        .filter(status__in=(GeneratedDocument.Status.PENDING, GeneratedDocument.Status.RENDERING))
        .exists()
    )
