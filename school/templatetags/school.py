import datetime

from django import template

register = template.Library()


@register.filter
def isodate(value):
    """A frozen PDF context keeps dates as ISO strings; ``{{ s|isodate|wareki }}`` prints them."""
    if isinstance(value, datetime.date):
        return value
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        return None


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if mapping else None
