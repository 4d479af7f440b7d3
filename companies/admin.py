from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from kosha_portal.audit.admin import AuditedAdminMixin
from kosha_portal.errors import DomainError

from .models import Organisation
from .services import organisation_duplicates, organisation_merge


class MergeForm(forms.Form):
    remove = forms.ModelChoiceField(
        queryset=Organisation.objects.all(),
        label=_("統合して削除する事業者"),
        help_text=_("この事業者の相談・申込・登録はすべて、いま表示している事業者に移ります。"),
    )


@admin.register(Organisation)
class OrganisationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "name_kana",
        "corporate_number",
        "kind",
        "industry",
        "prefecture",
        "municipality",
        "employees",
    ]
    list_filter = ["kind", "industry", "prefecture"]
    search_fields = ["name", "name_kana", "name_key", "corporate_number", "email", "phone"]
    readonly_fields = [
        "name_key",
        "sme_verdict_display",
        "duplicates",
        "audit_history",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "kind",
                    "name",
                    "name_kana",
                    "name_key",
                    "corporate_number",
                    "representative",
                ]
            },
        ),
        (
            _("所在地・連絡先"),
            {
                "fields": [
                    "postal_code",
                    "prefecture",
                    "prefecture_code",
                    "municipality",
                    "address",
                    "phone",
                    "email",
                ]
            },
        ),
        (
            _("事業内容・規模"),
            {
                "fields": [
                    "main_business",
                    "industry",
                    "capital_yen",
                    "employees",
                    "sme_verdict_display",
                ]
            },
        ),
        (_("重複の可能性"), {"fields": ["duplicates"]}),
        (_("操作履歴"), {"fields": ["audit_history", "created_at", "updated_at"]}),
    ]

    @admin.display(description=_("中小企業の判定"))
    def sme_verdict_display(self, obj):
        if not obj.pk:
            return "-"
        verdict = obj.sme_verdict()
        return f"{'○' if verdict.is_sme else '×'} {verdict.reason}（{verdict.rule_version}）"

    @admin.display(description=_("同じ法人番号・名称の事業者"))
    def duplicates(self, obj):
        if not obj.pk:
            return "-"
        others = list(organisation_duplicates(obj)[:20])
        if not others:
            return _("見つかりません。")
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a> {} — <a href="{}">{}</a></li>',
            (
                (
                    reverse("admin:companies_organisation_change", args=[o.pk]),
                    o.name,
                    o.corporate_number,
                    reverse("admin:companies_organisation_merge", args=[obj.pk])
                    + f"?remove={o.pk}",
                    _("この事業者に統合する"),
                )
                for o in others
            ),
        )
        return format_html("<ul>{}</ul>", rows)

    def get_urls(self):
        return [
            path(
                "<int:pk>/merge/",
                self.admin_site.admin_view(self.merge_view),
                name="companies_organisation_merge",
            ),
            *super().get_urls(),
        ]

    def merge_view(self, request, pk):
        keep = get_object_or_404(Organisation, pk=pk)
        # The merge deletes the other row, so it needs the delete permission as well.
        if not (self.has_change_permission(request, keep) and self.has_delete_permission(request)):
            return redirect("admin:index")
        form = MergeForm(request.POST or None, initial={"remove": request.GET.get("remove")})
        form.fields["remove"].queryset = Organisation.objects.exclude(pk=pk)
        if request.method == "POST" and form.is_valid():
            try:
                organisation_merge(
                    keep=keep, remove=form.cleaned_data["remove"], actor=request.user
                )
            except DomainError as error:
                form.add_error("remove", error.message)
            else:
                self.message_user(request, _("事業者を統合しました。"), messages.SUCCESS)
                return redirect("admin:companies_organisation_change", pk)
        context = {
            **self.admin_site.each_context(request),
            "form": form,
            "keep": keep,
            "opts": self.model._meta,
            "title": _("事業者の統合"),
        }
        return render(request, "admin/companies/organisation/merge.html", context)
