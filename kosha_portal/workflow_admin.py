"""The admin side of kosha_portal.workflow: the action bar's reason field, and the confirmation
page that every backward or destructive admin action shows before it runs (中止, 見送り)."""

from django import forms
from django.contrib.admin import helpers
from django.contrib.admin.helpers import ActionForm
from django.template.response import TemplateResponse


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


def action_confirmed(request) -> bool:
    return request.POST.get("confirmed") == "yes"


def confirm_action_page(
    modeladmin,
    request,
    queryset,
    *,
    title,
    explanation,
    button,
    reason_label,
    reason_required=True,
    rows=None,
):
    """The page an admin action shows before it runs: what is selected, what will happen and
    who is told, and the reason (kept in each object's history). Posting it runs the action
    again with ``confirmed=yes`` (this returns ``None`` then; the services refuse a move whose
    reason is missing, with their own message)."""
    if action_confirmed(request):
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "explanation": explanation,
        "button": button,
        "reason_label": reason_label,
        "reason_required": reason_required,
        "reason": action_reason(request),
        "rows": rows if rows is not None else [str(obj) for obj in queryset],
        "queryset": queryset,
        "opts": modeladmin.model._meta,
        "action": request.POST.get("action", ""),
        "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        "select_across": request.POST.get("select_across", "0"),
        "index": request.POST.get("index", "0"),
    }
    return TemplateResponse(request, "admin/confirm_reason_action.html", context)
