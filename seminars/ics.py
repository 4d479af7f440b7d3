"""The calendar file (.ics) attached to a confirmation: times carry TZID=Asia/Tokyo."""

import datetime

import icalendar
from django.utils import translation
from django.utils.translation import gettext as _

from kosha_portal import clock
from kosha_portal.japan.deadlines import JST

from .models import Registration


def registration_ics(registration: Registration) -> bytes:
    """An iCalendar file for a registrant whose seat is confirmed.

    The online URL goes into the file only for an online participant holding a seat. The text is
    in the registrant's language."""
    with translation.override(registration.language or "ja"):
        return _registration_ics(registration)


def _registration_ics(registration: Registration) -> bytes:
    seminar = registration.seminar
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Tokyo Metropolitan SME Support Center//kosha portal//JA")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", f"seminar-{seminar.pk}-registration-{registration.pk}@kosha-portal")
    event.add("dtstamp", clock.now().astimezone(datetime.UTC))
    event.add("dtstart", seminar.starts_at.astimezone(JST))
    event.add("dtend", seminar.ends_at.astimezone(JST))
    event.add("summary", _("【セミナー】%(seminar)s") % {"seminar": seminar})
    lines = [str(seminar)]
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
