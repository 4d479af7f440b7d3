from django import template
from django.utils.safestring import mark_safe

from ..charts import chart_svg as build_chart_svg

register = template.Library()


@register.filter
def figure(value):
    """A table cell as people read it: 1,234 / 83.3 / — for "no figure"."""
    if value is None or value == "":
        return "—" if value is None else ""
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".") if value % 1 else f"{value:,.0f}"
    return value


@register.filter
def is_number(value) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


@register.simple_tag
def chart_svg(chart):
    """The chart drawn as SVG on the server (for the PDF); built only from numbers and escaped
    labels."""
    return mark_safe(build_chart_svg(chart))  # noqa: S308
