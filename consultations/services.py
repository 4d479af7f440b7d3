"""Every write to a consultation: intake, the status workflow, messages, the dispatch-need
determination, exports and the desk digest."""

import contextlib
import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import ProgrammingError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from companies.services import organisation_find_or_create
from kosha_portal import clock
from kosha_portal.accounts.models import AccessLink
from kosha_portal.accounts.services import (
    access_link_build,
    access_link_issue,
    access_link_url,
)
from kosha_portal.audit.services import (
    audit_event,
    audit_record,
    company_actor,
)
from kosha_portal.database import Rider, insert_together, next_id
from kosha_portal.errors import DomainError
from kosha_portal.exports import Column
from kosha_portal.japan.business_days import next_business_day
from kosha_portal.japan.deadlines import jst_date
from kosha_portal.japan.fiscal import fiscal_year_label, fiscal_year_of
from kosha_portal.japan.names import person_name
from kosha_portal.mail.services import (
    current_language,
    email_build,
    email_enqueue,
    email_send_after_commit,
    write_isolated,
)
from kosha_portal.workflow import transition

from .models import (
    INTAKE_FIELDS,
    Channel,
    Consultation,
    ConsultationAttachment,
    ConsultationMessage,
    FiscalYearCounter,
)

Status = Consultation.Status

# The reason recorded when a company's new message brings an answered or closed case back.
COMPANY_MESSAGE_REOPEN_REASON = gettext_noop("事業者からメッセージが届いたため")


def reply_by_for(received_at: datetime.datetime) -> datetime.date:
    """Replies are due by the next business day after receipt (JST)."""
    return next_business_day(jst_date(received_at))


def _reference_rider(fiscal_year: int) -> Rider | None:
    """The year's next 相談番号, to be read in a statement the submission runs anyway (PostgreSQL:
    the year's sequence, None until the year has one)."""
    if connection.vendor != "postgresql":
        return None
    return Rider("nextval(to_regclass(%s))", (_reference_sequence_name(fiscal_year),))


def _id_riders(*models) -> dict:
    """A rider per model for the id of its next row (PostgreSQL; none elsewhere)."""
    if connection.vendor != "postgresql":
        return {}
    return {model: next_id(model) for model in models}


def _carried(riders: dict, model):
    rider = riders.get(model)
    return rider.value if rider is not None and rider.taken else None


def _allocate_reference(fiscal_year: int, rider: Rider | None = None) -> tuple[int, str]:
    """The next 相談番号 of ``fiscal_year``: the one ``rider`` carried, or a new one."""
    sequence = rider.value if rider is not None else None
    if sequence is None:  # not carried, or the year's first number (its sequence is created)
        (sequence,) = reference_sequences_take(fiscal_year, 1)
    return sequence, f"{fiscal_year}-{sequence:04d}"


def reference_sequences_take(fiscal_year: int, count: int) -> list[int]:
    """``count`` new sequence numbers of ``fiscal_year``'s 相談番号, in one statement.

    On PostgreSQL they come from the year's own sequence (``consultations_reference_<year>``,
    created at the year's first number): no row is locked and nothing is committed for them, so
    concurrent submissions never queue behind each other, and a submission that fails leaves a
    gap in the year's numbers (docs/architecture.md). Elsewhere (SQLite, scripts/run's embedded
    default) the year's counter row is incremented."""
    if connection.vendor == "postgresql":
        name = _reference_sequence_name(fiscal_year)
        numbers = _sequence_next(name, count, missing_ok=True)
        if numbers[0] is None:  # the year has no sequence yet
            _reference_sequence_create(fiscal_year)
            numbers = _sequence_next(name, count, missing_ok=False)
        return numbers
    table = connection.ops.quote_name(FiscalYearCounter._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (fiscal_year, last_sequence) VALUES (%s, %s) "  # noqa: S608
            f"ON CONFLICT (fiscal_year) DO UPDATE SET last_sequence = {table}.last_sequence + %s "
            "RETURNING last_sequence",
            [fiscal_year, count, count],
        )
        (last,) = cursor.fetchone()
    return list(range(last - count + 1, last + 1))


def _sequence_next(name: str, count: int, *, missing_ok: bool) -> list:
    """``count`` values of the sequence ``name``; with ``missing_ok``, Nones if it does not
    exist (yet) rather than an error."""
    call = "nextval(to_regclass(%s))" if missing_ok else "nextval(%s::regclass)"
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {call} FROM generate_series(1, %s)", [name, count])  # noqa: S608
        return [value for (value,) in cursor.fetchall()]


DUPLICATE_TABLE = "42P07"  # PostgreSQL's SQLSTATE for a relation that already exists


def _reference_sequence_name(fiscal_year: int) -> str:
    return f"consultations_reference_{int(fiscal_year)}"


def _reference_sequence_create(fiscal_year: int) -> None:
    """Create the year's sequence (once: concurrent first numbers wait for each other). It
    continues after the numbers the year already has, from its counter row (numbers taken
    before the sequences existed) or its consultations; the counter row is kept as the record of
    the years that have numbers (the admin's year filter)."""
    name = _reference_sequence_name(fiscal_year)
    counter = connection.ops.quote_name(FiscalYearCounter._meta.db_table)
    consultations = connection.ops.quote_name(Consultation._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"sequence:{name}"])
        # One statement that reads tables: opening them makes this backend see the catalog as
        # it is now (an advisory lock does not), so a sequence the previous holder created is
        # seen.
        cursor.execute(
            "SELECT to_regclass(%s), GREATEST("  # noqa: S608
            f"(SELECT last_sequence FROM {counter} WHERE fiscal_year = %s), "
            f"(SELECT max(sequence) FROM {consultations} WHERE fiscal_year = %s), 0)",
            [name, fiscal_year, fiscal_year],
        )
        exists, last = cursor.fetchone()
        if exists is not None:
            return
        try:
            with transaction.atomic():
                cursor.execute(
                    f"CREATE SEQUENCE {connection.ops.quote_name(name)} START WITH {last + 1}"
                )
        except ProgrammingError as exc:
            # Within a longer transaction that had read those tables already, the catalog may
            # not have been refreshed: the previous holder did create it.
            if getattr(exc.__cause__, "sqlstate", None) != DUPLICATE_TABLE:
                raise
            return
        cursor.execute(
            f"INSERT INTO {counter} (fiscal_year, last_sequence) VALUES (%s, %s) "  # noqa: S608
            "ON CONFLICT (fiscal_year) DO NOTHING",
            [fiscal_year, last],
        )


def _attachments_prepare(consultation, files, stored) -> list[ConsultationAttachment]:
    """Write the files (before any row lock is taken) and return their unsaved rows, for one
    INSERT once ``consultation`` is saved; each written file is added to ``stored``."""
    rows = []
    for uploaded, mime, display_name in files:
        uploaded.seek(0)
        attachment = ConsultationAttachment(
            consultation=consultation,
            original_name=display_name,
            mime_type=mime,
            size=uploaded.size,
        )
        attachment.file.save("upload", uploaded, save=False)
        stored.append(attachment)
        rows.append(attachment)
    return rows


def _store_attachments(consultation, files, message=None, stored=None):
    stored = [] if stored is None else stored
    for uploaded, mime, display_name in files:
        uploaded.seek(0)
        attachment = ConsultationAttachment(
            consultation=consultation,
            message=message,
            original_name=display_name,
            mime_type=mime,
            size=uploaded.size,
        )
        attachment.file.save("upload", uploaded, save=False)
        attachment.save()
        stored.append(attachment)
    return stored


def _discard_files(attachments) -> None:
    """Files written for a transaction that rolled back must not linger."""
    for attachment in attachments:
        with contextlib.suppress(OSError):
            attachment.file.storage.delete(attachment.file.name)


def consultation_submit(
    *,
    organisation_data: dict,
    data: dict,
    files=(),
    channel: str = Channel.WEB,
    privacy_consented: bool,
    actor,
    received_at: datetime.datetime | None = None,
) -> Consultation:
    """Record a consultation (web intake or one staff took by phone, visit or email), give it a
    reference number for its fiscal year and send the company its personal status link."""
    if channel == Channel.WEB and not privacy_consented:
        raise DomainError(
            _("個人情報の取扱いへの同意が必要です。"), field="privacy_consent", code="consent"
        )
    now = clock.now()
    received_at = received_at or now
    if received_at > now + RECEIVED_AT_TOLERANCE:
        raise DomainError(
            _("受付日時に未来の日時は入力できません。相談を受けた日時を入力してください。"),
            field="received_at",
            code="future",
        )
    fiscal_year = fiscal_year_of(jst_date(received_at))
    staff = actor if getattr(actor, "is_authenticated", False) else None
    stored: list[ConsultationAttachment] = []
    try:
        with transaction.atomic():
            events = []
            # The number and the ids of the new consultation and its personal link ride on the
            # statement that takes the organisation's locks (PostgreSQL): with them the
            # consultation, its audit trail, the link and the email are one INSERT.
            number, ids = _reference_rider(fiscal_year), _id_riders(Consultation, AccessLink)
            organisation = organisation_find_or_create(
                data=organisation_data,
                actor=staff or company_actor(data["contact_email"]),
                audit_events=events,
                riders=tuple(rider for rider in (number, *ids.values()) if rider is not None),
            )
            sequence, reference = _allocate_reference(fiscal_year, number)
            consultation = Consultation(
                pk=_carried(ids, Consultation),
                organisation=organisation,
                channel=channel,
                received_at=received_at,
                reply_by=reply_by_for(received_at),
                recorded_by=staff,
                language=current_language(),
                privacy_notice_version=settings.PRIVACY_NOTICE_VERSION if privacy_consented else "",
                privacy_consented_at=received_at if privacy_consented else None,
                fiscal_year=fiscal_year,
                **{k: data.get(k, "" if k not in _LIST_FIELDS else []) for k in INTAKE_FIELDS},
            )
            consultation.sequence, consultation.reference = sequence, reference
            attachments = _attachments_prepare(consultation, files, stored)
            rows = [consultation]
            if consultation.pk is None:  # no id carried (SQLite): the INSERT gives it
                consultation.save(force_insert=True)
                rows = []
            events.append(
                audit_event(
                    actor=staff or company_actor(consultation.contact_email),
                    action="consultation.submit",
                    obj=consultation,
                    changes={"channel": channel, "attachments": len(files)},
                )
            )
            link, token = access_link_build(
                email=consultation.contact_email, organisation=organisation, target=consultation
            )
            link.pk = _carried(ids, AccessLink)
            if link.pk is None:  # the email's sealed reference names the link by its id
                link.save(force_insert=True)
            else:
                rows.append(link)
            email = email_build(
                to=consultation.contact_email,
                language=consultation.language,
                template="consultations/emails/received",
                context={
                    "consultation": consultation,
                    "organisation": organisation,
                    "status_url": access_link_url(token),
                },
                related=consultation,
                links=[(link, token)],
            )
            insert_together(*rows, *events, email)
            if attachments:
                ConsultationAttachment.objects.bulk_create(attachments)
            email_send_after_commit(email)
        return consultation
    except BaseException:
        _discard_files(stored)
        raise


_LIST_FIELDS = {"places", "behaviour_types", "damages", "measures", "requested_support"}
# A staff form filled in at the minute the call came in may be a little ahead of the server.
RECEIVED_AT_TOLERANCE = datetime.timedelta(minutes=2)


def _lock(consultation: Consultation) -> Consultation:
    return (
        Consultation.objects.select_for_update()
        .select_related("organisation")
        .get(pk=consultation.pk)
    )


def _transition(
    consultation: Consultation,
    target: str,
    *,
    actor,
    reason: str = "",
) -> Consultation:
    locked = _lock(consultation)
    transition(locked, target, actor=actor, reason=reason, action=f"consultation.status.{target}")
    return locked


def consultation_start(*, consultation: Consultation, actor) -> Consultation:
    """新規受付 → 対応中 (the desk has begun working on it)."""
    with transaction.atomic():
        return _transition(consultation, Status.IN_PROGRESS, actor=actor)


def consultation_mark_answered(*, consultation: Consultation, actor) -> Consultation:
    """対応中 → 回答済."""
    with transaction.atomic():
        return _transition(consultation, Status.ANSWERED, actor=actor)


def consultation_close(*, consultation: Consultation, actor) -> Consultation:
    """対応中/回答済 → 完了."""
    with transaction.atomic():
        return _transition(consultation, Status.CLOSED, actor=actor)


def _notify_status(consultation: Consultation, template: str) -> None:
    """Tell the company's contact, with a fresh personal link, that the desk moved its case."""
    if consultation.anonymised_at or not consultation.contact_email:
        return
    link, token = access_link_issue(
        email=consultation.contact_email,
        organisation=consultation.organisation,
        target=consultation,
    )
    email_enqueue(
        to=consultation.contact_email,
        language=consultation.language,
        template=f"consultations/emails/{template}",
        context={"consultation": consultation, "status_url": access_link_url(token)},
        related=consultation,
        links=[(link, token)],
    )


def consultation_withdraw(*, consultation: Consultation, reason: str, actor) -> Consultation:
    """Any open state → 取下げ (the company no longer needs the desk); the reason is required
    (kept in the case's history, not sent) and the company is told by email."""
    with transaction.atomic():
        locked = _transition(consultation, Status.WITHDRAWN, actor=actor, reason=reason)
        _notify_status(locked, "withdrawn")
        return locked


def consultation_reopen(*, consultation: Consultation, reason: str, actor) -> Consultation:
    """完了/取下げ/回答済 → 対応中 (再開); the reason is required and the company is told."""
    with transaction.atomic():
        locked = _lock(consultation)
        if locked.status in (Status.NEW, Status.IN_PROGRESS):
            raise DomainError(
                _("この相談は対応中のため、再開する必要はありません。"), code="transition"
            )
        locked = _transition(locked, Status.IN_PROGRESS, actor=actor, reason=reason)
        _notify_status(locked, "reopened")
        return locked


def consultation_assign(*, consultation: Consultation, officer, actor) -> Consultation:
    """Give the consultation to a desk officer (None leaves it unassigned)."""
    with transaction.atomic():
        locked = _lock(consultation)
        if officer is not None and not officer.is_staff:
            raise DomainError(
                _("担当者には職員を選んでください。"), field="officer", code="officer"
            )
        previous = locked.assigned_to_id
        locked.assigned_to = officer
        locked.save(update_fields=["assigned_to"])
        audit_record(
            actor=actor,
            action="consultation.assign",
            obj=locked,
            changes={"from": previous, "to": officer.pk if officer else None},
        )
        return locked


def consultation_triage_update(
    *,
    consultation: Consultation,
    demand_reasonableness: str,
    means_acceptability: str,
    follow_up_on,
    actor,
) -> Consultation:
    """Record the MHLW two-axis assessment and the follow-up date."""
    with transaction.atomic():
        locked = _lock(consultation)
        locked.demand_reasonableness = demand_reasonableness
        locked.means_acceptability = means_acceptability
        locked.follow_up_on = follow_up_on
        locked.save(update_fields=["demand_reasonableness", "means_acceptability", "follow_up_on"])
        audit_record(
            actor=actor,
            action="consultation.triage",
            obj=locked,
            changes={
                "demand_reasonableness": demand_reasonableness,
                "means_acceptability": means_acceptability,
                "follow_up_on": str(follow_up_on or ""),
            },
        )
        return locked


def consultation_note_add(*, consultation: Consultation, body: str, actor) -> ConsultationMessage:
    """An internal note: staff only, never on the status page, never in an email."""
    body = (body or "").strip()
    if not body:
        raise DomainError(_("メモの内容を入力してください。"), field="body", code="empty")
    with transaction.atomic():
        locked = _lock(consultation)
        note = ConsultationMessage.objects.create(
            consultation=locked,
            kind=ConsultationMessage.Kind.INTERNAL_NOTE,
            body=body,
            author=actor,
        )
        audit_record(actor=actor, action="consultation.note", obj=locked)
        return note


def consultation_reply_send(
    *, consultation: Consultation, body: str, actor, mark_answered: bool = True
) -> ConsultationMessage:
    """A reply to the company: shown on its status page and sent by email with its link."""
    body = (body or "").strip()
    if not body:
        raise DomainError(_("回答の内容を入力してください。"), field="body", code="empty")
    with transaction.atomic():
        locked = _lock(consultation)
        if locked.status == Status.WITHDRAWN:
            raise DomainError(
                _("取下げられた相談には回答できません。再開してから回答してください。"),
                code="withdrawn",
            )
        reply = ConsultationMessage.objects.create(
            consultation=locked, kind=ConsultationMessage.Kind.REPLY, body=body, author=actor
        )
        if mark_answered:
            if locked.status == Status.NEW:
                locked = _transition(locked, Status.IN_PROGRESS, actor=actor)
            if locked.status == Status.IN_PROGRESS:
                locked = _transition(locked, Status.ANSWERED, actor=actor)
        audit_record(
            actor=actor, action="consultation.reply", obj=locked, changes={"message": reply.pk}
        )
        link, token = access_link_issue(
            email=locked.contact_email, organisation=locked.organisation, target=locked
        )
        email_enqueue(
            to=locked.contact_email,
            language=locked.language,
            template="consultations/emails/reply",
            context={"consultation": locked, "reply": reply, "status_url": access_link_url(token)},
            related=locked,
            links=[(link, token)],
        )
        return reply


def consultation_company_message_add(
    *, consultation: Consultation, body: str, files=(), actor
) -> ConsultationMessage:
    """A message (and files) the company adds on its status page; an answered case goes back
    to 対応中 so the desk sees it."""
    body = (body or "").strip()
    if not body and not files:
        raise DomainError(
            _("メッセージを入力するか、ファイルを選択してください。"), field="body", code="empty"
        )
    with transaction.atomic():
        locked = _lock(consultation)
        if locked.status == Status.WITHDRAWN:
            raise DomainError(
                _("取下げられた相談にはメッセージを送れません。お手数ですが新しくご相談ください。"),
                code="withdrawn",
            )
        message = ConsultationMessage.objects.create(
            consultation=locked,
            kind=ConsultationMessage.Kind.COMPANY,
            body=body or str(_("（ファイルのみ）")),
        )
        stored: list[ConsultationAttachment] = []
        try:
            _store_attachments(locked, files, message=message, stored=stored)
        except BaseException:
            _discard_files(stored)
            raise
        if locked.status in (Status.ANSWERED, Status.CLOSED):
            locked = _transition(
                locked, Status.IN_PROGRESS, actor=actor, reason=COMPANY_MESSAGE_REOPEN_REASON
            )
        audit_record(
            actor=actor,
            action="consultation.company_message",
            obj=locked,
            changes={"message": message.pk, "attachments": len(files)},
        )
        return message


def dispatch_need_warning(failed) -> str:
    """The refusal when the need is confirmed for a company that could not apply: the failing
    rules with their explanations, and what to do."""
    rules = _("、").join(
        _("「%(label)s」（%(explanation)s）") % {"label": r.label, "explanation": r.explanation}
        for r in failed
    )
    return _(
        "この事業者は、次の要件を満たさないため専門家派遣に申し込めない見込みです：%(rules)s "
        "それでも「必要性あり」とする場合は、確認した内容を「要件の警告を確認したうえでの判断"
        "メモ」に入力してください。"
    ) % {"rules": rules}


def consultation_dispatch_need_determine(
    *,
    consultation: Consultation,
    needed: bool,
    reason: str,
    actor,
    check_eligibility: bool = False,
    override_note: str = "",
) -> Consultation:
    """Record the dispatch-need determination (必要性の確認); when the need is confirmed the
    company is told by email that it may now apply for an expert dispatch.

    With ``check_eligibility`` (the desk's determination screen), confirming the need for a
    company that the dispatch rules would refuse today (outside Tokyo, not an SME, no open
    application window, no visits left: dispatch/eligibility.py) is refused with those rules
    unless ``override_note`` says what the officer checked; the note is kept on the case and
    the failing rules' codes in the audit event. Data loaders and tests that set up a case
    leave the check off."""
    from .selectors import dispatch_need_preview

    reason = (reason or "").strip()
    override_note = (override_note or "").strip()
    if not reason:
        raise DomainError(_("判断理由を入力してください。"), field="reason", code="reason")
    with transaction.atomic():
        locked = _lock(consultation)
        if locked.status == Status.WITHDRAWN:
            raise DomainError(_("取下げられた相談では判断できません。"), code="withdrawn")
        failed = []
        if needed and check_eligibility:
            failed = [rule for rule in dispatch_need_preview(locked) if not rule.passed]
            if failed and not override_note:
                raise DomainError(
                    dispatch_need_warning(failed), field="override_note", code="ineligible"
                )
        previous = locked.dispatch_need
        locked.dispatch_need = bool(needed)
        locked.dispatch_need_reason = reason
        locked.dispatch_need_override_note = override_note if failed else ""
        locked.dispatch_need_decided_by = (
            actor if getattr(actor, "is_authenticated", False) else None
        )
        locked.dispatch_need_decided_on = clock.today()
        locked.save(
            update_fields=[
                "dispatch_need",
                "dispatch_need_reason",
                "dispatch_need_override_note",
                "dispatch_need_decided_by",
                "dispatch_need_decided_on",
            ]
        )
        audit_record(
            actor=actor,
            action="consultation.dispatch_need",
            obj=locked,
            changes={
                "from": previous,
                "to": bool(needed),
                **({"warnings": [rule.code for rule in failed]} if failed else {}),
            },
        )
        if needed and previous is not True:
            link, token = access_link_issue(
                email=locked.contact_email, organisation=locked.organisation, target=locked
            )
            email_enqueue(
                to=locked.contact_email,
                language=locked.language,
                template="consultations/emails/dispatch_need_confirmed",
                context={"consultation": locked, "status_url": access_link_url(token)},
                related=locked,
                links=[(link, token)],
            )
        return locked


# --- export and digest ---------------------------------------------------------------------------


def _local(value) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else ""


def _choice(choices_name: str):
    return lambda codes: "・".join(_labels(codes, choices_name))


# Every intake field, in the order of the form, then the desk's own. Codes (法人番号, 郵便番号,
# phone numbers, the reference) are text cells, so Excel keeps them whole (no 7.00001E+12, no
# dropped leading zero); the export is access-logged by kosha_portal.exports.
EXPORT_COLUMNS = [
    Column(_("相談番号"), lambda c: c.reference, text=True),
    Column(_("年度"), lambda c: fiscal_year_label(c.fiscal_year)),
    Column(_("受付日時"), lambda c: _local(c.received_at), width=17),
    Column(_("受付経路"), lambda c: c.get_channel_display()),
    Column(_("状態"), lambda c: c.get_status_display()),
    Column(_("回答期限"), lambda c: c.reply_by.isoformat()),
    Column(_("担当者"), lambda c: person_name(c.assigned_to)),
    Column(_("受付した職員"), lambda c: person_name(c.recorded_by)),
    Column(_("事業者名"), lambda c: c.organisation.name, width=30),
    Column(_("事業者名（フリガナ）"), lambda c: c.organisation.name_kana, width=30),
    Column(_("区分"), lambda c: c.organisation.get_kind_display()),
    Column(_("法人番号"), lambda c: c.organisation.corporate_number, text=True, width=16),
    Column(_("郵便番号"), lambda c: c.organisation.postal_code, text=True, width=10),
    Column(_("都道府県"), lambda c: c.organisation.prefecture),
    Column(_("区市町村"), lambda c: c.organisation.municipality),
    Column(_("町名・番地・建物名"), lambda c: c.organisation.address, width=30),
    Column(_("電話番号（代表）"), lambda c: c.organisation.phone, text=True, width=16),
    Column(_("主な事業内容"), lambda c: c.organisation.main_business, width=24),
    Column(_("業種区分"), lambda c: c.organisation.get_industry_display()),
    Column(_("資本金（円）"), lambda c: c.organisation.capital_yen),
    Column(_("常時使用する従業員数"), lambda c: c.organisation.employees),
    Column(_("ご担当者名"), lambda c: c.contact_name),
    Column(_("ご担当者名（フリガナ）"), lambda c: c.contact_kana),
    Column(_("部署"), lambda c: c.contact_department),
    Column(_("役職"), lambda c: c.contact_role),
    Column(_("メールアドレス"), lambda c: c.contact_email, width=30),
    Column(_("電話番号"), lambda c: c.contact_phone, text=True, width=16),
    Column(_("希望する連絡方法"), lambda c: c.get_contact_way_display()),
    Column(_("連絡を希望する時間帯"), lambda c: c.get_contact_time_display()),
    Column(_("発生した場面"), lambda c: _choice("Place")(c.places), width=24),
    Column(_("行為の類型"), lambda c: _choice("BehaviourType")(c.behaviour_types), width=24),
    Column(_("被害の状況"), lambda c: _choice("Damage")(c.damages), width=24),
    Column(_("実施済みの対策"), lambda c: _choice("Measure")(c.measures), width=24),
    Column(_("希望する支援"), lambda c: _choice("RequestedSupport")(c.requested_support), width=20),
    Column(_("ご相談内容"), lambda c: c.description, width=60),
    Column(_("要求内容の妥当性"), lambda c: c.get_demand_reasonableness_display()),
    Column(_("手段・態様の相当性"), lambda c: c.get_means_acceptability_display()),
    Column(
        _("専門家派遣の必要性"),
        lambda c: {True: _("あり"), False: _("なし"), None: ""}[c.dispatch_need],
    ),
    Column(_("回答日時"), lambda c: _local(c.answered_at), width=17),
    Column(_("完了日時"), lambda c: _local(c.closed_at), width=17),
]


def _labels(codes, choices_name: str) -> list[str]:
    from . import models

    choices = dict(getattr(models, choices_name).choices)
    return [str(choices.get(code, code)) for code in codes or []]


def consultations_export_rows(queryset):
    """The consultations of a filtered list, loaded in chunks for ``EXPORT_COLUMNS``."""
    return queryset.select_related("organisation", "assigned_to", "recorded_by").iterator(
        chunk_size=2000
    )


def desk_digest_recipients() -> list[str]:
    from kosha_portal.accounts.roles import DESK_STAFF

    users = (
        get_user_model()
        .objects.filter(groups__name=DESK_STAFF, is_active=True)
        .exclude(email="")
        .values_list("email", flat=True)
    )
    recipients = {e.strip().lower() for e in [*users, *settings.DESK_DIGEST_RECIPIENTS] if e}
    return sorted(recipients)


def desk_digest_send(*, today: datetime.date | None = None) -> int:
    """Email each desk officer the new and the overdue consultations; once per recipient per day."""
    from .selectors import consultations_new, consultations_overdue

    today = today or clock.today()
    new = list(consultations_new())
    overdue = list(consultations_overdue(today=today))
    context = {
        "today": today,
        "new": new,
        "overdue": overdue,
        "admin_url": settings.SITE_URL + "/" + settings.ADMIN_URL + "consultations/consultation/",
    }
    sent = 0
    # One transaction per recipient: a failing one (say, a mistyped address in
    # DESK_DIGEST_RECIPIENTS) is logged and the others still get their digest.
    for number, recipient in enumerate(desk_digest_recipients(), start=1):
        email = write_isolated(
            f"desk digest {today.isoformat()} recipient #{number}",
            lambda recipient=recipient: email_enqueue(
                to=recipient,
                template="consultations/emails/desk_digest",
                context=context,
                dedupe_key=f"consultations-digest:{recipient}:{today.isoformat()}",
            ),
        )
        sent += email is not None
    return sent


def consultation_anonymise(
    *, consultation: Consultation, actor, now=None, on_request: bool = False
) -> Consultation:
    """Erase a consultation's personal data: contact details, free texts, the messages' texts and
    the attachments go, and so do its outbox mail, personal links and free texts in the audit
    trail; the reference, dates, status, categories and the organisation link stay for the
    program's statistics. The retention sweep calls it once the period is over (closed or
    withdrawn cases only); a deletion request (``on_request``) also ends a case still open."""
    from kosha_portal.retention import ERASED, ERASURE_REASON, record_forget

    now = now or clock.now()
    with transaction.atomic():
        locked = _lock(consultation)
        if locked.anonymised_at:
            return locked
        if locked.status not in (Status.CLOSED, Status.WITHDRAWN):
            if not on_request:
                raise DomainError(
                    _("完了または取下げの相談だけが消去の対象です。"), code="not_closed"
                )
            locked = _transition(locked, Status.WITHDRAWN, actor=actor, reason=ERASURE_REASON)
        for field in ("contact_kana", "contact_department", "contact_role", "contact_phone"):
            setattr(locked, field, "")
        locked.contact_name = ERASED
        locked.contact_email = ""
        locked.description = ""
        locked.dispatch_need_reason = ""
        locked.dispatch_need_override_note = ""
        locked.anonymised_at = now
        locked.save()
        locked.messages.update(body="")
        files = list(locked.attachments.all())
        locked.attachments.all().delete()
        forgotten = record_forget([locked], now=now)
        audit_record(
            actor=actor,
            action="consultation.anonymise",
            obj=locked,
            changes={
                "attachments": len(files),
                "basis": "request" if on_request else "retention",
                **forgotten,
            },
        )
        transaction.on_commit(lambda: _discard_files(files))
        return locked
