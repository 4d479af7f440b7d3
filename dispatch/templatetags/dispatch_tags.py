"""Short visit dates for email subjects: 12月2日(水) in Japanese, Wed 2 December in English."""

import datetime

from django import template
from django.utils import formats
from django.utils.translation import get_language

register = template.Library()

_WEEKDAYS = "月火水木金土日"


@register.filter
def visit_day(value) -> str:
    """``{{ visit.date|visit_day }}`` → 12月2日(水) (English pages: Wed 2 December)."""
    if not isinstance(value, datetime.date):
        return ""
    if (get_language() or "ja").startswith("ja"):
        return f"{value.month}月{value.day}日({_WEEKDAYS[value.weekday()]})"
    return formats.date_format(value, "D j F")
