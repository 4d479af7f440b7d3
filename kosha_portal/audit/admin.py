from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .describe import actor_display, describe, describe_events
from .models import AuditEvent
from .services import audit_events_for, audit_record

HISTORY_LIMIT = 100


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["created_at", "actor_name", "content_type", "object_repr", "description"]
    list_filter = ["action", "content_type"]
    search_fields = ["actor_label", "action", "object_repr", "object_id"]
    date_hierarchy = "created_at"
    list_select_related = ["content_type", "actor"]

    @admin.display(description=_("実行者"))
    def actor_name(self, obj):
        return actor_display(obj)

    @admin.display(description=_("内容"))
    def description(self, obj):
        return describe(obj, {})

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class AuditedAdminMixin:
    """Records every staff add/change made through the admin, naming the changed fields (values of
    personal fields are not copied into the audit trail), and shows the object's history."""

    audit_value_fields: tuple[str, ...] = ()  # non-personal fields whose old/new values are kept

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        changed = list(form.changed_data) if change else ["__created__"]
        if changed:
            details = {"fields": changed}
            for name in self.audit_value_fields:
                if name in form.changed_data:
                    details[name] = str(form.cleaned_data.get(name))
            audit_record(
                actor=request.user,
                action="admin.change" if change else "admin.add",
                obj=obj,
                changes=details,
            )

    def delete_model(self, request, obj):
        audit_record(actor=request.user, action="admin.delete", obj=obj)
        super().delete_model(request, obj)

    @admin.display(description=_("操作履歴"))
    def audit_history(self, obj):
        from django.template.loader import render_to_string

        if not obj or not obj.pk:
            return "-"
        described = describe_events(audit_events_for(obj)[:HISTORY_LIMIT])
        return render_to_string(
            "admin/audit_history.html",
            {
                "actions": [d for d in described if not d.is_access],
                "accesses": [d for d in described if d.is_access],
            },
        )
