"""The one retention sweep (APPI: personal data is kept no longer than needed; the policy, its
periods and what survives anonymisation are in docs/privacy.md).

Each app contributes its part in ``<app>/retention.py`` as a list ``PARTS`` of ``RetentionPart``:
a name, a function giving the ids due at ``now`` and a function that handles one record. The
sweep runs the parts in order (records first, then the organisations they freed, the mail, links
and documents, then the logs and the private files folder), each record in its own short
transaction and at most ``RETENTION_BATCH_SIZE`` ids per query, and audits each run with the
count per kind. A record once handled is no longer due, so running the sweep twice does nothing
the second time. Time comes from ``kosha_portal.clock`` or the ``now`` argument.

``record_forget`` is what every anonymisation calls for the traces a record leaves elsewhere:
its outbox mail, its personal links, its PDFs and its free texts in the audit trail."""

import datetime
import importlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext_noop

from kosha_portal import clock
from kosha_portal.japan.deadlines import JST
from kosha_portal.japan.fiscal import fiscal_year_of

logger = logging.getLogger(__name__)

# Order matters: an organisation is freed once its records are anonymised; mail, links and PDFs
# of those records are dropped with them; logs and files last.
PART_MODULES = [
    "consultations.retention",
    "dispatch.retention",
    "seminars.retention",
    "school.retention",
    "announcements.retention",
    "companies.retention",
    "kosha_portal.mail.retention",
    "kosha_portal.accounts.retention",
    "kosha_portal.documents.retention",
    "kosha_portal.privacy.retention",
    "kosha_portal.audit.retention",
    "kosha_portal.files_retention",
]

ERASED = "（消去済み）"
# The reason recorded for a move that an erasure request makes (a withdrawal, a cancellation).
ERASURE_REASON = gettext_noop("ご本人からの個人情報の削除請求による")


@dataclass(frozen=True)
class RetentionPart:
    """One kind of record the sweep handles.

    ``due(now, limit)`` returns up to ``limit`` primary keys past their period; ``handle(pk, now)``
    anonymises or deletes one of them (in its own transaction) and returns how many rows it
    changed (0 when another run got there first). A part that works on whole sets at once gives
    ``bulk(now, limit)`` instead, returning how many rows it handled (0 when done)."""

    name: str
    label: str
    due: Callable | None = None
    handle: Callable | None = None
    bulk: Callable | None = None
    once: bool = False  # ``bulk`` handles everything in one call (a walk of the files folder)


def fiscal_cutoff(years: int, *, now: datetime.datetime | None = None) -> datetime.datetime:
    """The instant before which a record's end must lie for ``years`` whole fiscal years to have
    passed since the end of its fiscal year: the start (1 April, JST) of fiscal year
    ``current - years``. With 5 years on 2026-12-01, a case closed in FY2020 (before 2021-04-01)
    is due; one closed on 2021-04-01 waits until 2027-04-01."""
    today = (now or clock.now()).astimezone(JST).date()
    return datetime.datetime(fiscal_year_of(today) - years, 4, 1, tzinfo=JST)


def days_cutoff(days: int, *, now: datetime.datetime | None = None) -> datetime.datetime:
    return (now or clock.now()) - datetime.timedelta(days=days)


def parts() -> list[RetentionPart]:
    found = []
    for name in PART_MODULES:
        found.extend(importlib.import_module(name).PARTS)
    return found


def record_forget(records: Iterable, *, now: datetime.datetime | None = None) -> dict:
    """Drop what ``records`` (of one model, being anonymised or erased) left elsewhere: their
    outbox mail (content erased, pending mail cancelled), their personal links (deleted), their
    generated PDFs (file and frozen data deleted) and their free texts in the audit trail. Call it
    inside the anonymising transaction."""
    from kosha_portal.accounts.retention import access_links_delete_for
    from kosha_portal.audit.services import audit_forget
    from kosha_portal.documents.retention import documents_delete_for
    from kosha_portal.mail.retention import outbox_erase_for

    records = list(records)
    if not records:
        return {}
    return {
        "mail": outbox_erase_for(records, now=now),
        "links": access_links_delete_for(records),
        "documents": documents_delete_for(records),
        "audit": audit_forget(records),
    }


def _run_part(part: RetentionPart, *, now, batch_size: int, max_batches: int) -> int:
    handled = 0
    for _batch in range(max_batches):
        if part.bulk is not None:
            done = part.bulk(now, batch_size)
            handled += done
            if part.once or done < batch_size:
                break
            continue
        ids = list(part.due(now, batch_size))
        if not ids:
            break
        for pk in ids:
            try:
                handled += part.handle(pk, now) or 0
            except Exception:  # one broken record must not stop the whole sweep
                logger.exception("retention: %s %s could not be handled", part.name, pk)
        if len(ids) < batch_size:
            break
    return handled


def retention_sweep(
    *, now: datetime.datetime | None = None, actor=None, max_batches: int = 1000
) -> dict[str, int]:
    """Apply the retention policy to every table and the private files folder; returns (and
    audits) how many records of each kind were anonymised or deleted. Safe to run twice."""
    from kosha_portal.audit.services import audit_record

    now = now or clock.now()
    batch_size = max(1, settings.RETENTION_BATCH_SIZE)
    counts: dict[str, int] = {}
    for part in parts():
        counts[part.name] = _run_part(part, now=now, batch_size=batch_size, max_batches=max_batches)
    with transaction.atomic():
        audit_record(
            actor=actor,
            action="retention.sweep",
            changes={"counts": counts, "at": now.isoformat()},
        )
    logger.info("retention sweep: %s", {k: v for k, v in counts.items() if v})
    return counts
