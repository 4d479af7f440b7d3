from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import GeneratedDocument


@admin.register(GeneratedDocument)
class GeneratedDocumentAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "kind",
        "filename",
        "status",
        "attempts",
        "page_count",
        "size_bytes",
        "download",
    ]
    list_filter = ["kind", "status"]
    search_fields = ["filename"]
    readonly_fields = [f.name for f in GeneratedDocument._meta.fields if f.name != "context"]
    exclude = ["context"]

    def has_add_permission(self, request):
        return False

    @admin.display(description=_("ダウンロード"))
    def download(self, obj):
        if obj.status != GeneratedDocument.Status.READY:
            return "-"
        url = reverse("documents:staff_download", args=[obj.uuid])
        return format_html('<a href="{}">{}</a>', url, _("PDF"))
