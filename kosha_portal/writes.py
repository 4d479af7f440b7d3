"""Small pieces the create/update services of configuration records share (program years,
experts, cohorts, seminars): copy the given fields onto a locked row and say what changed."""

from django.db.models import Model


def _comparable(value):
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, (list, tuple, set)) or hasattr(value, "model"):
        return sorted(v.pk if isinstance(v, Model) else v for v in value)
    return value


def assign_fields(obj: Model, data: dict, names) -> list[str]:
    """Set on ``obj`` every field of ``names`` that ``data`` holds and that differs; return the
    changed names (many-to-many fields are left to ``assign_many``)."""
    changed = []
    for name in names:
        if name not in data:
            continue
        field = obj._meta.get_field(name)
        if field.many_to_many:
            continue
        if _comparable(getattr(obj, name)) != _comparable(data[name]):
            setattr(obj, name, data[name])
            changed.append(name)
    return changed


def assign_many(obj: Model, data: dict, names) -> list[str]:
    """Set the many-to-many fields of ``names`` that ``data`` holds (the row must be saved)."""
    changed = []
    for name in names:
        if name not in data or not obj._meta.get_field(name).many_to_many:
            continue
        wanted = list(data[name] or [])
        manager = getattr(obj, name)
        if sorted(manager.values_list("pk", flat=True)) != sorted(o.pk for o in wanted):
            manager.set(wanted)
            changed.append(name)
    return changed


def audit_values(before: dict, obj: Model, changed, *, hidden=()) -> dict:
    """``{field: [old, new]}`` for the changed fields whose values the audit trail may keep."""
    values = {}
    for name in changed:
        if name in hidden or name not in before:
            continue
        old, new = before[name], getattr(obj, name)
        values[name] = [_plain(old), _plain(new)]
    return values


def snapshot(obj: Model, names) -> dict:
    return {
        name: getattr(obj, name) for name in names if not obj._meta.get_field(name).many_to_many
    }


def _plain(value):
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, Model):
        return value.pk
    if isinstance(value, list):
        return value
    return str(value)
