import datetime

from django import forms
from django.contrib import admin, messages
from django.db.models import Avg, Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from kosha_portal import clock
from kosha_portal.audit.admin import AuditedAdminMixin
from kosha_portal.errors import DomainError
from kosha_portal.japan.wareki import format_wareki
from kosha_portal.service_admin import ServiceAdminMixin
from kosha_portal.workflow import allowed_targets

from . import services
from .forms import CompletionAllowForm, DecideForm, RejectForm, StaffVisitCancelForm
from .models import (
    Attestation,
    Dispatch,
    EligibilityItem,
    Expert,
    ProgramYear,
    Qualification,
    Survey,
    Visit,
)
from .pdf import completion_report_document, visit_documents
from .selectors import (
    organisation_name_duplicates,
    staff_visit_get,
    survey_averages_by_year,
    visits_numbered,
)


def _survey_summary(year) -> str:
    if not year.survey_count:
        return "-"
    return _("%(avg).1f（%(count)d件）") % {
        "avg": year.satisfaction_avg,
        "count": year.survey_count,
    }


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
        "survey_average",
    ]
    readonly_fields = ["survey_results"]
    inlines = [EligibilityItemInline]

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(
                survey_count=Count("dispatches__survey"),
                satisfaction_avg=Avg("dispatches__survey__satisfaction"),
            )
        )

    @admin.display(description=_("アンケートの満足度（平均）"))
    def survey_average(self, obj):
        return _survey_summary(obj)

    @admin.display(description=_("派遣後アンケートの集計"))
    def survey_results(self, obj):
        if obj is None or not obj.pk:
            return "-"
        year = next(y for y in survey_averages_by_year() if y.pk == obj.pk)
        return format_html(
            '<p>{}</p><ul>{}</ul><p><a href="{}">{}</a></p>',
            _("満足度（5段階）の平均：%(summary)s") % {"summary": _survey_summary(year)},
            format_html_join("", "<li>{}：{}</li>", year.introduced_counts),
            reverse("admin:dispatch_survey_changelist")
            + f"?dispatch__program_year__id__exact={obj.pk}",
            _("回答の一覧"),
        )

    audit_value_fields = (
        "application_opens_at",
        "application_closes_at",
        "dispatch_period_ends_on",
        "visit_cap",
        "cap_scope",
    )

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
        "ordinal",
        "status",
        "date",
        "mode",
        "place",
        "reported_at",
        "confirmed_at",
        "dispute_comment",
        "cancel_reason",
        "report_pdf",
        "visit_actions",
    ]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        # Numbered per dispatch in one query (the inline reads one dispatch's visits).
        return visits_numbered(super().get_queryset(request))

    def get_formset(self, request, obj=None, **kwargs):
        formset = super().get_formset(request, obj, **kwargs)
        self._documents = visit_documents(obj.visits.all()) if obj else {}
        return formset

    @admin.display(description=_("回"))
    def ordinal(self, obj):
        if obj.number is None:
            return _("（取消し）")
        return _("第%(number)d回") % {"number": obj.number}

    @admin.display(description=_("実施報告書"))
    def report_pdf(self, obj):
        state = getattr(self, "_documents", {}).get(obj.pk) or {}
        if state.get("ready") is None:
            return _("作成中") if state.get("pending") else "-"
        return format_html(
            '<a href="{}">PDF</a>', reverse("dispatch:staff_visit_pdf", args=[obj.pk])
        )

    @admin.display(description=_("操作"))
    def visit_actions(self, obj):
        if obj.status != Visit.Status.SCHEDULED:
            return "-"
        return format_html(
            '<a class="button" href="{}">{}</a>',
            reverse("admin:dispatch_dispatch_visit_cancel", args=[obj.dispatch_id, obj.pk]),
            _("日程を取り消す"),
        )


class SurveyInline(admin.StackedInline):
    model = Survey
    extra = 0
    can_delete = False
    fields = ["satisfaction", "introduced_labels", "comment", "submitted_at"]
    readonly_fields = fields
    verbose_name = _("派遣後アンケートの回答")
    verbose_name_plural = _("派遣後アンケートの回答")

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("導入した取組"))
    def introduced_labels(self, obj):
        return _introduced_labels(obj)


def _introduced_labels(survey) -> str:
    labels = dict(Survey.Introduced.choices)
    return "、".join(str(labels.get(code, code)) for code in survey.introduced) or "-"


@admin.register(Survey)
class SurveyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The companies' answers, read-only, with the averages per program year above the list."""

    list_display = [
        "dispatch",
        "program_year",
        "satisfaction",
        "introduced_list",
        "comment",
        "submitted_at",
    ]
    list_filter = ["dispatch__program_year", "satisfaction"]
    list_select_related = ["dispatch__organisation", "dispatch__program_year"]
    search_fields = ["dispatch__reference", "dispatch__organisation__name", "comment"]
    fields = ["dispatch", "satisfaction", "introduced_list", "comment", "submitted_at"]
    readonly_fields = fields
    change_list_template = "dispatch/admin/survey_changelist.html"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("年度"), ordering="dispatch__program_year__fiscal_year")
    def program_year(self, obj):
        return obj.dispatch.program_year.label

    @admin.display(description=_("導入した取組"))
    def introduced_list(self, obj):
        return _introduced_labels(obj)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "years": survey_averages_by_year()}
        return super().changelist_view(request, extra_context)


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
    inlines = [AttestationInline, VisitInline, SurveyInline]
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
        "contact_phone",
        "share_description_with_expert",
        "company_data",
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
        "withdrawal_reason",
        "completion_summary",
        "completion_outcomes",
        "completion_override",
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
    exclude = [
        "eligibility_snapshot",
        "company_data_supplied",
        "company_data_supplied_by",
        "company_data_supplied_at",
        "completion_override_reason",
        "completion_override_by",
        "completion_override_at",
    ]

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

    @admin.display(description=_("申込時に補っていただいた事業者情報"))
    def company_data(self, obj):
        if not obj.company_data_supplied:
            return "-"
        labels = {
            "industry": _("業種区分"),
            "employees": _("常時使用する従業員数"),
            "capital_yen": _("資本金（円）"),
        }
        return format_html(
            "<ul>{}</ul><p>{}</p>",
            format_html_join(
                "",
                "<li>{}：{}</li>",
                (
                    (labels.get(k, k), f"{v:,}" if isinstance(v, int) else v)
                    for k, v in obj.company_data_supplied.items()
                ),
            ),
            _("%(by)s が%(at)sに入力")
            % {
                "by": obj.company_data_supplied_by,
                "at": format_wareki(obj.company_data_supplied_at)
                if obj.company_data_supplied_at
                else "-",
            },
        )

    @admin.display(description=_("企業確認を待たない完了報告"))
    def completion_override(self, obj):
        if obj.completion_override_at:
            return _("%(at)sに%(by)sが認めました。理由：%(reason)s") % {
                "at": format_wareki(obj.completion_override_at),
                "by": obj.completion_override_by or _("職員"),
                "reason": obj.completion_override_reason,
            }
        if obj.status != Dispatch.Status.DECIDED:
            return "-"
        unconfirmed = services.dispatch_completion_blockers(obj)["unconfirmed"]
        if not unconfirmed:
            return _("企業の確認を待っている回はありません。")
        return format_html(
            '{} <a class="button" href="{}">{}</a>',
            ngettext(
                "企業の確認を待っている回が%(count)d回あります。",
                "企業の確認を待っている回が%(count)d回あります。",
                len(unconfirmed),
            )
            % {"count": len(unconfirmed)},
            reverse("admin:dispatch_dispatch_completion_allow", args=[obj.pk]),
            _("確認を待たずに完了報告を認める"),
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
            path(
                "<int:pk>/visits/<int:visit_id>/cancel/",
                self.admin_site.admin_view(self.visit_cancel_view),
                name="dispatch_dispatch_visit_cancel",
            ),
            path(
                "<int:pk>/allow-completion/",
                self.admin_site.admin_view(self.completion_allow_view),
                name="dispatch_dispatch_completion_allow",
            ),
        ] + super().get_urls()

    def _decision_view(self, request, pk, form_class, title, run, consequences=()):
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
            "consequences": [
                line % {"company": dispatch.organisation.name} for line in consequences
            ],
        }
        return TemplateResponse(request, "dispatch/admin/decision.html", context)

    def _action_view(self, request, pk, *, form_class, title, intro, consequences, run, done):
        """A confirmation page: what will happen and to whom, the reason, then the service."""
        dispatch = get_object_or_404(Dispatch, pk=pk)
        if not self.has_change_permission(request, dispatch):
            return redirect("admin:index")
        form = form_class(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                run(dispatch, form.cleaned_data)
            except DomainError as exc:
                exc.add_to_form(form)
            else:
                messages.success(request, done)
                return redirect("admin:dispatch_dispatch_change", dispatch.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "form": form,
            "dispatch": dispatch,
            "opts": self.model._meta,
            "intro": intro,
            "consequences": consequences,
        }
        return TemplateResponse(request, "dispatch/admin/action.html", context)

    def visit_cancel_view(self, request, pk, visit_id):
        visit = staff_visit_get(dispatch_id=pk, visit_id=visit_id)
        if visit.status != Visit.Status.SCHEDULED:
            messages.info(request, _("この回は取り消すことができない状態です。"))
            return redirect("admin:dispatch_dispatch_change", pk)
        later = [
            v for v in visit.dispatch.visits.all() if not v.is_cancelled and v.number > visit.number
        ]
        return self._action_view(
            request,
            pk,
            form_class=StaffVisitCancelForm,
            title=_("派遣日程の取消し"),
            intro=_("%(company)s 御中の第%(number)d回（%(day)s）の日程を取り消します。")
            % {
                "company": visit.dispatch.organisation.name,
                "number": visit.number,
                "day": format_wareki(visit.date),
            },
            consequences=[
                _("事業者のご担当者と派遣専門家に、取消しとその理由をメールでお知らせします。"),
                _("取り消した回は派遣回数に数えられず、専門家が別の日程を登録できます。"),
                *[
                    _("%(day)sの回は、第%(old)d回から第%(new)d回になります。")
                    % {"day": format_wareki(v.date), "old": v.number, "new": v.number - 1}
                    for v in later
                ],
                _("取消しは元に戻せません。"),
            ],
            run=lambda d, data: services.visit_cancel(
                visit=visit, reason=data["reason"], actor=request.user
            ),
            done=_("日程を取り消し、事業者と専門家にお知らせしました。"),
        )

    def completion_allow_view(self, request, pk):
        dispatch = get_object_or_404(Dispatch, pk=pk)
        if dispatch.completion_override_at or dispatch.status != Dispatch.Status.DECIDED:
            messages.info(request, _("この派遣では、完了報告の受付を認める必要はありません。"))
            return redirect("admin:dispatch_dispatch_change", pk)
        unconfirmed = services.dispatch_completion_blockers(dispatch)["unconfirmed"]
        if not unconfirmed:
            raise Http404
        return self._action_view(
            request,
            pk,
            form_class=CompletionAllowForm,
            title=_("企業確認を待たない完了報告"),
            intro=_(
                "次の回は企業の確認が済んでいません：%(visits)s。確認を待たずに、派遣専門家が完了報告を提出できるようにします。"
            )
            % {
                "visits": "、".join(
                    str(_("第%(number)d回（%(status)s）"))
                    % {"number": v.number, "status": v.get_status_display()}
                    for v in unconfirmed
                )
            },
            consequences=[
                _("理由は派遣完了報告書に印字され、操作履歴に残ります。"),
                _("派遣専門家に、完了報告を提出できるようになったことをメールでお知らせします。"),
                _("この判断は取り消せません。"),
            ],
            run=lambda d, data: services.dispatch_completion_allow(
                dispatch=d, reason=data["reason"], actor=request.user
            ),
            done=_("完了報告の受付を認め、派遣専門家にお知らせしました。"),
        )

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
            consequences=[
                _("%(company)s 御中のお申込みを不採択にします。"),
                _("申込者に、入力した理由を記載したメールでお知らせします。"),
                _(
                    "不採択は元に戻せません。事業者が改めて派遣を希望する場合は、新たに申し込んでいただきます。"
                ),
            ],
        )
