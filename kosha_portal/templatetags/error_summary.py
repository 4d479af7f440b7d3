from django import template
from django.utils.html import strip_tags

register = template.Library()


def _target_id(field) -> str:
    """The id the summary links to: the field's input, or a group's first input (a radio or
    checkbox group's label points nowhere: ``id_for_label`` is empty)."""
    if field.id_for_label:
        return field.id_for_label
    subwidgets = field.subwidgets
    if subwidgets:
        return subwidgets[0].data["attrs"].get("id", "") or field.auto_id
    return field.auto_id


def _in_display_order(form):
    """The bound fields in the order of the form's crispy layout if it has one (a layout may
    group fields differently from their declaration), else in the form's own order."""
    layout = getattr(getattr(form, "helper", None), "layout", None)
    names = [pointer.name for pointer in layout.get_field_names()] if layout else []
    names = [name for name in dict.fromkeys(names) if name in form.fields]
    names += [name for name in form.fields if name not in names]
    return [form[name] for name in names]


@register.simple_tag
def error_summary(form) -> dict:
    """What the error summary lists, in the order the form shows its fields.

    ``problems`` are the fields' errors, each with the id of the input to focus and a plain-text
    label (a field may give ``summary_label`` where its label holds a link, so the summary never
    nests one link in another); ``general`` are the errors of the whole form, which are listed but
    not counted as problems of a field."""
    problems, general = [], list(form.non_field_errors())
    for field in _in_display_order(form):
        if field.is_hidden:
            general.extend(field.errors)
            continue
        label = getattr(field.field, "summary_label", None) or strip_tags(str(field.label)).strip()
        problems.extend(
            {"target": _target_id(field), "label": label, "error": error} for error in field.errors
        )
    return {"problems": problems, "general": general, "count": len(problems)}
