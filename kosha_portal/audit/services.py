import hashlib

from django.contrib.contenttypes.models import ContentType
from django.utils.crypto import salted_hmac

from .labels import audit_label
from .models import AuditEvent

COMPANY_ACTOR_PREFIX = "company:"
ERASED_COMPANY_ACTOR = "company:erased"
# Keys of ``changes`` that may hold text typed by staff (a reason for a withdrawal or a
# reopening); they are blanked when the object they belong to is anonymised or erased.
FREE_TEXT_KEYS = ("reason",)
ERASED_TEXT = "（消去済み）"


def _normalised(email: str) -> str:
    return (email or "").strip().lower()


def company_actor(email: str) -> str:
    """The audit label of a company contact acting through a personal link: a keyed hash of the
    address (HMAC with the secret key, so a list of addresses cannot be matched against the
    trail), so the audit trail holds no personal data but one contact's actions still group."""
    digest = salted_hmac("kosha_portal.audit.company_actor", _normalised(email)).hexdigest()[:16]
    return f"{COMPANY_ACTOR_PREFIX}{digest}"


def company_actor_labels(email: str) -> list[str]:
    """Every label ``email`` has been recorded under (the keyed hash and the earlier plain
    SHA-256 one), for erasure."""
    legacy = hashlib.sha256(_normalised(email).encode("utf-8")).hexdigest()[:12]
    return [company_actor(email), f"{COMPANY_ACTOR_PREFIX}{legacy}"]


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor[:200]
    if getattr(actor, "is_authenticated", False):
        return actor.get_username()
    return "anonymous"


def audit_record(*, actor, action: str, obj=None, changes: dict | None = None) -> AuditEvent:
    """Record an audit event. ``actor`` is a user, a label such as ``"company:<hash>"``, or None
    for the system. ``obj`` is stored by type, id and its non-personal ``audit_label``; ``changes``
    must hold field names, codes, counts and ids, never a personal value. Call it inside the
    transaction that makes the change."""
    event = audit_event(actor=actor, action=action, obj=obj, changes=changes)
    event.save()
    return event


def audit_event(*, actor, action: str, obj=None, changes: dict | None = None) -> AuditEvent:
    """The unsaved event ``audit_record`` would save, for a write that saves it with its other rows
    (``kosha_portal.database.insert_together``)."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent(
        actor=user,
        actor_label=actor_label(actor),
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=audit_label(obj),
        changes=changes or {},
    )


def audit_events_for(obj):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")


def audit_forget(objects) -> int:
    """Once ``objects`` (of one model) are anonymised or erased: blank free-text values in their
    audit events and give their Django admin log entries the non-personal label. Returns the number
    of rows changed."""
    from django.contrib.admin.models import LogEntry

    objects = list(objects)
    if not objects:
        return 0
    content_type = ContentType.objects.get_for_model(objects[0])
    ids = [str(o.pk) for o in objects]
    changed = 0
    events = AuditEvent.objects.filter(content_type=content_type, object_id__in=ids)
    for key in FREE_TEXT_KEYS:
        for event in events.filter(changes__has_key=key).exclude(
            **{f"changes__{key}": ERASED_TEXT}
        ):
            event.changes[key] = ERASED_TEXT
            event.save(update_fields=["changes"])
            changed += 1
    for obj in objects:
        changed += (
            LogEntry.objects.filter(content_type=content_type, object_id=str(obj.pk))
            .exclude(object_repr=audit_label(obj))
            .update(object_repr=audit_label(obj))
        )
    return changed


def audit_forget_company_actor(email: str) -> int:
    """Replace the hashed label of a company contact whose data was erased."""
    return AuditEvent.objects.filter(actor_label__in=company_actor_labels(email)).update(
        actor_label=ERASED_COMPANY_ACTOR
    )
