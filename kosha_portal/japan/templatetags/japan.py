import datetime

from django import template
from django.utils import translation
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext as _

from ..fiscal import fiscal_year_label
from ..names import person_name
from ..phone import normalize_phone
from ..postal import normalize_postal_code
from ..wareki import format_date

register = template.Library()


@register.filter
def person(user):
    """``{{ user|person }}`` → 佐藤 一郎 (family name first)."""
    return person_name(user)


@register.filter
def wareki(value, arg=""):
    """``{{ date|wareki }}`` → 令和5年4月3日(月) in Japanese, ``Mon 3 April 2023`` in English (the
    active language: a page's, or the recipient's for an email); ``{{ date|wareki:"noweekday" }}``
    omits the day. Official documents render in Japanese, so they keep 和暦."""
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
    return format_date(value, weekday=arg != "noweekday")


@register.filter(needs_autoescape=True)
def ja(value, autoescape=True):
    """``{{ organisation.name|ja }}``: a Japanese passage (a name, a title, an address) inside a
    page in another language, marked ``<span lang="ja">`` so that it is read as Japanese
    (WCAG 3.1.2). On a Japanese page it is the text as it is. Element content only."""
    if value in (None, ""):
        return ""
    text = conditional_escape(value) if autoescape else value
    if (translation.get_language() or "ja").split("-")[0] == "ja":
        return text
    return format_html('<span lang="ja">{}</span>', text)


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
