"""Every write of the school app: cohorts, applications and selection, roster import, attendance,
coaching visits and completion certificates."""

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Max, Q
from django.utils.translation import gettext as _

from companies.services import organisation_find_or_create
from kosha_portal import clock
from kosha_portal.accounts.services import access_link_issue, access_link_url
from kosha_portal.audit.services import audit_record
from kosha_portal.documents.services import document_request
from kosha_portal.errors import DomainError
from kosha_portal.mail.services import current_language, email_enqueue
from kosha_portal.workflow import transition, transition_check

from .models import (
    Application,
    Attendance,
    Certificate,
    CoachingVisit,
    Cohort,
    CurriculumSession,
    Participant,
)
from .selectors import (
    attendance_summary,
    attendance_summary_for,
    info_sessions_attendable,
    participants_with_document,
    roster_rows,
)


class RosterImportError(DomainError):
    """The import file had bad rows; ``errors`` lists (row number, reason) and nothing was saved."""

    def __init__(self, errors: list[tuple[int, str]]):
        super().__init__(
            _("取り込めない行があったため、1件も取り込んでいません。"),
            code="import_rows",
            field="file",
        )
        self.errors = errors


# --- cohort workflow ----------------------------------------------------------------------------


def _cohort_transition(*, cohort: Cohort, to: str, actor) -> Cohort:
    with transaction.atomic():
        cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
        transition(cohort, to, actor=actor, action=f"school.cohort.{to}")
        return cohort


def cohort_open_recruiting(*, cohort: Cohort, actor) -> Cohort:
    """Open the cohort for applications (募集開始)."""
    return _cohort_transition(cohort=cohort, to=Cohort.Status.RECRUITING, actor=actor)


def cohort_start(*, cohort: Cohort, actor) -> Cohort:
    """Start the course (開講)."""
    return _cohort_transition(cohort=cohort, to=Cohort.Status.IN_PROGRESS, actor=actor)


def cohort_finish(*, cohort: Cohort, actor) -> Cohort:
    """Close the course (修了)."""
    return _cohort_transition(cohort=cohort, to=Cohort.Status.FINISHED, actor=actor)


# --- applications -------------------------------------------------------------------------------


def _check_accepting(cohort: Cohort, today: datetime.date) -> None:
    if cohort.status != Cohort.Status.RECRUITING:
        raise DomainError(_("この期は現在お申込みを受け付けていません。"), code="closed")
    if cohort.application_opens_on and today < cohort.application_opens_on:
        raise DomainError(_("お申込みの受付開始前です。"), code="not_open")
    if cohort.application_closes_on and today > cohort.application_closes_on:
        raise DomainError(_("お申込みの受付期間は終了しました。"), code="closed")


def application_submit(
    *,
    cohort: Cohort,
    organisation_data: dict,
    contact: dict,
    participants: list[dict],
    concerns: list[str],
    concerns_other: str,
    actor,
    info_session=None,
) -> Application:
    """A company applies for a cohort; it receives a confirmation email with its personal link.
    ``info_session`` is the cohort's 説明会 the applicant says they attended (optional)."""
    participants = [p for p in participants if p.get("name")]
    today = clock.today()
    with transaction.atomic():
        cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
        _check_accepting(cohort, today)
        if not 1 <= len(participants) <= cohort.max_participants_per_company:
            raise DomainError(
                _("参加者は1名以上%(max)s名以下でご登録ください。")
                % {"max": cohort.max_participants_per_company},
                code="participants",
            )
        organisation = organisation_find_or_create(data=organisation_data, actor=actor)
        if (
            cohort.applications.filter(organisation=organisation)
            .exclude(status=Application.Status.DECLINED)
            .exists()
        ):
            raise DomainError(
                _(
                    "この事業者様からは、すでにこの期へのお申込みをいただいています。"
                    "お申込み内容はお送りしたメールのリンクからご確認いただけます。"
                ),
                code="duplicate",
                field="org_corporate_number",
            )
        if (
            info_session is not None
            and not info_sessions_attendable(cohort).filter(pk=info_session.pk).exists()
        ):
            raise DomainError(
                _("選択された説明会は、この期の説明会ではありません。"),
                code="info_session",
                field="info_session",
            )
        valid = {c.value for c in Application.Concern}
        application = Application.objects.create(
            info_session=info_session,
            cohort=cohort,
            organisation=organisation,
            main_business=organisation_data.get("main_business") or organisation.main_business,
            contact_name=contact["name"],
            contact_name_kana=contact.get("name_kana", ""),
            contact_email=contact["email"],
            contact_phone=contact.get("phone", ""),
            concerns=[c for c in concerns if c in valid],
            concerns_other=concerns_other or "",
            consent_version=settings.PRIVACY_NOTICE_VERSION,
            language=current_language(),
        )
        for position, data in enumerate(participants, start=1):
            Participant.objects.create(
                application=application,
                position=position,
                name=data["name"],
                name_kana=data.get("name_kana", ""),
                department=data.get("department", ""),
                role=data.get("role", ""),
                email=data.get("email", ""),
            )
        audit_record(
            actor=actor,
            action="school.application.submit",
            obj=application,
            changes={
                "participants": len(participants),
                **({"info_session": info_session.pk} if info_session else {}),
            },
        )
        _link, token = access_link_issue(
            email=application.contact_email, organisation=organisation, target=application
        )
        email_enqueue(
            to=application.contact_email,
            language=application.language,
            template="school/emails/application_received",
            context=_email_context(application, portal_url=access_link_url(token)),
            related=application,
        )
        return application


def _email_context(application: Application, **extra) -> dict:
    cohort = application.cohort
    return {
        "contact_name": application.contact_name,
        "organisation_name": application.organisation.name,
        "cohort_label": cohort.label,
        "cohort_title": cohort.title,
        "start_date": cohort.start_date,
        "end_date": cohort.end_date,
        "venue": cohort.venue,
        "participants": [p.name for p in application.participants.all()],
        "status_label": str(application.get_status_display()),
        **extra,
    }


def _application_transition(
    *, application: Application, to: str, actor, note: str = "", reason: str = ""
) -> Application:
    with transaction.atomic():
        # The cohort row is the lock that serialises every acceptance: the seat count and the
        # next roster number are read and written under it.
        cohort = Cohort.objects.select_for_update().get(pk=application.cohort_id)
        application = Application.objects.select_for_update().get(pk=application.pk)
        transition_check(application, to, reason=reason)
        if to == Application.Status.ACCEPTED:
            accepted = cohort.applications.filter(status=Application.Status.ACCEPTED)
            if accepted.count() >= cohort.capacity:
                raise DomainError(
                    _(
                        "定員（%(capacity)s社）に達しているため、受講決定できません。"
                        "補欠として登録してください。"
                    )
                    % {"capacity": cohort.capacity},
                    code="capacity",
                )
            application.roster_number = (accepted.aggregate(m=Max("roster_number"))["m"] or 0) + 1
            template = "school/emails/application_accepted"
        elif to == Application.Status.WAITING:
            template = "school/emails/application_waiting"
        elif application.status == Application.Status.ACCEPTED:
            # The company drops out after acceptance: its seat and roster line are freed.
            if Certificate.objects.filter(participant__application=application).exists():
                raise DomainError(
                    _("修了証を交付済みの参加者がいるため、見送りにはできません。"),
                    code="certified",
                )
            application.roster_number = None
            template = "school/emails/application_withdrawn"
        else:
            template = "school/emails/application_declined"
        if note:
            application.decision_note = note
        transition(application, to, actor=actor, reason=reason, action=f"school.application.{to}")
        email_enqueue(
            to=application.contact_email,
            language=application.language,
            template=template,
            context=_email_context(application),
            related=application,
        )
        return application


def application_accept(*, application: Application, actor, note: str = "") -> Application:
    """受講決定: takes a seat (up to the cohort's capacity) and a roster number."""
    return _application_transition(
        application=application, to=Application.Status.ACCEPTED, actor=actor, note=note
    )


def application_waitlist(*, application: Application, actor, note: str = "") -> Application:
    """補欠: the company waits for a seat."""
    return _application_transition(
        application=application, to=Application.Status.WAITING, actor=actor, note=note
    )


def application_decline(
    *, application: Application, actor, note: str = "", reason: str = ""
) -> Application:
    """見送り; after acceptance (the company drops out) it needs a reason and frees the seat."""
    return _application_transition(
        application=application,
        to=Application.Status.DECLINED,
        actor=actor,
        note=note,
        reason=reason,
    )


# --- roster import ------------------------------------------------------------------------------


def roster_import(*, cohort: Cohort, rows: list[dict], actor) -> list[Application]:
    """Import accepted companies and their participants; all rows or none.

    ``rows`` come from ``roster_io.roster_file_read``; every row is checked before anything is
    written, and RosterImportError lists each bad row."""
    from .roster_io import roster_rows_validate

    with transaction.atomic():
        cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
        groups, errors = roster_rows_validate(cohort=cohort, rows=rows)
        if errors:
            raise RosterImportError(errors)
        now = clock.now()
        created = []
        for group in groups:
            organisation = organisation_find_or_create(
                data={"name": group["company"], "main_business": group["main_business"]},
                actor=actor,
            )
            if (
                cohort.applications.filter(organisation=organisation)
                .exclude(status=Application.Status.DECLINED)
                .exists()
            ):
                raise RosterImportError(
                    [(group["rows"][0], _("この事業者はすでにこの期に登録されています。"))]
                )
            application = Application.objects.create(
                cohort=cohort,
                organisation=organisation,
                main_business=group["main_business"],
                contact_name=group["participants"][0]["name"],
                contact_email=group["contact_email"],
                consent_version="import",
                status=Application.Status.ACCEPTED,
                roster_number=group["number"],
                accepted_at=now,
            )
            for position, data in enumerate(group["participants"], start=1):
                Participant.objects.create(application=application, position=position, **data)
            created.append(application)
        audit_record(
            actor=actor,
            action="school.roster.import",
            obj=cohort,
            changes={"companies": len(created), "rows": len(rows)},
        )
        return created


# --- attendance ---------------------------------------------------------------------------------


def attendance_record(*, cohort: Cohort, marks: dict[tuple[int, int], str], actor) -> int:
    """Save the attendance grid: ``marks[(participant_id, session_id)]`` is a status, or '' to
    clear the mark. Returns how many cells changed."""
    valid = {s.value for s in Attendance.Status}
    with transaction.atomic():
        cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
        participants = set(
            Participant.objects.filter(
                application__cohort=cohort,
                application__status=Application.Status.ACCEPTED,
            ).values_list("pk", flat=True)
        )
        sessions = set(cohort.sessions.values_list("pk", flat=True))
        existing = {
            (a.participant_id, a.session_id): a
            for a in Attendance.objects.filter(session__cohort=cohort)
        }
        changed = 0
        for (participant_id, session_id), status in marks.items():
            if participant_id not in participants or session_id not in sessions:
                raise DomainError(_("この期の受講者・研修回ではありません。"), code="scope")
            if status and status not in valid:
                raise DomainError(_("出欠の値が正しくありません。"), code="status")
            current = existing.get((participant_id, session_id))
            if not status:
                if current:
                    current.delete()
                    changed += 1
            elif current is None:
                Attendance.objects.create(
                    participant_id=participant_id, session_id=session_id, status=status
                )
                changed += 1
            elif current.status != status:
                # One audit event below covers the whole grid.
                transition(current, status, actor=actor, audit=False)
                changed += 1
        if changed:
            audit_record(
                actor=actor,
                action="school.attendance.record",
                obj=cohort,
                changes={"cells": changed},
            )
        return changed


# --- coaching visits ----------------------------------------------------------------------------


def coaching_visit_record(
    *,
    application: Application,
    date: datetime.date,
    start_time: datetime.time,
    end_time: datetime.time,
    mode: str,
    topics: str,
    notes: str = "",
    instructor=None,
    actor,
) -> CoachingVisit:
    """Log one 個別支援 visit; refused beyond the cohort's per-company cap."""
    if end_time <= start_time:
        raise DomainError(_("終了時刻は開始時刻より後にしてください。"), field="end_time")
    with transaction.atomic():
        # Lock the company's row: two staff logging a visit at once cannot both take the last one.
        application = (
            Application.objects.select_for_update().select_related("cohort").get(pk=application.pk)
        )
        if application.status != Application.Status.ACCEPTED:
            raise DomainError(_("受講決定した企業にのみ個別支援を記録できます。"), code="status")
        cap = application.cohort.coaching_visits_per_company
        done = application.coaching_visits.count()
        if done >= cap:
            raise DomainError(
                _("個別支援はこの期では1社%(cap)s回までです（実施済み%(done)s回）。")
                % {"cap": cap, "done": done},
                code="cap",
            )
        visit = CoachingVisit.objects.create(
            application=application,
            sequence=done + 1,
            date=date,
            start_time=start_time,
            end_time=end_time,
            mode=mode,
            topics=topics,
            notes=notes,
            instructor=instructor,
        )
        audit_record(actor=actor, action="school.coaching.record", obj=visit)
        return visit


# --- certificates -------------------------------------------------------------------------------

CERTIFICATE_KIND = "school.certificate"
CERTIFICATES_BUNDLE_KIND = "school.certificates.bundle"
ROSTER_KIND = "school.roster"


def _lock_cohort_of(participant_id: int) -> Cohort:
    # The number counts the cohort's certificates, so the cohort row is the lock, taken first
    # like every other school service (cohort, then its rows) so the orders never cross.
    cohort_id = Participant.objects.values_list("application__cohort_id", flat=True).get(
        pk=participant_id
    )
    return Cohort.objects.select_for_update().get(pk=cohort_id)


def _certificate_context(certificate: Certificate) -> dict:
    participant = certificate.participant
    application = participant.application
    cohort = application.cohort
    return {
        "name": participant.name,
        "organisation": application.organisation.name,
        "cohort_label": cohort.label,
        "cohort_title": cohort.title,
        "start_date": cohort.start_date.isoformat(),
        "end_date": cohort.end_date.isoformat(),
        "issued_on": certificate.issued_on.isoformat(),
        "number": certificate.number,
        "issuer_title": settings.DOCUMENTS["certificate_issuer_title"],
        "issuer_name": settings.DOCUMENTS["certificate_issuer_name"],
        "issuer_program": settings.DOCUMENTS["certificate_program"],
    }


def _certificate_pdf_request(certificate: Certificate, *, actor):
    participant = certificate.participant
    return document_request(
        kind=CERTIFICATE_KIND,
        template="school/pdf/certificate.html",
        related=participant,
        filename=f"shuryosho-{participant.application.cohort.number}-{certificate.number}.pdf",
        actor=actor,
        context=_certificate_context(certificate),
    )


def _certificate_issue_locked(
    cohort: Cohort, participant: Participant, *, actor, issued_on: datetime.date | None, summary
) -> tuple[Certificate, bool]:
    """Issue (or find) the certificate of a participant; the caller holds the cohort lock and
    checked eligibility. Returns (certificate, created)."""
    certificate = Certificate.objects.filter(participant=participant).first()
    if certificate is not None:
        return certificate, False
    issued = Certificate.objects.filter(participant__application__cohort=cohort).count()
    certificate = Certificate.objects.create(
        participant=participant,
        number=f"{cohort.number}-{issued + 1:03d}",
        issued_on=issued_on or clock.today(),
        attendance_percent=Decimal(summary.percent),
    )
    audit_record(actor=actor, action="school.certificate.issue", obj=certificate)
    return certificate, True


def certificate_issue(
    *, participant: Participant, actor, issued_on: datetime.date | None = None
) -> Certificate:
    """Issue the 修了証 of a participant who met the threshold and render its PDF."""
    with transaction.atomic():
        cohort = _lock_cohort_of(participant.pk)
        participant = (
            Participant.objects.select_for_update(of=("self",))
            .select_related("application__cohort", "application__organisation")
            .get(pk=participant.pk)
        )
        application = participant.application
        if application.status != Application.Status.ACCEPTED:
            raise DomainError(_("受講決定した企業の参加者ではありません。"), code="status")
        summary = attendance_summary_for(participant)
        if not summary.eligible:
            raise DomainError(
                _("出席率が%(rate)s％のため、修了基準（%(threshold)s％以上）に達していません。")
                % {"rate": summary.percent, "threshold": cohort.completion_threshold_percent},
                code="threshold",
            )
        certificate, _created = _certificate_issue_locked(
            cohort, participant, actor=actor, issued_on=issued_on, summary=summary
        )
        _certificate_pdf_request(certificate, actor=actor)
        return certificate


@dataclass
class CertificatesIssued:
    """What one 「全員分を発行」 did."""

    issued: list  # certificates created now
    already: list  # certificates that existed
    ineligible: list  # participants below the threshold (no certificate)
    bundle: object = None  # the combined PDF to print (GeneratedDocument), if any certificate

    @property
    def certificates(self) -> list:
        return sorted([*self.issued, *self.already], key=lambda c: c.number)


def certificates_issue_all(
    *, cohort: Cohort, actor, issued_on: datetime.date | None = None
) -> CertificatesIssued:
    """Issue the 修了証 of every participant of the cohort's accepted companies who met the
    threshold, in one transaction under the cohort lock: one PDF each (rendered once; a
    certificate whose PDF exists is not rendered again) and one combined PDF of all the cohort's
    certificates, one page each, to print. Participants below the threshold are listed, not
    refused one by one. Running it again issues nothing twice."""
    with transaction.atomic():
        cohort = Cohort.objects.select_for_update().get(pk=cohort.pk)
        # The cohort lock serialises this with attendance changes and with every other
        # certificate issued in the cohort (certificate_issue takes it first too).
        participants = list(
            Participant.objects.filter(
                application__cohort=cohort, application__status=Application.Status.ACCEPTED
            )
            .select_related("application__cohort", "application__organisation")
            .annotate(
                attended=Count("attendances", filter=Q(attendances__status__in=Attendance.ATTENDED))
            )
            .order_by("application__roster_number", "position", "pk")
        )
        sessions = cohort.sessions.count()
        rendered = participants_with_document([p.pk for p in participants], kind=CERTIFICATE_KIND)
        result = CertificatesIssued(issued=[], already=[], ineligible=[])
        for participant in participants:
            summary = attendance_summary(
                attended=participant.attended,
                sessions=sessions,
                threshold=cohort.completion_threshold_percent,
            )
            if not summary.eligible:
                result.ineligible.append(participant)
                continue
            certificate, created = _certificate_issue_locked(
                cohort, participant, actor=actor, issued_on=issued_on, summary=summary
            )
            (result.issued if created else result.already).append(certificate)
            if created or participant.pk not in rendered:
                _certificate_pdf_request(certificate, actor=actor)
        if result.certificates:
            result.bundle = document_request(
                kind=CERTIFICATES_BUNDLE_KIND,
                template="school/pdf/certificates_bundle.html",
                related=cohort,
                filename=f"shuryosho-{cohort.number}-all.pdf",
                actor=actor,
                context={
                    "cohort_label": cohort.label,
                    "certificates": [_certificate_context(c) for c in result.certificates],
                },
            )
        audit_record(
            actor=actor,
            action="school.certificates.issue_all",
            obj=cohort,
            changes={
                "issued": len(result.issued),
                "already": len(result.already),
                "ineligible": len(result.ineligible),
            },
        )
        return result


def roster_pdf_request(*, cohort: Cohort, actor, with_names: bool = True):
    """Render the cohort's roster as a printable PDF (in a task)."""
    rows = roster_rows(cohort)
    with transaction.atomic():
        document = document_request(
            kind=ROSTER_KIND if with_names else f"{ROSTER_KIND}.public",
            template="school/pdf/roster.html",
            related=cohort,
            actor=actor,
            filename=f"school-roster-{cohort.number}{'' if with_names else '-public'}.pdf",
            context={
                "cohort_label": cohort.label,
                "cohort_title": cohort.title,
                "with_names": with_names,
                "generated_on": clock.today().isoformat(),
                "rows": [
                    {
                        "number": r.number,
                        "company": r.company if with_names else "",
                        "main_business": r.main_business,
                        "affiliations": r.affiliations,
                    }
                    for r in rows
                ],
            },
        )
        return document


__all__ = [
    "CurriculumSession",
    "RosterImportError",
    "application_accept",
    "application_decline",
    "application_submit",
    "application_waitlist",
    "attendance_record",
    "certificate_issue",
    "certificates_issue_all",
    "coaching_visit_record",
    "cohort_finish",
    "cohort_open_recruiting",
    "cohort_start",
    "roster_import",
    "roster_pdf_request",
]


# --- configuration: cohorts (the admin saves through these) --------------------------------------

COHORT_FIELDS = [
    "number",
    "title",
    "start_date",
    "end_date",
    "application_opens_on",
    "application_closes_on",
    "capacity",
    "max_participants_per_company",
    "planned_sessions",
    "planned_hours",
    "coaching_visits_per_company",
    "completion_threshold_percent",
    "venue",
    "description",
    "instructors",
]


def cohort_validate(*, data: dict, instance: Cohort | None = None) -> None:
    """A cohort's dates in order, and no limit below what it has already accepted."""
    start, end = data.get("start_date"), data.get("end_date")
    opens, closes = data.get("application_opens_on"), data.get("application_closes_on")
    if start and end and end < start:
        raise DomainError(
            _("修了日は開講日と同じ日かそれより後にしてください。"), field="end_date", code="dates"
        )
    if opens and closes and closes < opens:
        raise DomainError(
            _("申込締切日は申込受付開始日と同じ日かそれより後にしてください。"),
            field="application_closes_on",
            code="window",
        )
    if closes and start and closes > start:
        raise DomainError(
            _("申込締切日は開講日より前（または同じ日）にしてください。"),
            field="application_closes_on",
            code="closes_after_start",
        )
    if instance is None or not instance.pk:
        return
    accepted = instance.applications.filter(status=Application.Status.ACCEPTED).count()
    if data.get("capacity") and data["capacity"] < accepted:
        raise DomainError(
            _("すでに%(count)d社の受講が決まっているため、定員を%(count)d社より少なくできません。")
            % {"count": accepted},
            field="capacity",
            code="capacity_below_accepted",
        )
    limit = data.get("max_participants_per_company")
    if limit:
        largest = (
            Participant.objects.filter(application__cohort=instance)
            .exclude(application__status=Application.Status.DECLINED)
            .values("application")
            .annotate(n=Count("pk"))
            .order_by("-n")
            .values_list("n", flat=True)
            .first()
        )
        if largest and limit < largest:
            raise DomainError(
                _(
                    "参加者を%(count)d名登録している事業者があるため、1社あたりの上限を"
                    "%(count)d名より少なくできません。"
                )
                % {"count": largest},
                field="max_participants_per_company",
                code="participants_above_limit",
            )


def cohort_create(*, data: dict, actor) -> Cohort:
    """Register a cohort (第N期) in preparation (準備中); recruiting opens with its own action."""
    from kosha_portal.writes import assign_many

    cohort_validate(data=data)
    with transaction.atomic():
        cohort = Cohort(
            **{k: v for k, v in data.items() if k in COHORT_FIELDS and k != "instructors"}
        )
        cohort.save()
        assign_many(cohort, data, ["instructors"])
        audit_record(actor=actor, action="school.cohort.create", obj=cohort)
        return cohort


def cohort_update(*, cohort: Cohort, data: dict, actor) -> Cohort:
    """Change a cohort's dates, limits or curriculum, with the row locked (applications check
    the capacity under the same lock); the audit event keeps old and new values."""
    from kosha_portal.writes import assign_fields, assign_many, audit_values, snapshot

    with transaction.atomic():
        locked = Cohort.objects.select_for_update().get(pk=cohort.pk)
        fields = [f for f in COHORT_FIELDS if f != "instructors"]
        cohort_validate(data={**snapshot(locked, fields), **data}, instance=locked)
        before = snapshot(locked, fields)
        changed = assign_fields(locked, data, COHORT_FIELDS)
        if changed:
            locked.save()
        changed += assign_many(locked, data, ["instructors"])
        if changed:
            audit_record(
                actor=actor,
                action="school.cohort.update",
                obj=locked,
                changes={"fields": changed, "values": audit_values(before, locked, changed)},
            )
        return locked
