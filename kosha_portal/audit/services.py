import hashlib

from django.contrib.contenttypes.models import ContentType

from .models import AuditEvent


def company_actor(email: str) -> str:
    """The audit label of a company contact acting through a personal link: a hash of the
    address, so the audit trail holds no personal data but one contact's actions still group."""
    digest = hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:12]
    return f"company:{digest}"


def actor_label(actor) -> str:
    if actor is None:
        return "system"
    if isinstance(actor, str):
        return actor[:200]
    if getattr(actor, "is_authenticated", False):
        return actor.get_username()
    return "anonymous"


def audit_record(*, actor, action: str, obj=None, changes: dict | None = None) -> AuditEvent:
    """Record an audit event. ``actor`` is a user, a label such as ``"company:<email hash>"``, or
    None for the system. Call it inside the transaction that makes the change."""
    user = actor if getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=actor_label(actor),
        action=action,
        content_type=ContentType.objects.get_for_model(obj) if obj is not None else None,
        object_id=str(obj.pk) if obj is not None else "",
        object_repr=str(obj)[:200] if obj is not None else "",
        changes=changes or {},
    )


def audit_events_for(obj):
    return AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk)
    ).select_related("actor")
