from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from .models import AccessLink
from .services import access_link_revoke


@admin.register(AccessLink)
class AccessLinkAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "email",
        "organisation",
        "content_type",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    list_filter = ["content_type"]
    search_fields = ["email", "organisation__name"]
    list_select_related = ["organisation", "content_type"]
    readonly_fields = [
        "created_at",
        "email",
        "organisation",
        "content_type",
        "object_id",
        "expires_at",
        "revoked_at",
        "last_used_at",
    ]
    exclude = ["token_hash"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("選択したリンクを無効にする"))
    def revoke(self, request, queryset):
        for link in queryset.filter(revoked_at__isnull=True):
            access_link_revoke(link=link, actor=request.user)
        self.message_user(request, _("リンクを無効にしました。"), messages.SUCCESS)
