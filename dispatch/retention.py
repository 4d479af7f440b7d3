"""The expert dispatch's part of the retention sweep.

A dispatch that ended (closed, completion report without survey, not selected, withdrawn,
expired) keeps its personal data for RETENTION_DISPATCH_YEARS fiscal years after the fiscal year
it ended in. Anonymising keeps what backs the payments to the expert and the annual figures — the
reference, program year, company link, decision, expert, and each visit's number, date, times,
mode and status — and drops the contact, every free text, the survey comment and the PDFs."""

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock
from kosha_portal.audit.services import audit_record
from kosha_portal.workflow import transition, transition_many

from .models import Dispatch, Survey, Visit

Status = Dispatch.Status
ENDED = {
    Status.CLOSED: "closed_at",
    Status.COMPLETED: "completed_at",
    Status.REJECTED: "rejected_at",
    Status.WITHDRAWN: "withdrawn_at",
    Status.EXPIRED: "expired_at",
}
VISIT_TEXTS = ("place", "online_url", "attendees", "topics", "advice", "next_steps")


def dispatches_due(now):
    from kosha_portal.retention import fiscal_cutoff

    cutoff = fiscal_cutoff(settings.RETENTION_DISPATCH_YEARS, now=now)
    condition = Q()
    for status, field in ENDED.items():
        condition |= Q(status=status, **{f"{field}__lt": cutoff})
    return Dispatch.objects.filter(anonymised_at__isnull=True).filter(condition)


def dispatch_anonymise(*, dispatch: Dispatch, actor, now=None, on_request: bool = False):
    """Erase a dispatch's personal data (see the module docstring). A deletion request
    (``on_request``) on a dispatch still open withdraws it first and cancels its scheduled
    visits; the expert is then told by the desk, not by a mail that would hold the data again."""
    from kosha_portal.retention import ERASED, ERASURE_REASON, record_forget

    now = now or clock.now()
    with transaction.atomic():
        locked = Dispatch.objects.select_for_update().get(pk=dispatch.pk)
        if locked.anonymised_at:
            return locked
        if locked.status not in ENDED:
            if not on_request:
                return locked
            transition_many(
                locked.visits.all(),
                Visit.Status.CANCELLED,
                actor=actor,
                reason=ERASURE_REASON,
                at=now,
                action="visit.cancel",
            )
            transition(
                locked,
                Status.WITHDRAWN,
                actor=actor,
                reason=ERASURE_REASON,
                at=now,
                action="dispatch.withdraw",
                changes={"basis": "request"},
            )
        locked.contact_name = ERASED
        locked.contact_email = ""
        for field in (
            "theme",
            "goals",
            "preferred_dates",
            "rejection_reason",
            "completion_summary",
            "completion_outcomes",
        ):
            setattr(locked, field, "")
        # The rules' explanations quote the company's address and figures; which rule passed stays.
        snapshot = dict(locked.eligibility_snapshot or {})
        snapshot["warnings"] = []
        snapshot["rules"] = [
            {**rule, "explanation": ""}
            for rule in snapshot.get("rules", [])
            if isinstance(rule, dict)
        ]
        locked.eligibility_snapshot = snapshot
        locked.anonymised_at = now
        locked.save()
        visits = list(locked.visits.all())
        locked.visits.update(dispute_comment="", **dict.fromkeys(VISIT_TEXTS, ""))
        Survey.objects.filter(dispatch=locked).update(comment="")
        forgotten = record_forget([locked], now=now)
        if visits:
            record_forget(visits, now=now)
        audit_record(
            actor=actor,
            action="dispatch.anonymise",
            obj=locked,
            changes={
                "visits": len(visits),
                "basis": "request" if on_request else "retention",
                **forgotten,
            },
        )
        return locked


def _due(now, limit):
    return dispatches_due(now).order_by("pk").values_list("pk", flat=True)[:limit]


def _handle(pk, now):
    dispatch = Dispatch.objects.filter(pk=pk, anonymised_at__isnull=True).first()
    if dispatch is None:
        return 0
    dispatch_anonymise(dispatch=dispatch, actor=None, now=now)
    return 1


def _parts():
    from kosha_portal.retention import RetentionPart

    return [RetentionPart("dispatches", _("専門家派遣"), due=_due, handle=_handle)]


PARTS = _parts()
