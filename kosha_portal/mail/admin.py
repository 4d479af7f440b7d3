from django.contrib import admin, messages
from django.template.defaultfilters import truncatechars
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import OutboundEmail
from .services import outbound_email_retry


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "status",
        "to",
        "subject",
        "attempts",
        "next_attempt_at",
        "last_error_short",
        "sent_at",
    ]
    list_filter = ["status", "template", "language"]
    search_fields = ["to", "subject"]
    date_hierarchy = "created_at"
    actions = ["retry"]
    readonly_fields = [
        "created_at",
        "status",
        "to",
        "reply_to",
        "language",
        "template",
        "subject",
        "body_text",
        "html_preview",
        "attachment_names",
        "headers",
        "dedupe_key",
        "message_id",
        "attempts",
        "claimed_at",
        "next_attempt_at",
        "last_error",
        "sent_at",
        "failed_at",
    ]
    exclude = ["body_html", "attachments", "content_type", "object_id"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("本文（HTML）"))
    def html_preview(self, obj):
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", obj.body_html)

    @admin.display(description=_("添付"))
    def attachment_names(self, obj):
        return ", ".join(item["filename"] for item in obj.attachments) or "-"

    @admin.display(description=_("最後のエラー"))
    def last_error_short(self, obj):
        return truncatechars(obj.last_error, 80) or "-"

    @admin.action(description=_("選択したメールを再送する"))
    def retry(self, request, queryset):
        count = skipped = 0
        for email in queryset:
            if outbound_email_retry(email=email, actor=request.user):
                count += 1
            else:
                skipped += 1
        if count:
            self.message_user(
                request, _("%(count)d件を再送待ちにしました。") % {"count": count}, messages.SUCCESS
            )
        if skipped:
            self.message_user(
                request,
                _("送信済みまたは送信中の%(count)d件は再送しませんでした。") % {"count": skipped},
                messages.WARNING,
            )
