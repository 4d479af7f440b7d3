import datetime

from django import forms
from django.contrib import admin, messages
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock
from kosha_portal.audit.admin import AuditedAdminMixin
from kosha_portal.errors import DomainError
from kosha_portal.service_admin import ServiceAdminMixin
from kosha_portal.workflow import allowed_targets

from . import services
from .forms import DecideForm, RejectForm
from .models import (
    Attestation,
    Dispatch,
    EligibilityItem,
    Expert,
    ProgramYear,
    Qualification,
    Visit,
)
from .pdf import completion_report_document, visit_report_document
from .selectors import organisation_name_duplicates


class DispatchDecideForm(DecideForm):
    """The decision form, with the confirmation staff give when unmerged rows share the company's
    normalised name (the field exists only then)."""

    def __init__(self, *args, duplicates=(), **kwargs):
        super().__init__(*args, **kwargs)
        if duplicates:
            self.fields["duplicates_confirmed_distinct"] = forms.BooleanField(
                label=_("同名の事業者とは別の事業者であることを確認済み"),
                required=False,
                help_text=_(
                    "同名の事業者：%(names)s。同一の事業者であれば、先に事業者の管理画面で統合してください。"
                )
                % {"names": "、".join(str(other) for other in duplicates)},
            )


class VisitFilter(admin.SimpleListFilter):
    """The desk home's links: dispatches with a visit report the company disputed, or a visit
    today or tomorrow (JST)."""

    title = _("各回の状況")
    parameter_name = "visit"

    def lookups(self, request, model_admin):
        return [
            ("disputed", _("事業者から異議のある実施報告")),
            ("today", _("本日の派遣")),
            ("tomorrow", _("明日の派遣")),
        ]

    def queryset(self, request, queryset):
        today = clock.today()
        days = {"today": today, "tomorrow": today + datetime.timedelta(days=1)}
        if self.value() == "disputed":
            visits = Visit.objects.filter(status=Visit.Status.DISPUTED)
        elif self.value() in days:
            visits = Visit.objects.filter(date=days[self.value()]).exclude(
                status=Visit.Status.CANCELLED
            )
        else:
            return queryset
        return queryset.filter(pk__in=visits.values("dispatch_id"))


class EligibilityItemInline(admin.TabularInline):
    model = EligibilityItem
    extra = 0


@admin.register(ProgramYear)
class ProgramYearAdmin(ServiceAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "label",
        "application_opens_at",
        "application_closes_at",
        "dispatch_period_ends_on",
        "visit_cap",
        "cap_scope",
    ]
    inlines = [EligibilityItemInline]

    def service_validate(self, request, data, instance):
        services.program_year_validate(data=data, instance=instance)

    def service_create(self, request, data, form):
        return services.program_year_create(data=data, actor=request.user)

    def service_update(self, request, obj, data, form):
        return services.program_year_update(program_year=obj, data=data, actor=request.user)


class ExpertAdminForm(forms.ModelForm):
    qualifications = forms.MultipleChoiceField(
        label=_("資格"),
        choices=Qualification.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = Expert
        fields = [
            "user",
            "name",
            "kana",
            "email",
            "phone",
            "qualifications",
            "fields_of_expertise",
            "active",
            "conflicts",
        ]


@admin.register(Expert)
class ExpertAdmin(ServiceAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    form = ExpertAdminForm
    list_display = ["name", "kana", "qualification_list", "active"]
    list_filter = ["active"]
    search_fields = ["name", "kana", "email", "fields_of_expertise"]
    filter_horizontal = ["conflicts"]
    autocomplete_fields = ["user"]
    readonly_fields = ["audit_history"]

    @admin.display(description=_("資格"))
    def qualification_list(self, obj):
        return "、".join(obj.qualification_labels)

    def service_validate(self, request, data, instance):
        services.expert_validate(data=data, instance=instance)

    def service_create(self, request, data, form):
        return services.expert_create(data=data, actor=request.user)

    def service_update(self, request, obj, data, form):
        return services.expert_update(expert=obj, data=data, actor=request.user)


class AttestationInline(admin.TabularInline):
    model = Attestation
    extra = 0
    can_delete = False
    fields = ["item", "attested", "attested_at", "checked_by", "checked_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class VisitInline(admin.TabularInline):
    model = Visit
    extra = 0
    can_delete = False
    fields = [
        "number",
        "status",
        "date",
        "mode",
        "place",
        "reported_at",
        "dispute_comment",
        "report_pdf",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("実施報告書"))
    def report_pdf(self, obj):
        if visit_report_document(obj) is None:
            return "-"
        return format_html(
            '<a href="{}">PDF</a>', reverse("dispatch:staff_visit_pdf", args=[obj.pk])
        )


@admin.register(Dispatch)
class DispatchAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "reference",
        "program_year",
        "organisation",
        "status",
        "expert",
        "applied_at",
        "decision_date",
    ]
    list_filter = ["status", VisitFilter, "program_year"]
    search_fields = ["reference", "organisation__name", "contact_name", "decision_number"]
    list_select_related = ["program_year", "organisation", "expert"]
    inlines = [AttestationInline, VisitInline]
    actions = ["check_attestations", "expire_ended"]
    readonly_fields = [
        "reference",
        "program_year",
        "organisation",
        "consultation",
        "status",
        "eligibility",
        "decision_buttons",
        "contact_name",
        "contact_email",
        "theme",
        "goals",
        "preferred_expert_type",
        "preferred_mode",
        "preferred_dates",
        "decision_date",
        "decision_number",
        "expert",
        "planned_visits",
        "decided_by",
        "duplicates_confirmed_distinct",
        "rejection_reason",
        "completion_summary",
        "completion_outcomes",
        "completion_pdf",
        "applied_at",
        "decided_at",
        "rejected_at",
        "completed_at",
        "closed_at",
        "withdrawn_at",
        "expired_at",
        "consent_at",
        "privacy_notice_version",
        "audit_history",
    ]
    exclude = ["eligibility_snapshot"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("要件の判定"))
    def eligibility(self, obj):
        result = services.dispatch_eligibility_now(obj)
        rows = format_html_join(
            "",
            "<li>{} <strong>{}</strong>：{}</li>",
            (
                ("✔" if r.passed else "✘" if r.blocking else "⚠", r.label, r.explanation)
                for r in result.rules
            ),
        )
        warnings = format_html_join(
            "", '<li class="errornote">{}</li>', ((w,) for w in result.warnings)
        )
        return format_html("<ul>{}{}</ul>", rows, warnings)

    @admin.display(description=_("決定"))
    def decision_buttons(self, obj):
        # The moves the model's map allows from the current status, and nothing else.
        pages = {
            Dispatch.Status.DECIDED: ("admin:dispatch_dispatch_decide", _("派遣決定")),
            Dispatch.Status.REJECTED: ("admin:dispatch_dispatch_reject", _("不採択")),
        }
        buttons = [pages[target] for target in allowed_targets(obj) if target in pages]
        if not buttons:
            return "-"
        return format_html_join(
            " ",
            '<a class="button" href="{}">{}</a>',
            ((reverse(url, args=[obj.pk]), label) for url, label in buttons),
        )

    @admin.display(description=_("派遣完了報告書"))
    def completion_pdf(self, obj):
        if completion_report_document(obj) is None:
            return "-"
        return format_html(
            '<a href="{}">PDF</a>', reverse("dispatch:staff_completion_pdf", args=[obj.pk])
        )

    @admin.action(description=_("確認事項の回答を確認済みにする"))
    def check_attestations(self, request, queryset):
        for dispatch in queryset:
            services.attestations_check(dispatch=dispatch, actor=request.user)
        messages.success(request, _("確認済みにしました。"))

    @admin.action(description=_("派遣期間が終了した派遣を期間満了にする"))
    def expire_ended(self, request, queryset):
        expired = 0
        for dispatch in queryset.order_by("pk"):
            try:
                services.dispatch_expire(dispatch=dispatch, actor=request.user)
            except DomainError as exc:
                messages.warning(
                    request,
                    _("%(ref)s：%(message)s") % {"ref": dispatch.reference, "message": exc.message},
                )
            else:
                expired += 1
        if expired:
            messages.success(request, _("%(count)d件を期間満了にしました。") % {"count": expired})

    def get_urls(self):
        return [
            path(
                "<int:pk>/decide/",
                self.admin_site.admin_view(self.decide_view),
                name="dispatch_dispatch_decide",
            ),
            path(
                "<int:pk>/reject/",
                self.admin_site.admin_view(self.reject_view),
                name="dispatch_dispatch_reject",
            ),
        ] + super().get_urls()

    def _decision_view(self, request, pk, form_class, title, run):
        dispatch = get_object_or_404(Dispatch, pk=pk)
        if not self.has_change_permission(request, dispatch):
            return redirect("admin:index")
        form = form_class(request.POST or None, dispatch=dispatch)
        if request.method == "POST" and form.is_valid():
            try:
                run(dispatch, form.cleaned_data)
            except DomainError as exc:
                exc.add_to_form(form)
            else:
                messages.success(request, _("%(title)sを登録し、通知しました。") % {"title": title})
                return redirect("admin:dispatch_dispatch_change", dispatch.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "dispatch": dispatch,
            "opts": self.model._meta,
            "eligibility": services.dispatch_eligibility_now(dispatch),
        }
        return TemplateResponse(request, "dispatch/admin/decision.html", context)

    def decide_view(self, request, pk):
        return self._decision_view(
            request,
            pk,
            lambda data, dispatch: DispatchDecideForm(
                data, duplicates=list(organisation_name_duplicates(dispatch.organisation))
            ),
            _("派遣決定"),
            lambda d, data: services.dispatch_decide(dispatch=d, actor=request.user, **data),
        )

    def reject_view(self, request, pk):
        return self._decision_view(
            request,
            pk,
            lambda data, dispatch: RejectForm(data),
            _("不採択"),
            lambda d, data: services.dispatch_reject(dispatch=d, actor=request.user, **data),
        )
