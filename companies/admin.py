from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kosha_portal.audit.admin import AuditedAdminMixin
from kosha_portal.errors import DomainError
from kosha_portal.japan.templatetags.japan import yen
from kosha_portal.service_admin import ServiceAdminMixin

from .models import Organisation
from .services import (
    KEEP,
    ORGANISATION_FIELDS,
    REMOVE,
    merge_defaults,
    organisation_create,
    organisation_duplicate_dismiss,
    organisation_duplicates,
    organisation_merge,
    organisation_record_counts,
    organisation_update,
    organisation_validate,
)


class OrganisationAdminForm(forms.ModelForm):
    confirm_registry = forms.BooleanField(
        label=_("登記情報を確認済み"),
        required=False,
        help_text=_(
            "法人番号公表サイトや登記事項証明書で、名称・法人番号・所在地を確認した場合に"
            "チェックします。確認済みの事業者は、申込フォームの入力で空欄が補われることがなく、"
            "統合のときはこちらの値が優先されます。"
        ),
    )

    class Meta:
        model = Organisation
        fields = ORGANISATION_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["confirm_registry"].initial = bool(
            self.instance.pk and self.instance.registry_confirmed
        )
        self.fields["postal_code"].help_text = _(
            "郵便番号を変えると、都道府県・区市町村は郵便番号から入れ直します（同時に変えた場合は"
            "入力どおりに保存します）。"
        )


class DuplicateQueueFilter(admin.SimpleListFilter):
    title = _("重複の可能性")
    parameter_name = "duplicate"

    def lookups(self, request, model_admin):
        return [("pending", _("確認待ち"))]

    def queryset(self, request, queryset):
        if self.value() == "pending":
            return queryset.filter(possible_duplicate_of__isnull=False)
        return queryset


@admin.register(Organisation)
class OrganisationAdmin(ServiceAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    form = OrganisationAdminForm
    list_display = [
        "name",
        "name_kana",
        "corporate_number",
        "kind",
        "industry",
        "prefecture",
        "municipality",
        "employees",
        "duplicate_flag",
    ]
    list_filter = [DuplicateQueueFilter, "kind", "industry", "prefecture"]
    list_select_related = ["possible_duplicate_of"]
    search_fields = ["name", "name_kana", "name_key", "corporate_number", "email", "phone"]
    readonly_fields = [
        "name_key",
        "prefecture_code",
        "registry_confirmation",
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
                    "confirm_registry",
                    "registry_confirmation",
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

    # --- saves go through the registry's services ---------------------------------------------

    def service_data(self, form) -> dict:
        return {k: v for k, v in form.cleaned_data.items() if k in ORGANISATION_FIELDS}

    def service_validate(self, request, data, instance):
        organisation_validate(data=data, instance=instance)

    def service_create(self, request, data, form):
        return organisation_create(
            data=data,
            actor=request.user,
            confirmed=bool(form.cleaned_data.get("confirm_registry")),
        )

    def service_update(self, request, obj, data, form):
        return organisation_update(
            organisation=obj,
            data=data,
            actor=request.user,
            confirmed=bool(form.cleaned_data.get("confirm_registry")),
        )

    # --- displays -----------------------------------------------------------------------------

    @admin.display(description=_("登記情報の確認"))
    def registry_confirmation(self, obj):
        if not obj or not obj.registry_confirmed:
            return _("未確認")
        from kosha_portal.japan.names import person_name

        return gettext("%(date)s %(name)s が確認") % {
            "date": obj.registry_confirmed_at.strftime("%Y-%m-%d"),
            "name": person_name(obj.registry_confirmed_by) or gettext("（削除された職員）"),
        }

    @admin.display(description=_("中小企業の判定"))
    def sme_verdict_display(self, obj):
        if not obj.pk:
            return "-"
        verdict = obj.sme_verdict()
        return f"{'○' if verdict.is_sme else '×'} {verdict.reason}（{verdict.rule_version}）"

    @admin.display(description=_("重複の確認"), ordering="possible_duplicate_of")
    def duplicate_flag(self, obj):
        if not obj.possible_duplicate_of_id:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            _merge_url(obj.possible_duplicate_of_id, obj.pk),
            gettext("要確認（事業者ID %(pk)s と比較）") % {"pk": obj.possible_duplicate_of_id},
        )

    @admin.display(description=_("同じ事業者の可能性がある記録"))
    def duplicates(self, obj):
        if not obj.pk:
            return "-"
        flag = ""
        if obj.possible_duplicate_of_id:
            flag = format_html(
                '<p class="errornote">{} <a href="{}">{}</a></p>',
                gettext(
                    "申込フォームから登録された際、事業者ID %(pk)s と同じ事業者の可能性がある"
                    "とされました（%(basis)s）。"
                )
                % {"pk": obj.possible_duplicate_of_id, "basis": obj.get_duplicate_basis_display()},
                _merge_url(obj.possible_duplicate_of_id, obj.pk),
                gettext("2つの記録を比較する"),
            )
        others = list(organisation_duplicates(obj)[:20])
        if not others:
            return format_html("{}{}", flag, gettext("見つかりません。"))
        rows = format_html_join(
            "",
            '<li><a href="{}">{}</a>（{}）{} — <a href="{}">{}</a></li>',
            (
                (
                    reverse("admin:companies_organisation_change", args=[o.pk]),
                    o.name,
                    gettext("事業者ID %(pk)s") % {"pk": o.pk},
                    o.corporate_number,
                    _merge_url(obj.pk, o.pk),
                    gettext("比較して統合する"),
                )
                for o in others
            ),
        )
        return format_html("{}<ul>{}</ul>", flag, rows)

    # --- comparing and merging two records ----------------------------------------------------

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
        """Step 1: pick the other record. Step 2 (``?remove=<id>``): the two records side by
        side, one value per field chosen, then merge (or confirm they are different companies)."""
        keep = get_object_or_404(Organisation, pk=pk)
        # The merge deletes the other row, so it needs the delete permission as well.
        if not (self.has_change_permission(request, keep) and self.has_delete_permission(request)):
            return redirect("admin:index")
        context = {
            **self.admin_site.each_context(request),
            "keep": keep,
            "opts": self.model._meta,
            "title": _("事業者の比較・統合"),
        }
        pick = PickForm(request.GET if "remove" in request.GET else None, keep=keep)
        if not pick.is_valid():
            context.update(pick=pick, candidates=organisation_duplicates(keep)[:20])
            return render(request, "admin/companies/organisation/merge_pick.html", context)
        remove = pick.cleaned_data["remove"]
        form = MergeForm(request.POST or None, keep=keep, remove=remove)
        if request.method == "POST" and request.POST.get("decision") == "distinct":
            return self._dismiss(request, keep, remove)
        if request.method == "POST" and form.is_valid():
            try:
                merged = organisation_merge(
                    keep=keep, remove=remove, actor=request.user, choices=form.choices()
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                self.message_user(
                    request,
                    gettext(
                        "事業者ID %(removed)s を事業者ID %(kept)s に統合しました。"
                        "相談・申込・登録はすべて移り、選んだ値で保存しました。"
                    )
                    % {"removed": remove.pk, "kept": merged.pk},
                    messages.SUCCESS,
                )
                return redirect("admin:companies_organisation_change", merged.pk)
        context.update(
            form=form,
            remove=remove,
            rows=form.rows(),
            keep_counts=organisation_record_counts(keep),
            remove_counts=organisation_record_counts(remove),
            flagged=_flag_between(keep, remove),
            swap_url=_merge_url(remove.pk, keep.pk),
        )
        return render(request, "admin/companies/organisation/merge.html", context)

    def _dismiss(self, request, keep, remove):
        flagged = _flag_between(keep, remove)
        if not flagged:
            self.message_user(
                request, _("この2つの記録には重複の印が付いていません。"), messages.WARNING
            )
            return redirect(_merge_url(keep.pk, remove.pk))
        for organisation in flagged:
            organisation_duplicate_dismiss(organisation=organisation, actor=request.user)
        self.message_user(
            request,
            _("別の事業者であることを記録し、重複の確認待ちから外しました。"),
            messages.SUCCESS,
        )
        return redirect("admin:companies_organisation_change", flagged[0].pk)


def _merge_url(keep_pk: int, remove_pk: int) -> str:
    return reverse("admin:companies_organisation_merge", args=[keep_pk]) + f"?remove={remove_pk}"


def _flag_between(a: Organisation, b: Organisation) -> list[Organisation]:
    return [o for o, other in ((a, b), (b, a)) if o.possible_duplicate_of_id == other.pk]


class PickForm(forms.Form):
    remove = forms.IntegerField(
        label=_("比較する事業者のID"),
        min_value=1,
        help_text=_("事業者一覧や相談画面に表示される事業者IDです。"),
        error_messages={"required": _("比較する事業者のIDを入力してください。")},
    )

    def __init__(self, *args, keep: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep = keep

    def clean_remove(self):
        pk = self.cleaned_data["remove"]
        if pk == self.keep.pk:
            raise forms.ValidationError(_("同じ事業者同士は統合できません。"))
        other = Organisation.objects.filter(pk=pk).first()
        if other is None:
            raise forms.ValidationError(_("このIDの事業者は見つかりません。"))
        return other


def _display(organisation: Organisation, name: str) -> str:
    value = getattr(organisation, name)
    if value in ("", None):
        return gettext("（空欄）")
    if name in ("kind", "industry"):
        return str(getattr(organisation, f"get_{name}_display")())
    if name == "capital_yen":
        return yen(value)
    if name == "employees":
        return gettext("%(count)s名") % {"count": value}
    return str(value)


class MergeForm(forms.Form):
    """One radio pair per field on which the two records differ; the proposal follows
    ``merge_defaults``. 法人番号 is never a choice: the record that has one gives it."""

    confirm = forms.BooleanField(
        label=_("統合すると、右側の記録は削除され、元に戻せないことを確認しました。"),
        error_messages={"required": _("統合する前に、確認の欄にチェックを入れてください。")},
    )

    def __init__(self, *args, keep: Organisation, remove: Organisation, **kwargs):
        super().__init__(*args, **kwargs)
        self.keep, self.remove = keep, remove
        self.defaults = merge_defaults(keep, remove)
        self.differing = [
            name
            for name in ORGANISATION_FIELDS
            if name != "corporate_number" and getattr(keep, name) != getattr(remove, name)
        ]
        for name in self.differing:
            self.fields[f"pick_{name}"] = forms.ChoiceField(
                label=Organisation._meta.get_field(name).verbose_name,
                choices=[(KEEP, _display(keep, name)), (REMOVE, _display(remove, name))],
                initial=self.defaults[name],
                widget=forms.RadioSelect,
                required=False,
            )

    def choices(self) -> dict[str, str]:
        return {
            name: self.cleaned_data.get(f"pick_{name}") or self.defaults[name]
            for name in self.differing
        }

    def rows(self) -> list[dict]:
        rows = []
        for name in ORGANISATION_FIELDS:
            row = {
                "label": Organisation._meta.get_field(name).verbose_name,
                "keep": _display(self.keep, name),
                "remove": _display(self.remove, name),
                "field": self[f"pick_{name}"] if name in self.differing else None,
                "note": "",
            }
            if name == "corporate_number" and self.keep.corporate_number != (
                self.remove.corporate_number
            ):
                row["note"] = gettext("法人番号は、入力されている方の番号を必ず残します。")
            rows.append(row)
        return rows
