"""The one workflow helper: every status change of every stateful model goes through here.

A stateful model declares, beside its ``Status`` choices:

- ``TRANSITIONS``: ``{status: {statuses it may move to}}``, the one map of allowed moves;
- ``MILESTONES``: the timestamp field each move stamps, keyed by the target status or, where
  one move differs from the others into the same status, by a ``(from, to)`` pair (the pair
  wins; ``None`` means the move stamps nothing, e.g. undoing a check-in keeps the original
  confirmation time);
- ``REASON_REQUIRED``: the ``(from, to)`` pairs that are backward or destructive (withdrawal,
  cancellation, reopening): they are refused without a reason, and the reason is kept in the
  audit event the admin shows in the object's history.

Services lock the row, validate their own rules, set the fields that belong to the move, and call
:func:`transition` as the move's write; bulk moves use :func:`transition_many`. Nothing else in
the code base assigns ``.status`` or runs ``.update(status=...)`` (a test scans the source)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Model, QuerySet
from django.db.transaction import TransactionManagementError
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock
from kosha_portal.audit.services import audit_record
from kosha_portal.errors import DomainError


def allowed_targets(obj_or_model, status: str | None = None) -> list[str]:
    """The statuses a row (or a model's rows in ``status``) may move to, in the choices' order."""
    model, current = _model_of(obj_or_model), _current(obj_or_model, status)
    targets = model.TRANSITIONS.get(current, ())
    return [value for value in model.Status.values if value in targets]


def is_allowed(obj_or_model, to: str, status: str | None = None) -> bool:
    return to in allowed_targets(obj_or_model, status)


def reason_required(obj_or_model, to: str, status: str | None = None) -> bool:
    """Whether the move to ``to`` is backward or destructive and so needs a reason."""
    model, current = _model_of(obj_or_model), _current(obj_or_model, status)
    return (current, to) in getattr(model, "REASON_REQUIRED", ())


def milestone_field(model, current: str, to: str) -> str | None:
    milestones = getattr(model, "MILESTONES", {})
    if (current, to) in milestones:
        return milestones[(current, to)]
    return milestones.get(to)


def sources_for(model, to: str) -> list[str]:
    """The statuses from which a move to ``to`` is allowed."""
    return [status for status, targets in model.TRANSITIONS.items() if to in targets]


def transition_check(obj: Model, to: str, *, reason: str | None = None) -> str:
    """Refuse (with a DomainError) a move the model's map does not allow, or a backward move
    without a reason; returns the cleaned reason. Lets a service refuse before it does other
    work; :func:`transition` calls it again."""
    model = type(obj)
    current = obj.status
    target = model.Status(to)
    if not is_allowed(obj, target):
        raise DomainError(
            _("%(model)sの状態を「%(from)s」から「%(to)s」には変更できません。")
            % {
                "model": model._meta.verbose_name,
                "from": _label(model, current),
                "to": target.label,
            },
            code="transition",
        )
    reason = (reason or "").strip()
    if reason_required(obj, target) and not reason:
        raise DomainError(
            _("「%(to)s」にするには理由を入力してください。") % {"to": target.label},
            code="reason",
            field="reason",
        )
    return reason


def transition(
    obj: Model,
    to: str,
    *,
    actor,
    reason: str | None = None,
    at: datetime.datetime | None = None,
    action: str | None = None,
    changes: dict | None = None,
    audit: bool = True,
) -> str:
    """Move ``obj`` (locked by the caller, inside its transaction) to ``to``: check the model's
    map and reason rule, set ``status`` and the move's milestone (``at`` or now), save the row
    and record the audit event ``action`` with from/to/reason and ``changes``. Returns the
    status it came from.

    ``audit=False`` only for rows that are their own log and whose cause is audited elsewhere
    (outbox delivery, PDF rendering, a cell of a saved attendance grid)."""
    _require_transaction(obj)
    reason = transition_check(obj, to, reason=reason)
    model = type(obj)
    current = obj.status
    target = model.Status(to)
    at = at or clock.now()
    obj.status = target.value
    field = milestone_field(model, current, target)
    if field:
        setattr(obj, field, at)
    obj.save()
    if audit:
        audit_record(
            actor=actor,
            action=action or f"{model._meta.model_name}.status.{target.value}",
            obj=obj,
            changes={
                "from": current,
                "to": target.value,
                **({"reason": reason} if reason else {}),
                **(changes or {}),
            },
        )
    return current


def transition_many(
    queryset: QuerySet,
    to: str,
    *,
    actor,
    reason: str | None = None,
    at: datetime.datetime | None = None,
    action: str | None = None,
    changes: dict | None = None,
    values: dict | None = None,
) -> list[Model]:
    """Move every row of ``queryset`` whose current status allows it to ``to``; the others are
    left alone. The rows are locked (in primary-key order, so two bulk moves never deadlock),
    each gets its milestone and its own audit event; ``values`` are other fields set on each
    moved row (e.g. clearing a waiting-list position). Returns the moved rows."""
    model = queryset.model
    _require_transaction(queryset)
    at = at or clock.now()
    target = model.Status(to)
    rows = list(
        queryset.filter(status__in=sources_for(model, target))
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    for row in rows:
        for name, value in (values or {}).items():
            setattr(row, name, value)
        transition(row, target, actor=actor, reason=reason, at=at, action=action, changes=changes)
    return rows


def _label(model, status: str) -> str:
    try:
        return model.Status(status).label
    except ValueError:
        return status


def _model_of(obj_or_model):
    return obj_or_model if isinstance(obj_or_model, type) else type(obj_or_model)


def _current(obj_or_model, status: str | None) -> str:
    if status is not None:
        return status
    if isinstance(obj_or_model, type):
        raise TypeError("pass the status when asking a model (not a row) about its moves")
    return obj_or_model.status


def _require_transaction(obj_or_queryset) -> None:
    using = getattr(obj_or_queryset, "db", None) or getattr(
        getattr(obj_or_queryset, "_state", None), "db", None
    )
    if not transaction.get_connection(using).in_atomic_block:
        raise TransactionManagementError(
            "transition() must run inside the transaction in which the caller locked the row "
            "(select_for_update), or two requests could both move it."
        )
