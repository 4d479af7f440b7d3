"""Every write of the seminars app: registration with seats and waiting list, cancellation and
promotion, check-in, seminar transitions, reminders and the survey."""

import datetime
import unicodedata
from dataclasses import dataclass

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Max, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from companies.services import organisation_find_or_create
from kosha_portal import clock
from kosha_portal.audit.services import audit_record
from kosha_portal.errors import DomainError
from kosha_portal.japan.business_days import add_business_days
from kosha_portal.japan.deadlines import JST, start_of_day
from kosha_portal.workflow import transition, transition_check, transition_many

from . import emails
from .models import CHECKIN_CODE_LENGTH, Registration, Seminar, SurveyResponse, checkin_code_new

# Reasons the history records for moves whose cause is the service itself.
SELF_CANCEL_REASON = gettext_noop("お申込みの方ご本人による個人用リンクからのキャンセル")
CHECK_IN_UNDO_REASON = gettext_noop("受付画面で誤って出席にした記録の取消し")
FINISH_WAITLIST_CANCEL_REASON = gettext_noop("セミナーの終了によりキャンセル待ちを終了")

REMINDER_EARLY = "early"  # 3 business days before
REMINDER_EVE = "eve"  # the day before
REMINDER_FIELDS = {REMINDER_EARLY: "reminder_early_at", REMINDER_EVE: "reminder_eve_at"}


def _setting(name: str, default):
    return getattr(settings, name, default)


# --- seminar transitions -------------------------------------------------------------------------


def _lock_for_transition(seminar: Seminar) -> Seminar:
    return Seminar.objects.select_for_update().get(pk=seminar.pk)


def seminar_publish(*, seminar: Seminar, actor) -> Seminar:
    """Open the seminar page (and its registration window) to the public."""
    with transaction.atomic():
        seminar = _lock_for_transition(seminar)
        transition_check(seminar, Seminar.Status.PUBLISHED)
        if not seminar.attendance_formats or not any(
            seminar.seats_for(f) for f in seminar.attendance_formats
        ):
            raise DomainError(_("定員が設定されていません。"), code="no_seats")
        transition(seminar, Seminar.Status.PUBLISHED, actor=actor, action="seminar.publish")
        return seminar


def seminar_cancel(*, seminar: Seminar, reason: str, actor) -> Seminar:
    """Cancel the seminar (中止) and tell everyone registered (confirmed and waiting) why, with a
    calendar cancellation for those who hold a seat. The reason is required; left empty, the
    中止理由 staff saved on the seminar beforehand is used (it is never overwritten with nothing)."""
    with transaction.atomic():
        seminar = _lock_for_transition(seminar)
        reason = transition_check(
            seminar,
            Seminar.Status.CANCELLED,
            reason=(reason or "").strip() or seminar.cancel_reason,
        )
        registrations = list(
            Registration.objects.filter(
                seminar=seminar,
                status__in=[Registration.Status.CONFIRMED, Registration.Status.WAITING],
            ).select_related("seminar")
        )
        seminar.cancel_reason = reason
        transition(
            seminar,
            Seminar.Status.CANCELLED,
            actor=actor,
            reason=reason,
            action="seminar.cancel",
            changes={"notified": len(registrations)},
        )
        for registration in registrations:
            registration.seminar = seminar
            emails.send_seminar_cancelled(registration)
        return seminar


def seminar_finish(*, seminar: Seminar, actor, now=None) -> Seminar:
    """Close a seminar that has ended: confirmed registrants who were not checked in are
    recorded as no-shows, and the waiting list is cancelled."""
    now = now or clock.now()
    with transaction.atomic():
        seminar = _lock_for_transition(seminar)
        transition_check(seminar, Seminar.Status.FINISHED)
        if seminar.ends_at > now:
            raise DomainError(_("終了時刻より前には終了処理ができません。"), code="not_ended")
        registrations = Registration.objects.filter(seminar=seminar)
        no_shows = transition_many(
            registrations.filter(status=Registration.Status.CONFIRMED),
            Registration.Status.NO_SHOW,
            actor=actor,
            at=now,
            action="seminar_registration.no_show",
        )
        transition_many(
            registrations.filter(status=Registration.Status.WAITING),
            Registration.Status.CANCELLED,
            actor=actor,
            reason=FINISH_WAITLIST_CANCEL_REASON,
            at=now,
            action="seminar_registration.cancel",
            values={"waiting_position": None},
        )
        transition(
            seminar,
            Seminar.Status.FINISHED,
            actor=actor,
            at=now,
            action="seminar.finish",
            changes={"no_shows": len(no_shows)},
        )
        return seminar


# --- registration ---------------------------------------------------------------------------------


def seminar_cancel_preview(seminar: Seminar) -> dict:
    """Who a cancellation would tell: registrants holding a seat and on the waiting list."""
    counts = Registration.objects.filter(seminar=seminar).aggregate(
        confirmed=Count("pk", filter=Q(status=Registration.Status.CONFIRMED)),
        waiting=Count("pk", filter=Q(status=Registration.Status.WAITING)),
    )
    return {**counts, "total": counts["confirmed"] + counts["waiting"]}


def registration_is_open(seminar: Seminar, now=None) -> bool:
    now = now or clock.now()
    return (
        seminar.status == Seminar.Status.PUBLISHED
        and seminar.registration_opens_at <= now <= seminar.registration_closes_at
    )


def _lock_seminar(seminar_id: int) -> Seminar:
    """The seat lock: serialises every registration and cancellation of this seminar, so the
    seat count cannot change between reading it and inserting the new row
    (tests/seminars/test_race.py replaces it to show that without it seats are oversold)."""
    try:
        return Seminar.objects.select_for_update().get(pk=seminar_id)
    except Seminar.DoesNotExist:
        raise DomainError(_("このセミナーは見つかりませんでした。"), code="missing") from None


def _seats_taken(seminar: Seminar, attendance_format: str) -> int:
    return Registration.objects.filter(
        seminar=seminar, format=attendance_format, status__in=Registration.HOLDING_SEAT
    ).count()


def _next_waiting_position(seminar: Seminar, attendance_format: str) -> int:
    current = Registration.objects.filter(
        seminar=seminar, format=attendance_format, status=Registration.Status.WAITING
    ).aggregate(m=Max("waiting_position"))["m"]
    return (current or 0) + 1


def _company_count(seminar: Seminar, organisation) -> int:
    same = Q(organisation=organisation)
    if organisation.name_key:
        same |= Q(organisation__name_key=organisation.name_key)
    return Registration.objects.filter(
        same, seminar=seminar, status__in=Registration.ACTIVE
    ).count()


DUPLICATE_MESSAGE = _(
    "このメールアドレスでは、このセミナーにすでにお申込みいただいています。"
    "確認メールが見当たらない場合は、下の「確認メールを再送する」ボタンからお送りします。"
)
# The same refusals for a 説明会, in its words (one message per kind, never a noun pasted in).
MESSAGES = {
    "duplicate": {
        Seminar.Kind.SEMINAR: DUPLICATE_MESSAGE,
        Seminar.Kind.INFO_SESSION: _(
            "このメールアドレスでは、この説明会にすでにお申込みいただいています。"
            "確認メールが見当たらない場合は、下の「確認メールを再送する」ボタンからお送りします。"
        ),
    },
    "closed": {
        Seminar.Kind.SEMINAR: _(
            "このセミナーのお申込み受付は終了しているか、まだ開始していません。"
        ),
        Seminar.Kind.INFO_SESSION: _(
            "この説明会のお申込み受付は終了しているか、まだ開始していません。"
        ),
    },
    "format": {
        Seminar.Kind.SEMINAR: _("このセミナーでは選択された参加方法はご利用いただけません。"),
        Seminar.Kind.INFO_SESSION: _("この説明会では選択された参加方法はご利用いただけません。"),
    },
    "company_limit": {
        Seminar.Kind.SEMINAR: _(
            "このセミナーは1社あたり%(limit)s名までお申込みいただけます。"
            "同じ事業者からのお申込みがすでに上限に達しています。"
        ),
        Seminar.Kind.INFO_SESSION: _(
            "この説明会は1社あたり%(limit)s名までお申込みいただけます。"
            "同じ事業者からのお申込みがすでに上限に達しています。"
        ),
    },
}


def _message(code: str, seminar: Seminar):
    return MESSAGES[code][seminar.kind]


class SeatsFullError(DomainError):
    """The chosen format is full and the registrant did not agree to wait. ``alternatives`` are
    the other formats that still have seats (the form offers them, or the waiting list)."""

    def __init__(self, message, *, requested: str, alternatives: list[str]):
        super().__init__(message, code="full", field="format")
        self.requested = requested
        self.alternatives = alternatives


def _free_seats(seminar: Seminar, attendance_format: str) -> int:
    return seminar.seats_for(attendance_format) - _seats_taken(seminar, attendance_format)


def _full_error(seminar: Seminar, requested: str) -> SeatsFullError:
    label = Registration.Format(requested).label
    alternatives = [
        fmt
        for fmt in seminar.attendance_formats
        if fmt != requested and _free_seats(seminar, fmt) > 0
    ]
    if alternatives:
        message = _(
            "申し訳ありません。「%(format)s」は満席です。「%(other)s」には空席があります。"
            "参加方法を変更するか、キャンセル待ちへの登録をお選びください。"
        ) % {
            "format": label,
            "other": _("、").join(str(Registration.Format(f).label) for f in alternatives),
        }
    else:
        message = _(
            "申し訳ありません。%(format)sは満席になりました。"
            "キャンセル待ちをご希望の場合は「満席の場合はキャンセル待ちに登録する」に"
            "チェックを入れて、もう一度お申込みください。"
        ) % {"format": label}
    return SeatsFullError(message, requested=requested, alternatives=alternatives)


def registration_create(
    *,
    seminar_id: int,
    participant: dict,
    organisation_data: dict,
    join_waitlist: bool,
    actor,
    language: str = "ja",
    fallback_format: str | None = None,
    ask_before_waiting: bool = False,
    now=None,
) -> Registration:
    """Register a participant, deciding with the seminar row locked: a seat in the chosen format
    when one is free; else, when ``fallback_format`` is given (the registrant chose to switch), a
    seat there (``requested_format`` records the wish); else, only if they agreed
    (``join_waitlist``), a place on the chosen format's waiting list; else SeatsFullError naming
    the formats that still have seats. With ``ask_before_waiting`` that error is raised even
    with consent while another format has seats, so the form can offer the choice first. The
    per-company limit and the one registration per address are checked under the same lock."""
    now = now or clock.now()
    email = participant["email"].strip().lower()
    attendance_format = participant["format"]
    with transaction.atomic():
        # The registry row is written before the seminar lock is taken, to keep the serialised
        # part short; it is rolled back with everything else if the registration is refused.
        organisation = organisation_find_or_create(data=organisation_data, actor=actor)
        seminar = _lock_seminar(seminar_id)
        if not registration_is_open(seminar, now):
            raise DomainError(_message("closed", seminar), code="closed")
        offered = seminar.attendance_formats
        if attendance_format not in offered or (
            fallback_format is not None
            and (fallback_format not in offered or fallback_format == attendance_format)
        ):
            raise DomainError(_message("format", seminar), code="format", field="format")
        if Registration.objects.filter(
            seminar=seminar, email=email, status__in=Registration.ACTIVE
        ).exists():
            raise DomainError(_message("duplicate", seminar), code="duplicate", field="email")
        limit = seminar.seats_per_company
        if limit and _company_count(seminar, organisation) >= limit:
            raise DomainError(
                _message("company_limit", seminar) % {"limit": limit},
                code="company_limit",
                field="org_name",
            )
        # A new row starts in its first status (a seat, or the waiting list); every later move
        # goes through the workflow.
        requested_format = ""
        if _free_seats(seminar, attendance_format) > 0:
            initial = {"status": Registration.Status.CONFIRMED, "confirmed_at": now}
        elif fallback_format and _free_seats(seminar, fallback_format) > 0:
            requested_format, attendance_format = attendance_format, fallback_format
            initial = {"status": Registration.Status.CONFIRMED, "confirmed_at": now}
        elif join_waitlist and not (
            ask_before_waiting and _full_error(seminar, attendance_format).alternatives
        ):
            initial = {
                "status": Registration.Status.WAITING,
                "waiting_position": _next_waiting_position(seminar, attendance_format),
            }
        else:
            raise _full_error(seminar, attendance_format)
        registration = Registration(
            seminar=seminar,
            organisation=organisation,
            email=email,
            format=attendance_format,
            requested_format=requested_format,
            name=participant["name"],
            name_kana=participant["name_kana"],
            department=participant.get("department", ""),
            role=participant.get("role", ""),
            phone=participant.get("phone", ""),
            question=participant.get("question", ""),
            heard_from=participant.get("heard_from", ""),
            consent_at=now,
            privacy_notice_version=settings.PRIVACY_NOTICE_VERSION,
            language=language,
            checkin_code=checkin_code_unused(seminar),
            **initial,
        )
        try:
            with transaction.atomic():
                registration.save()
        except IntegrityError:
            raise DomainError(
                _message("duplicate", seminar), code="duplicate", field="email"
            ) from None
        audit_record(
            actor=actor,
            action="seminar_registration.create",
            obj=registration,
            changes={
                "status": registration.status,
                "format": attendance_format,
                **({"requested_format": requested_format} if requested_format else {}),
            },
        )
        emails.send_registration_received(registration)
        return registration


def registration_confirmation_resend(*, seminar: Seminar, email: str, actor) -> bool:
    """Send the confirmation (or waiting-list) email again with a fresh personal link."""
    with transaction.atomic():
        registration = (
            Registration.objects.select_related("seminar")
            .filter(seminar=seminar, email=email.strip().lower(), status__in=Registration.ACTIVE)
            .first()
        )
        if registration is None:
            return False
        emails.send_registration_received(registration, resent=True)
        audit_record(actor=actor, action="seminar_registration.resend", obj=registration)
        return True


def _lock_registration(registration_id: int) -> Registration:
    return (
        Registration.objects.select_for_update().select_related("seminar").get(pk=registration_id)
    )


def registration_cancel(
    *, registration: Registration, reason: str, actor, by_registrant: bool = False, now=None
) -> Registration:
    """Cancel a registration: the registrant through their own link (``by_registrant``, with
    SELF_CANCEL_REASON), or staff, whose reason the registrant is told. Either way the registrant
    gets an email (with a calendar cancellation if they held a seat), and a freed seat goes to
    the first on that format's waiting list."""
    now = now or clock.now()
    with transaction.atomic():
        seminar = _lock_seminar(registration.seminar_id)
        registration = _lock_registration(registration.pk)
        if seminar.status != Seminar.Status.PUBLISHED or seminar.starts_at <= now:
            raise DomainError(
                _("開催日時を過ぎたため、キャンセルの受付は終了しました。"), code="too_late"
            )
        held_seat = registration.holds_seat
        registration.waiting_position = None
        transition(
            registration,
            Registration.Status.CANCELLED,
            actor=actor,
            reason=reason,
            at=now,
            action="seminar_registration.cancel",
            changes={"by_registrant": by_registrant},
        )
        if by_registrant:
            emails.send_cancelled_ack(registration, held_seat=held_seat)
        else:
            emails.send_cancelled_by_staff(
                registration, held_seat=held_seat, reason=(reason or "").strip()
            )
        if held_seat:
            waitlist_fill(
                seminar=seminar, attendance_format=registration.format, actor=actor, now=now
            )
        return registration


def waitlist_fill(*, seminar: Seminar, attendance_format: str, actor, now=None) -> list:
    """Promote waiting registrants, first come first served, while seats are free. The caller
    holds the seminar lock (registration_cancel) or this takes it (staff raised the seats)."""
    now = now or clock.now()
    promoted = []
    with transaction.atomic():
        seminar = _lock_seminar(seminar.pk)
        if seminar.status != Seminar.Status.PUBLISHED or seminar.starts_at <= now:
            return promoted
        free = seminar.seats_for(attendance_format) - _seats_taken(seminar, attendance_format)
        if free <= 0:
            return promoted
        waiting = list(
            Registration.objects.select_for_update()
            .filter(seminar=seminar, format=attendance_format, status=Registration.Status.WAITING)
            .order_by("waiting_position", "pk")[:free]
        )
        for registration in waiting:
            registration.waiting_position = None
            registration.promoted_at = now
            transition(
                registration,
                Registration.Status.CONFIRMED,
                actor=actor,
                at=now,
                action="seminar_registration.promote",
            )
            registration.seminar = seminar
            emails.send_promoted(registration)
            promoted.append(registration)
        return promoted


def registration_check_in(*, registration: Registration, actor, now=None) -> Registration:
    """Mark a participant as attended (the tablet at the door)."""
    now = now or clock.now()
    with transaction.atomic():
        registration = _lock_registration(registration.pk)
        if registration.status == Registration.Status.ATTENDED:
            return registration  # a double tap is not an error
        _check_in_locked(registration, actor=actor, now=now, method="list")
        return registration


def _check_in_locked(registration: Registration, *, actor, now, method: str) -> None:
    transition(
        registration,
        Registration.Status.ATTENDED,
        actor=actor,
        at=now,
        action="seminar_registration.check_in",
        changes={"method": method},
    )


def checkin_code_unused(seminar: Seminar) -> str:
    """A short code no registration of ``seminar`` has; the caller holds the seminar lock."""
    while True:
        code = checkin_code_new()
        if not Registration.objects.filter(seminar=seminar, checkin_code=code).exists():
            return code


def checkin_input_normalise(value: str) -> tuple[str, str]:
    """What the door read or typed, as ``("code", "ABCDEFGH")`` for a short code (full-width,
    lower case, spaces and hyphens accepted) or ``("token", ...)`` for a QR code's token."""
    value = (value or "").strip()
    folded = "".join(
        char for char in unicodedata.normalize("NFKC", value).upper() if char.isalnum()
    )
    if len(folded) <= CHECKIN_CODE_LENGTH + 2:
        return "code", folded
    return "token", value


@dataclass(frozen=True)
class CheckInResult:
    registration: Registration
    message: str


class CheckInRefused(DomainError):
    """The door's code or token did not check anyone in; ``registration`` is the one it named,
    when it named one (the page shows who it was)."""

    def __init__(self, message, *, code: str, registration: Registration | None = None):
        super().__init__(message, code=code, field="code")
        self.registration = registration


def _checkin_find(seminar: Seminar, kind: str, value: str) -> Registration:
    if not value:
        raise CheckInRefused(_("受付コードを入力してください。"), code="empty")
    lookup = {"checkin_token": value} if kind == "token" else {"checkin_code": value}
    own = (
        Registration.objects.select_for_update()
        .select_related("seminar")
        .filter(**lookup, seminar=seminar, anonymised_at__isnull=True)
        .first()
    )
    if own is not None:
        return own
    other = (
        Registration.objects.select_related("seminar")
        .filter(**lookup, anonymised_at__isnull=True)
        .exclude(seminar=seminar)
        .first()
    )
    if other is not None:
        raise CheckInRefused(
            _("このコードは別のイベント（%(event)s）のものです。このイベントでは受付できません。")
            % {"event": other.seminar},
            code="other_event",
        )
    raise CheckInRefused(
        _("このコードのお申込みは見つかりません。コードをもう一度ご確認ください。"),
        code="unknown",
    )


def registration_check_in_by_code(*, seminar: Seminar, value: str, actor, now=None):
    """Check in the registration whose QR token or short code the door read: only one of this
    event, only once, and only one holding a seat. The registration row is locked, so two scans
    of the same code at once check in once (the second hears when the first was recorded).
    Returns a CheckInResult; raises CheckInRefused saying why nobody was checked in."""
    now = now or clock.now()
    kind, value = checkin_input_normalise(value)
    with transaction.atomic():
        registration = _checkin_find(seminar, kind, value)
        status = registration.status
        name = registration.name
        if status == Registration.Status.ATTENDED:
            at = timezone.localtime(registration.attended_at).strftime("%H:%M")
            raise CheckInRefused(
                _("%(name)s さんは %(time)s に受付済みです。") % {"name": name, "time": at},
                code="already",
                registration=registration,
            )
        if status == Registration.Status.CANCELLED:
            raise CheckInRefused(
                _("%(name)s さんのお申込みはキャンセル済みです。受付できません。") % {"name": name},
                code="cancelled",
                registration=registration,
            )
        if status == Registration.Status.WAITING:
            raise CheckInRefused(
                _("%(name)s さんはキャンセル待ちで、参加が確定していません。受付できません。")
                % {"name": name},
                code="waiting",
                registration=registration,
            )
        _check_in_locked(registration, actor=actor, now=now, method=kind)
        return CheckInResult(
            registration, _("%(name)s さんの出席を記録しました。") % {"name": name}
        )


def registration_check_in_undo(*, registration: Registration, actor) -> Registration:
    """Undo a check-in tapped by mistake (that is the reason the history records)."""
    with transaction.atomic():
        registration = _lock_registration(registration.pk)
        registration.attended_at = None
        transition(
            registration,
            Registration.Status.CONFIRMED,
            actor=actor,
            reason=CHECK_IN_UNDO_REASON,
            action="seminar_registration.check_in_undo",
        )
        return registration


# --- reminders and thanks -------------------------------------------------------------------------


def reminder_due_at(seminar: Seminar, kind: str) -> datetime.datetime:
    """When a reminder falls due: at the reminder hour (JST) on the 3rd business day before, or
    on the calendar day before."""
    hour = _setting("SEMINAR_REMINDER_HOUR", 9)
    if kind == REMINDER_EARLY:
        day = add_business_days(seminar.date_jst, -_setting("SEMINAR_REMINDER_BUSINESS_DAYS", 3))
    else:
        day = seminar.date_jst - datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=JST)


def reminder_handled(registration: Registration, seminar: Seminar, kind: str) -> bool:
    """Handled for the seminar's current date: a mark older than the due time belongs to an
    earlier date (the seminar was postponed) and no longer counts."""
    handled_at = getattr(registration, REMINDER_FIELDS[kind])
    return handled_at is not None and handled_at >= reminder_due_at(seminar, kind)


def registration_reminder_send(*, registration_id: int, kind: str, now=None, actor=None) -> bool:
    """Send one reminder if it is due and not yet handled; True when an email was written.

    The day-before reminder goes to everyone holding a seat on the day before, however recently
    they registered (the confirmation does not replace it). The earlier one is skipped for those
    confirmed after it fell due (the confirmation carried the same a short while ago; the
    day-before one follows) and once the day-before one is due."""
    now = now or clock.now()
    field = REMINDER_FIELDS[kind]
    with transaction.atomic():
        registration = _lock_registration(registration_id)
        seminar = registration.seminar
        due = reminder_due_at(seminar, kind)
        if (
            reminder_handled(registration, seminar, kind)
            or registration.status != Registration.Status.CONFIRMED
            or seminar.status != Seminar.Status.PUBLISHED
            or not due <= now < seminar.starts_at
        ):
            return False
        setattr(registration, field, now)
        if kind == REMINDER_EVE:
            # On the seminar day itself a 「明日のセミナー」 mail would be wrong.
            send = now < start_of_day(seminar.date_jst)
            if not reminder_handled(registration, seminar, REMINDER_EARLY):
                registration.reminder_early_at = now  # never send the earlier one after this
        else:
            send = (
                registration.confirmed_at is not None
                and registration.confirmed_at < due
                and now < reminder_due_at(seminar, REMINDER_EVE)
            )
        registration.save(update_fields=["reminder_early_at", "reminder_eve_at"])
        sent = send and emails.send_reminder(registration, kind=kind) is not None
        if sent:
            audit_record(
                actor=actor, action=f"seminar_registration.reminder_{kind}", obj=registration
            )
        return sent


def registrations_due_for_reminder(seminar: Seminar, kind: str):
    """Ids of confirmed registrations whose reminder of ``kind`` is not handled for the
    seminar's current date."""
    field = REMINDER_FIELDS[kind]
    due = reminder_due_at(seminar, kind)
    return Registration.objects.filter(
        Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": due}),
        seminar=seminar,
        status=Registration.Status.CONFIRMED,
    ).values_list("pk", flat=True)


def registration_thanks_send(*, registration_id: int, actor=None) -> bool:
    """The thank-you after the seminar, with the survey link and, when set, the archive."""
    with transaction.atomic():
        registration = _lock_registration(registration_id)
        if (
            registration.thanks_sent_at is not None
            or registration.seminar.status != Seminar.Status.FINISHED
            or registration.status
            not in (Registration.Status.ATTENDED, Registration.Status.NO_SHOW)
        ):
            return False
        registration.thanks_sent_at = clock.now()
        registration.save(update_fields=["thanks_sent_at"])
        sent = emails.send_thanks(registration) is not None
        if sent:
            audit_record(actor=actor, action="seminar_registration.thanks", obj=registration)
        return sent


# --- survey ---------------------------------------------------------------------------------------


SURVEY_OPEN = "open"
SURVEY_NOT_YET = "not_yet"
SURVEY_ANSWERED = "answered"
SURVEY_NOT_PARTICIPANT = "not_participant"
SURVEY_CANCELLED = "cancelled"
SURVEY_DISABLED = "disabled"
SURVEY_ANSWERING = (
    Registration.Status.CONFIRMED,
    Registration.Status.ATTENDED,
    Registration.Status.NO_SHOW,
)


def survey_availability(registration: Registration, now=None) -> str:
    """Whether the registrant may answer the survey now. It opens when the seminar ends (not when
    staff close it: online participants are never checked in at the door)."""
    now = now or clock.now()
    seminar = registration.seminar
    if not seminar.survey_enabled:
        return SURVEY_DISABLED
    if seminar.status == Seminar.Status.CANCELLED:
        return SURVEY_CANCELLED
    if registration.status not in SURVEY_ANSWERING:
        return SURVEY_NOT_PARTICIPANT
    if seminar.status not in (Seminar.Status.PUBLISHED, Seminar.Status.FINISHED) or (
        now < seminar.ends_at
    ):
        return SURVEY_NOT_YET
    if SurveyResponse.objects.filter(registration=registration).exists():
        return SURVEY_ANSWERED
    return SURVEY_OPEN


EXCLUSIVE_CHOICE_MESSAGE = _(
    "「%(choice)s」は、ほかの項目と一緒には選べません。どちらかをお選びください。"
)


def exclusive_choice_conflict(values, exclusive, labels) -> str | None:
    """The message for a multiple choice that combines an exclusive answer (特になし) with others,
    or None. Shared by the form (beside the field) and the service."""
    chosen = set(values or ())
    for value in exclusive:
        if value in chosen and len(chosen) > 1:
            return EXCLUSIVE_CHOICE_MESSAGE % {"choice": labels[value]}
    return None


def survey_submit(
    *,
    registration: Registration,
    satisfaction: int,
    usefulness: int,
    comment: str,
    actor,
    intentions: list[str] | None = None,
    now=None,
) -> SurveyResponse:
    """Record the participant's survey answers (once, after the seminar has ended)."""
    intentions = list(dict.fromkeys(intentions or ()))
    labels = dict(SurveyResponse.Intention.choices)
    with transaction.atomic():
        registration = _lock_registration(registration.pk)
        state = survey_availability(registration, now)
        if state == SURVEY_ANSWERED:
            raise DomainError(
                _("アンケートにはすでにご回答いただいています。ありがとうございました。"),
                code="answered",
            )
        if state != SURVEY_OPEN:
            raise DomainError(
                _("アンケートはセミナー終了後にご回答いただけます。"), code="not_finished"
            )
        if any(value not in labels for value in intentions):
            raise DomainError(
                _("選択肢の中からお選びください。"), code="intentions", field="intentions"
            )
        conflict = exclusive_choice_conflict(
            intentions, SurveyResponse.EXCLUSIVE_INTENTIONS, labels
        )
        if conflict:
            raise DomainError(conflict, code="contradictory", field="intentions")
        response = SurveyResponse.objects.create(
            registration=registration,
            satisfaction=satisfaction,
            usefulness=usefulness,
            intentions=intentions,
            comment=comment,
        )
        audit_record(actor=actor, action="seminar_survey.submit", obj=registration)
        return response


# --- configuration: seminars (the admin saves through these) -------------------------------------

SEMINAR_FIELDS = [
    "cohort",
    "fiscal_year",
    "number",
    "part",
    "title",
    "description",
    "lecturer",
    "starts_at",
    "ends_at",
    "format",
    "venue_name",
    "venue_address",
    "venue_map_url",
    "online_url",
    "venue_seats",
    "online_seats",
    "seats_per_company",
    "registration_opens_at",
    "registration_closes_at",
    "archive_url",
    "survey_enabled",
    # A reason may be prepared before the cancellation (the confirmation page offers it); once
    # cancelled, it is what the registrants were told and is read-only.
    "cancel_reason",
]
# What may still change once a seminar is over or cancelled: the archive and the survey.
SEMINAR_FIELDS_AFTER_THE_END = {"description", "archive_url", "survey_enabled"}


def seminar_validate(
    *, data: dict, instance: Seminar | None = None, kind: str | None = None
) -> None:
    """A seminar's times in order, registration closing before it starts, and no format or seat
    count below the registrations it already holds; a 説明会 names its cohort, a seminar none."""
    kind = instance.kind if instance is not None and instance.pk else kind or Seminar.Kind.SEMINAR
    if "cohort" in data or instance is None or not instance.pk:
        cohort = data.get("cohort")
        if kind == Seminar.Kind.INFO_SESSION and cohort is None:
            raise DomainError(
                _("説明会の対象となるスクールの期を選択してください。"),
                field="cohort",
                code="cohort",
            )
        if kind == Seminar.Kind.SEMINAR and cohort is not None:
            raise DomainError(
                _("セミナーにはスクールの期を設定できません。"), field="cohort", code="cohort"
            )
    year, number = data.get("fiscal_year"), data.get("number")
    if year and number:
        # 年度 + 回 are unique per kind (the form cannot check it: the kind is not one of its
        # fields, so the database constraint would be its only guard).
        same = Seminar.objects.filter(kind=kind, fiscal_year=year, number=number)
        if instance is not None and instance.pk:
            same = same.exclude(pk=instance.pk)
        if same.exists():
            raise DomainError(
                _("この年度の第%(number)s回はすでに登録されています。") % {"number": number}
                if kind == Seminar.Kind.SEMINAR
                else _("この年度の説明会の第%(number)s回はすでに登録されています。")
                % {"number": number},
                field="number",
                code="number_taken",
            )
    starts, ends = data.get("starts_at"), data.get("ends_at")
    opens, closes = data.get("registration_opens_at"), data.get("registration_closes_at")
    if starts and ends and ends <= starts:
        raise DomainError(
            _("終了日時は開始日時より後にしてください。"), field="ends_at", code="times"
        )
    if opens and closes and closes <= opens:
        raise DomainError(
            _("受付終了日時は受付開始日時より後にしてください。"),
            field="registration_closes_at",
            code="window",
        )
    if closes and starts and closes > starts:
        raise DomainError(
            _("受付終了日時は開始日時より前にしてください。"),
            field="registration_closes_at",
            code="closes_after_start",
        )
    if instance is None or not instance.pk:
        return
    if instance.status in (Seminar.Status.CANCELLED, Seminar.Status.FINISHED):
        changed = [
            name
            for name in SEMINAR_FIELDS
            if name in data and data[name] != getattr(instance, name)
        ]
        locked = [name for name in changed if name not in SEMINAR_FIELDS_AFTER_THE_END]
        if locked:
            raise DomainError(
                _(
                    "%(status)sのセミナーは、内容・アーカイブ動画URL・アンケートの設定だけ"
                    "変更できます。"
                )
                % {"status": instance.get_status_display()},
                field=locked[0],
                code="over",
            )
        return
    probe = Seminar(**{**{f: getattr(instance, f) for f in SEMINAR_FIELDS}, **data})
    for registration_format, _label in Registration.Format.choices:
        taken = _seats_taken(instance, registration_format)
        if not taken:
            continue
        if registration_format not in probe.attendance_formats:
            raise DomainError(
                _(
                    "%(format)sで参加が確定している方（%(count)d名）がいるため、その参加方法を"
                    "なくす開催形式には変更できません。"
                )
                % {"format": Registration.Format(registration_format).label, "count": taken},
                field="format",
                code="format_in_use",
            )
        if probe.seats_for(registration_format) < taken:
            field = (
                "venue_seats"
                if registration_format == Registration.Format.VENUE
                else "online_seats"
            )
            raise DomainError(
                _(
                    "参加が確定している方が%(count)d名いるため、定員を%(count)d名より少なく"
                    "できません。"
                )
                % {"count": taken},
                field=field,
                code="seats_below_taken",
            )


def seminar_create(*, data: dict, actor, kind: str = Seminar.Kind.SEMINAR) -> Seminar:
    """Register a seminar (or, with ``kind`` INFO_SESSION, a school 説明会 for its cohort) as a
    draft (下書き); it is opened to the public by seminar_publish."""
    seminar_validate(data=data, kind=kind)
    with transaction.atomic():
        seminar = Seminar(kind=kind, **{k: v for k, v in data.items() if k in SEMINAR_FIELDS})
        if kind == Seminar.Kind.INFO_SESSION and "survey_enabled" not in data:
            seminar.survey_enabled = False  # the seminar survey asks about harassment measures
        seminar.save()
        audit_record(actor=actor, action="seminar.create", obj=seminar)
        return seminar


def seminar_update(*, seminar: Seminar, data: dict, actor) -> tuple[Seminar, list]:
    """Change a seminar with its row locked (registrations count seats under the same lock);
    when seats were added, the waiting list moves up into them. Returns the seminar and the
    registrations promoted."""
    from kosha_portal.writes import assign_fields, audit_values, snapshot

    with transaction.atomic():
        locked = _lock_seminar(seminar.pk)
        seminar_validate(data={**snapshot(locked, SEMINAR_FIELDS), **data}, instance=locked)
        before = snapshot(locked, SEMINAR_FIELDS)
        changed = assign_fields(locked, data, SEMINAR_FIELDS)
        if not changed:
            return locked, []
        locked.save()
        audit_record(
            actor=actor,
            action="seminar.update",
            obj=locked,
            changes={
                "fields": changed,
                # The online link is given to confirmed participants only: not into the trail.
                "values": audit_values(before, locked, changed, hidden=("online_url",)),
            },
        )
        promoted = []
        if {"venue_seats", "online_seats", "format"} & set(changed):
            for attendance_format in locked.attendance_formats:
                promoted += waitlist_fill(
                    seminar=locked, attendance_format=attendance_format, actor=actor
                )
        return locked, promoted
