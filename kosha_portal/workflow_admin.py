"""The admin side of kosha_portal.workflow: the action bar's reason field, for admin actions whose
moves need a reason (中止, キャンセル, 受講決定後の見送り)."""

from django import forms
from django.contrib.admin.helpers import ActionForm


def reason_action_form(label) -> type[ActionForm]:
    """An action bar with a reason field beside the action select; the service refuses a move
    that needs a reason when it is left empty, and records it in the object's history."""
    return type(
        "ReasonActionForm",
        (ActionForm,),
        {"reason": forms.CharField(label=label, required=False, max_length=500)},
    )


def action_reason(request) -> str:
    return (request.POST.get("reason") or "").strip()
