import datetime

from django import template
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _

from ..fiscal import fiscal_year_label
from ..names import person_name
from ..phone import normalize_phone
from ..postal import normalize_postal_code
from ..wareki import format_wareki

register = template.Library()


@register.filter
def person(user):
    """``{{ user|person }}`` → 佐藤 一郎 (family name first)."""
    return person_name(user)


@register.filter
def wareki(value, arg=""):
    """``{{ date|wareki }}`` → 令和5年4月3日(月); ``{{ date|wareki:"noweekday" }}`` omits the day."""
    if not value:
        return ""
    if isinstance(value, str):
        # Frozen PDF contexts are JSON, so their dates arrive as ISO strings.
        try:
            value = parse_datetime(value) or parse_date(value)
        except ValueError:
            value = None
    if not isinstance(value, datetime.date):
        return ""
    return format_wareki(value, weekday=arg != "noweekday")


@register.filter
def nendo(value):
    """``{{ 2023|nendo }}`` → 令和5年度."""
    return fiscal_year_label(int(value)) if value not in (None, "") else ""


@register.filter
def phone(value):
    return normalize_phone(value or "") or value


@register.filter
def postal(value):
    return normalize_postal_code(value or "") or value


@register.filter
def yen(value):
    if value in (None, ""):
        return ""
    return _("%(amount)s円") % {"amount": f"{int(value):,}"}
