"""The calendar files (.ics) the seminar emails carry: times carry TZID=Asia/Tokyo.

A confirmation carries ``METHOD:PUBLISH``; a cancellation (of the seminar, or of the registration)
carries ``METHOD:CANCEL`` with the same UID, ``STATUS:CANCELLED`` and a higher ``SEQUENCE``, so a
calendar that imported the first file removes the event when it reads the second (RFC 5545/5546)."""

import datetime
from email.utils import parseaddr

import icalendar
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from kosha_portal import clock
from kosha_portal.japan.deadlines import JST
from kosha_portal.japan.wareki import format_date

from .models import Registration

PUBLISH_SEQUENCE = 0
CANCEL_SEQUENCE = 1


def registration_ics(registration: Registration) -> bytes:
    """An iCalendar file for a registrant whose seat is confirmed.

    The online URL goes into the file only for an online participant holding a seat. The text is
    in the registrant's language."""
    with translation.override(registration.language or "ja"):
        return _registration_ics(registration)


def registration_cancel_ics(registration: Registration, *, reason: str = "") -> bytes:
    """The cancellation of the event :func:`registration_ics` published (same UID)."""
    with translation.override(registration.language or "ja"):
        return _registration_cancel_ics(registration, reason=reason)


def _calendar(method: str) -> icalendar.Calendar:
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Tokyo Metropolitan SME Support Center//kosha portal//JA")
    calendar.add("version", "2.0")
    calendar.add("method", method)
    return calendar


def _event(registration: Registration, *, sequence: int) -> icalendar.Event:
    seminar = registration.seminar
    event = icalendar.Event()
    event.add("uid", registration.ics_uid)
    event.add("sequence", sequence)
    event.add("dtstamp", clock.now().astimezone(datetime.UTC))
    event.add("dtstart", seminar.starts_at.astimezone(JST))
    event.add("dtend", seminar.ends_at.astimezone(JST))
    if seminar.is_info_session:
        event.add("summary", _("【説明会】%(seminar)s") % {"seminar": seminar})
    else:
        event.add("summary", _("【セミナー】%(seminar)s") % {"seminar": seminar})
    name, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    organizer = icalendar.vCalAddress(f"mailto:{address or settings.PROGRAM['email']}")
    organizer.params["cn"] = icalendar.vText(_("東京都中小企業振興公社"))
    event.add("organizer", organizer)
    attendee = icalendar.vCalAddress(f"mailto:{registration.email}")
    attendee.params["cn"] = icalendar.vText(registration.name)
    event.add("attendee", attendee)
    return event


def _when(seminar) -> str:
    """The date and time as the registrant reads them (和暦 in Japanese, Gregorian in English)."""
    starts, ends = seminar.starts_at.astimezone(JST), seminar.ends_at.astimezone(JST)
    return _("日時：%(date)s %(start)s〜%(end)s") % {
        "date": format_date(starts.date()),
        "start": f"{starts:%H:%M}",
        "end": f"{ends:%H:%M}",
    }


def _registration_ics(registration: Registration) -> bytes:
    seminar = registration.seminar
    calendar = _calendar("PUBLISH")
    event = _event(registration, sequence=PUBLISH_SEQUENCE)
    lines = [str(seminar), _when(seminar)]
    if seminar.lecturer:
        lines.append(_("講師：%(lecturer)s") % {"lecturer": seminar.lecturer})
    if registration.format == Registration.Format.ONLINE:
        if registration.may_see_online_url and seminar.online_url:
            event.add("location", seminar.online_url)
            lines.append(_("オンライン参加URL：%(url)s") % {"url": seminar.online_url})
        else:
            event.add("location", _("オンライン"))
    else:
        location = " ".join(x for x in (seminar.venue_name, seminar.venue_address) if x)
        event.add("location", location)
        if seminar.venue_map_url:
            lines.append(_("地図：%(url)s") % {"url": seminar.venue_map_url})
    event.add("description", "\n".join(lines))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _registration_cancel_ics(registration: Registration, *, reason: str) -> bytes:
    seminar = registration.seminar
    calendar = _calendar("CANCEL")
    event = _event(registration, sequence=CANCEL_SEQUENCE)
    event.add("status", "CANCELLED")
    event["summary"] = icalendar.vText(_("【中止・取消し】%(seminar)s") % {"seminar": seminar})
    lines = [str(seminar), _when(seminar)]
    if reason:
        lines.append(_("理由：%(reason)s") % {"reason": reason})
    event.add("description", "\n".join(lines))
    calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()
