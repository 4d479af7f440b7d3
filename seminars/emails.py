"""Every email the seminars app sends, written to the outbox inside the caller's transaction.

The online URL is put into a context only for a registrant who holds an online seat; templates
never read ``seminar.online_url`` themselves."""

from django.conf import settings

from kosha_portal.accounts.services import access_link_issue, access_link_url
from kosha_portal.mail.services import email_enqueue

from . import qr
from .ics import registration_cancel_ics, registration_ics
from .models import Registration

TEMPLATE = "seminars/emails/{}"
# A 説明会's mails: the same events, in the school's words and with the school's sign-off.
INFO_SESSION_TEMPLATE = "school/info_sessions/emails/{}"


def _template(registration: Registration, name: str) -> str:
    if registration.seminar.is_info_session:
        return INFO_SESSION_TEMPLATE.format(name)
    return TEMPLATE.format(name)


def _personal_url(registration: Registration) -> str:
    _link, token = access_link_issue(
        email=registration.email, organisation=None, target=registration
    )
    return access_link_url(token)


def _context(registration: Registration, **extra) -> dict:
    seminar = registration.seminar
    return {
        "registration": registration,
        "seminar": seminar,
        "online_url": seminar.online_url if registration.may_see_online_url else "",
        "personal_url": _personal_url(registration),
        "SCHOOL": settings.SCHOOL_CONTACT,
        **extra,
    }


def _enqueue(
    registration: Registration,
    name: str,
    *,
    dedupe_key: str | None = None,
    attachments=(),
    checkin_qr: bool = False,
    **extra,
):
    """``checkin_qr``: the mail shows the check-in QR code and short code (for a seat at the
    venue; templates show them when ``checkin_code`` is set)."""
    with_qr = checkin_qr and registration.shows_checkin_code
    context = _context(
        registration,
        checkin_code=registration.checkin_code_display if with_qr else "",
        checkin_qr_cid=qr.CONTENT_ID,
        **extra,
    )
    return email_enqueue(
        to=registration.email,
        template=_template(registration, name),
        context=context,
        language=registration.language,
        dedupe_key=dedupe_key,
        attachments=list(attachments),
        inline_images=(
            [(qr.CONTENT_ID, qr.FILENAME, qr.checkin_qr_png(registration), "image/png")]
            if with_qr
            else []
        ),
        related=registration,
    )


def _ics_name(registration: Registration, suffix: str = "") -> str:
    stem = "info-session" if registration.seminar.is_info_session else "seminar"
    return f"{stem}{suffix}.ics"


def _ics_attachment(registration: Registration):
    return [(_ics_name(registration), registration_ics(registration), "text/calendar")]


def _cancel_ics_attachment(registration: Registration, *, held_seat: bool, reason: str = ""):
    """Only a registrant who held a seat was sent the event; a waiting one has nothing to remove."""
    if not held_seat:
        return []
    return [
        (
            _ics_name(registration, "-cancelled"),
            registration_cancel_ics(registration, reason=reason),
            "text/calendar; method=CANCEL",
        )
    ]


def send_registration_received(registration: Registration, *, resent: bool = False):
    """Confirmation (with the .ics) for a seat, or the waiting-list acknowledgement."""
    if registration.holds_seat:
        return _enqueue(
            registration,
            "confirmation",
            attachments=_ics_attachment(registration),
            checkin_qr=True,
            resent=resent,
        )
    return _enqueue(registration, "waiting", resent=resent)


def send_promoted(registration: Registration):
    return _enqueue(
        registration,
        "promoted",
        attachments=_ics_attachment(registration),
        checkin_qr=True,
        dedupe_key=f"seminar:promoted:{registration.pk}",
    )


def send_cancelled_ack(registration: Registration, *, held_seat: bool):
    """The registrant cancelled through their personal link."""
    return _enqueue(
        registration,
        "cancelled",
        dedupe_key=f"seminar:cancelled:{registration.pk}",
        attachments=_cancel_ics_attachment(registration, held_seat=held_seat),
        held_seat=held_seat,
    )


def send_cancelled_by_staff(registration: Registration, *, held_seat: bool, reason: str):
    """The desk cancelled the registration: the registrant is told why."""
    return _enqueue(
        registration,
        "cancelled_by_staff",
        dedupe_key=f"seminar:cancelled:{registration.pk}",
        attachments=_cancel_ics_attachment(registration, held_seat=held_seat, reason=reason),
        reason=reason,
        held_seat=held_seat,
    )


def send_seminar_cancelled(registration: Registration):
    """The seminar itself was cancelled (中止): the reason, and the event out of the calendar."""
    seminar = registration.seminar
    return _enqueue(
        registration,
        "seminar_cancelled",
        dedupe_key=f"seminar:seminar-cancelled:{registration.pk}",
        attachments=_cancel_ics_attachment(
            registration, held_seat=registration.holds_seat, reason=seminar.cancel_reason
        ),
        reason=seminar.cancel_reason,
        held_seat=registration.holds_seat,
    )


def send_reminder(registration: Registration, *, kind: str):
    # The seminar's date is part of the key: a seminar moved to another day is reminded again.
    day = registration.seminar.date_jst.isoformat()
    return _enqueue(
        registration,
        "reminder",
        kind=kind,
        dedupe_key=f"seminar:reminder-{kind}:{registration.pk}:{day}",
    )


def send_thanks(registration: Registration):
    return _enqueue(
        registration,
        "thanks",
        attended=registration.status == Registration.Status.ATTENDED,
        dedupe_key=f"seminar:thanks:{registration.pk}",
    )
