import datetime

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db import models
from django.db.models import Avg, Count, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock
from kosha_portal.audit.admin import AuditedAdminMixin
from kosha_portal.errors import DomainError
from kosha_portal.japan.deadlines import start_of_day
from kosha_portal.service_admin import ServiceAdminMixin
from kosha_portal.workflow import is_allowed

from . import selectors, services
from .models import Registration, Seminar, SurveyResponse

REASON_REQUIRED = _("理由を入力してください。")


class SeminarCancelForm(forms.Form):
    """One 中止理由 per seminar, filled in with the reason staff saved on it beforehand."""

    def __init__(self, *args, seminars, **kwargs):
        super().__init__(*args, **kwargs)
        self.seminars = seminars
        for seminar in seminars:
            self.fields[f"reason_{seminar.pk}"] = forms.CharField(
                label=_("中止の理由（申込者へのメールと公開ページに表示されます）"),
                initial=seminar.cancel_reason,
                max_length=1000,
                widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
                error_messages={"required": REASON_REQUIRED},
            )

    def rows(self):
        return [
            {
                "seminar": seminar,
                "field": self[f"reason_{seminar.pk}"],
                "preview": services.seminar_cancel_preview(seminar),
            }
            for seminar in self.seminars
        ]


class RegistrationCancelForm(forms.Form):
    reason = forms.CharField(
        label=_("取消しの理由（申込者へのメールに記載されます）"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 70}),
        error_messages={"required": REASON_REQUIRED},
    )


def _run(modeladmin, request, queryset, service, done_message, arg="seminar", **extra):
    done = 0
    for obj in queryset:
        try:
            service(actor=request.user, **{arg: obj}, **extra)
            done += 1
        except DomainError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message % {"count": done}, messages.SUCCESS)


class HeldOnFilter(admin.SimpleListFilter):
    """The desk home's links: seminars held today or tomorrow (JST), cancelled ones left out."""

    title = _("開催日")
    parameter_name = "held"

    def lookups(self, request, model_admin):
        return [("today", _("本日")), ("tomorrow", _("明日"))]

    def queryset(self, request, queryset):
        offset = {"today": 0, "tomorrow": 1}.get(self.value())
        if offset is None:
            return queryset
        day = clock.today() + datetime.timedelta(days=offset)
        return queryset.exclude(status=Seminar.Status.CANCELLED).filter(
            starts_at__gte=start_of_day(day),
            starts_at__lt=start_of_day(day + datetime.timedelta(days=1)),
        )


# The date, format, seats and registration window of any event on the seminars engine (a
# seminar, or a 説明会 in the school's admin).
EVENT_FIELDSETS = [
    (
        _("日時・形式"),
        {
            "fields": [
                "starts_at",
                "ends_at",
                "format",
                "venue_name",
                "venue_address",
                "venue_map_url",
                "online_url",
            ]
        },
    ),
    (
        _("定員・受付"),
        {
            "fields": [
                "venue_seats",
                "online_seats",
                "seats_per_company",
                "registration_opens_at",
                "registration_closes_at",
            ]
        },
    ),
]


@admin.register(Seminar)
class SeminarAdmin(ServiceAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "fiscal_year",
        "starts_at",
        "format",
        "status",
        "registered",
        "waiting",
        "attended",
        "no_show",
        "satisfaction_average",
        "staff_links",
    ]
    list_filter = [HeldOnFilter, "fiscal_year", "status", "format"]
    search_fields = ["title", "part", "lecturer"]
    date_hierarchy = "starts_at"
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    audit_value_fields = (
        "status",
        "venue_seats",
        "online_seats",
        "seats_per_company",
        "registration_opens_at",
        "registration_closes_at",
        "starts_at",
    )
    readonly_fields = [
        "status",
        "published_at",
        "cancelled_at",
        "finished_at",
        "staff_links",
        "survey_results",
        "audit_history",
    ]
    change_form_template = "seminars/admin/seminar_change_form.html"
    fieldsets = [
        (None, {"fields": ["fiscal_year", "number", "part", "title", "description", "lecturer"]}),
        *EVENT_FIELDSETS,
        (
            _("状態"),
            {
                "fields": [
                    "status",
                    "published_at",
                    "cancelled_at",
                    "cancel_reason",
                    "finished_at",
                    "archive_url",
                    "survey_enabled",
                ]
            },
        ),
        (_("参加者"), {"fields": ["staff_links"]}),
        (_("アンケート結果"), {"fields": ["survey_results"]}),
        (_("履歴"), {"fields": ["audit_history"]}),
    ]
    actions = ["publish", "cancel", "finish", "fill_waitlist"]

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if obj is not None and obj.status == Seminar.Status.CANCELLED:
            fields.append("cancel_reason")  # what the registrants were told
        return fields

    def _url_name(self, view: str) -> str:
        opts = self.model._meta
        return f"admin:{opts.app_label}_{opts.model_name}_{view}"

    def get_urls(self):
        opts = self.model._meta
        return [
            path(
                "<int:pk>/cancel/",
                self.admin_site.admin_view(self.cancel_view),
                name=f"{opts.app_label}_{opts.model_name}_cancel",
            ),
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        seminar = self.get_object(request, object_id)
        can_cancel = bool(
            seminar
            and self.has_change_permission(request, seminar)
            and is_allowed(seminar, Seminar.Status.CANCELLED)
        )
        extra = {"can_cancel": can_cancel}
        if seminar is not None:
            extra["cancel_url"] = reverse(self._url_name("cancel"), args=[seminar.pk])
        return super().change_view(request, object_id, form_url, {**(extra_context or {}), **extra})

    def get_queryset(self, request):
        S = Registration.Status
        queryset = super().get_queryset(request)
        if self.model is Seminar:
            queryset = queryset.filter(kind=Seminar.Kind.SEMINAR)  # 説明会 have their own page
        return queryset.annotate(
            n_registered=Count(
                "registrations", filter=Q(registrations__status__in=Registration.HOLDING_SEAT)
            ),
            n_waiting=Count("registrations", filter=Q(registrations__status=S.WAITING)),
            n_attended=Count("registrations", filter=Q(registrations__status=S.ATTENDED)),
            n_no_show=Count("registrations", filter=Q(registrations__status=S.NO_SHOW)),
            survey_satisfaction=Avg("registrations__survey__satisfaction"),
        )

    @admin.display(description=_("満足度（平均）"), ordering="survey_satisfaction")
    def satisfaction_average(self, obj):
        value = getattr(obj, "survey_satisfaction", None)
        return "-" if value is None else f"{value:.2f}"

    @admin.display(description=_("アンケート結果"))
    def survey_results(self, obj):
        if not obj or not obj.pk:
            return "-"
        return render_to_string(
            "seminars/admin/survey_results.html",
            {
                "summary": selectors.survey_summary(seminar=obj),
                "year_summary": selectors.survey_summary(fiscal_year=obj.fiscal_year),
                "seminar": obj,
                "responses": SurveyResponse.objects.filter(registration__seminar=obj)
                .select_related("registration")
                .order_by("-submitted_at")[:200],
                "list_url": reverse("admin:seminars_surveyresponse_changelist")
                + "?"
                + urlencode({"registration__seminar__id__exact": obj.pk}),
            },
        )

    @admin.display(description=_("申込（確定）"), ordering="n_registered")
    def registered(self, obj):
        return obj.n_registered

    @admin.display(description=_("キャンセル待ち"), ordering="n_waiting")
    def waiting(self, obj):
        return obj.n_waiting

    @admin.display(description=_("出席"), ordering="n_attended")
    def attended(self, obj):
        return obj.n_attended

    @admin.display(description=_("欠席"), ordering="n_no_show")
    def no_show(self, obj):
        return obj.n_no_show

    @admin.display(description=_("参加者"))
    def staff_links(self, obj):
        if not obj or not obj.pk:
            return "-"
        registrants = (
            reverse("admin:seminars_registration_changelist")
            + "?"
            + urlencode({"seminar__id__exact": obj.pk})
        )
        export = reverse("seminars:export_csv", args=[obj.pk])
        return format_html(
            '<a href="{}">{}</a> | <a href="{}">{}</a> | <a href="{}">{}</a> | <a href="{}">{}</a>',
            registrants,
            _("申込者一覧"),
            reverse("seminars:checkin", args=[obj.pk]),
            _("受付（出席確認）"),
            export,
            _("CSV出力"),
            export + "?format=xlsx",
            _("Excel（xlsx）出力"),
        )

    def service_validate(self, request, data, instance):
        services.seminar_validate(data=data, instance=instance)

    def service_create(self, request, data, form):
        return services.seminar_create(data=data, actor=request.user)

    def service_update(self, request, obj, data, form):
        seminar, promoted = services.seminar_update(seminar=obj, data=data, actor=request.user)
        if promoted:
            self.message_user(
                request,
                _("キャンセル待ちから%(n)s名を繰り上げました。") % {"n": len(promoted)},
            )
        return seminar

    @admin.action(description=_("選択したセミナーを公開する"))
    def publish(self, request, queryset):
        _run(self, request, queryset, services.seminar_publish, _("%(count)s件を公開しました。"))

    @admin.action(description=_("選択したセミナーを中止し、申込者に通知する"))
    def cancel(self, request, queryset):
        """Asks first: a confirmation page with each seminar's consequences and its reason."""
        return self._cancel_confirmation(request, list(queryset.order_by("starts_at")))

    def cancel_view(self, request, pk):
        seminar = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_change_permission(request, seminar):
            return redirect("admin:index")
        response = self._cancel_confirmation(request, [seminar], from_change_page=True)
        return response or redirect(self._url_name("change"), seminar.pk)

    def _cancel_confirmation(self, request, seminars, *, from_change_page=False):
        cancellable = [s for s in seminars if is_allowed(s, Seminar.Status.CANCELLED)]
        info_sessions = self.model is not Seminar  # the school's 説明会 (InfoSessionAdmin)
        for seminar in seminars:
            if seminar not in cancellable:
                self.message_user(
                    request,
                    _("%(seminar)s は「%(status)s」のため中止できません。")
                    % {"seminar": seminar, "status": seminar.get_status_display()},
                    messages.ERROR,
                )
        if not cancellable:
            return None
        confirmed = request.POST.get("post") == "yes"
        form = SeminarCancelForm(request.POST if confirmed else None, seminars=cancellable)
        if confirmed and form.is_valid():
            done, notified = [], 0
            for seminar in cancellable:
                field = f"reason_{seminar.pk}"
                people = services.seminar_cancel_preview(seminar)["total"]
                try:
                    services.seminar_cancel(
                        seminar=seminar, reason=form.cleaned_data[field], actor=request.user
                    )
                except DomainError as error:
                    form.add_error(field, error.message)
                else:
                    done.append(seminar)
                    notified += people
            if done:
                message = (
                    _(
                        "%(count)s件の説明会を中止し、申込者%(people)s名に中止のお知らせを送りました。"
                    )
                    if info_sessions
                    else _(
                        "%(count)s件のセミナーを中止し、申込者%(people)s名に中止のお知らせを送りました。"
                    )
                )
                self.message_user(
                    request,
                    message % {"count": len(done), "people": notified},
                    messages.SUCCESS,
                )
            if len(done) == len(cancellable):
                return None
            form.seminars = [s for s in cancellable if s not in done]  # the ones still to do
        context = {
            **self.admin_site.each_context(request),
            "title": _("説明会の中止の確認") if info_sessions else _("セミナーの中止の確認"),
            "is_info_session": info_sessions,
            "opts": self.model._meta,
            "form": form,
            "rows": form.rows(),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "from_change_page": from_change_page,
            "back_url": reverse(self._url_name("change"), args=[cancellable[0].pk])
            if from_change_page
            else reverse(self._url_name("changelist")),
            "changelist_url": reverse(self._url_name("changelist")),
        }
        return TemplateResponse(request, "seminars/admin/seminar_cancel_confirmation.html", context)

    @admin.action(description=_("終了処理（未受付の方を欠席にする）"))
    def finish(self, request, queryset):
        _run(self, request, queryset, services.seminar_finish, _("%(count)s件を終了しました。"))

    @admin.action(description=_("空席をキャンセル待ちから補充する"))
    def fill_waitlist(self, request, queryset):
        count = 0
        for seminar in queryset:
            for fmt in seminar.attendance_formats:
                count += len(
                    services.waitlist_fill(
                        seminar=seminar, attendance_format=fmt, actor=request.user
                    )
                )
        self.message_user(request, _("%(n)s名を繰り上げました。") % {"n": count})


@admin.register(Registration)
class RegistrationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "name",
        "name_kana",
        "organisation",
        "seminar",
        "format",
        "status",
        "waiting_position",
        "created_at",
    ]
    list_filter = ["seminar", "status", "format", "heard_from"]
    # The short code too: a registrant who reads it out over the phone is found by it.
    search_fields = ["name", "name_kana", "email", "organisation__name", "=checkin_code"]
    list_select_related = ["seminar", "organisation"]
    raw_id_fields = ["organisation"]
    readonly_fields = [
        "seminar",
        "status",
        "waiting_position",
        "created_at",
        "confirmed_at",
        "promoted_at",
        "cancelled_at",
        "attended_at",
        "no_show_at",
        "reminder_early_at",
        "reminder_eve_at",
        "thanks_sent_at",
        "consent_at",
        "privacy_notice_version",
        "language",
        "checkin_code",
        "audit_history",
    ]
    fields = [
        "seminar",
        "organisation",
        "name",
        "name_kana",
        "department",
        "role",
        "email",
        "phone",
        "format",
        "question",
        "heard_from",
    ] + readonly_fields[1:]
    actions = ["cancel", "check_in"]

    def has_add_permission(self, request):
        return False  # registrations come through the public form (and its seat rules)

    def has_delete_permission(self, request, obj=None):
        # Deleting would free a seat without promoting the waiting list or telling the
        # registrant; the "cancel" action goes through registration_cancel instead.
        return False

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "format"]

    @admin.action(
        description=_("選択した申込を取り消し、申込者に通知する（キャンセル待ちを繰り上げ）")
    )
    def cancel(self, request, queryset):
        """Asks first: who is affected, what happens to their seats, and the reason they are told."""
        registrations = list(
            queryset.select_related("seminar", "organisation").order_by("seminar", "name_kana")
        )
        confirmed = request.POST.get("post") == "yes"
        form = RegistrationCancelForm(request.POST if confirmed else None)
        if confirmed and form.is_valid():
            done = 0
            for registration in registrations:
                try:
                    services.registration_cancel(
                        registration=registration,
                        reason=form.cleaned_data["reason"],
                        actor=request.user,
                    )
                    done += 1
                except DomainError as error:
                    self.message_user(request, f"{registration}: {error.message}", messages.ERROR)
            if done:
                self.message_user(
                    request,
                    _("%(count)s件のお申込みを取り消し、申込者にお知らせしました。")
                    % {"count": done},
                    messages.SUCCESS,
                )
            return None
        cancellable = [r for r in registrations if is_allowed(r, Registration.Status.CANCELLED)]
        context = {
            **self.admin_site.each_context(request),
            "title": _("お申込みの取消しの確認"),
            "opts": self.model._meta,
            "form": form,
            "registrations": registrations,
            "cancellable": cancellable,
            "frees_seats": any(r.holds_seat for r in cancellable),
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(
            request, "seminars/admin/registration_cancel_confirmation.html", context
        )

    @admin.action(description=_("選択した申込を出席にする"))
    def check_in(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            services.registration_check_in,
            _("%(count)s件を出席にしました。"),
            arg="registration",
        )


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = [
        "registration",
        "seminar",
        "satisfaction",
        "usefulness",
        "intention_list",
        "submitted_at",
    ]
    list_filter = [
        "registration__seminar__fiscal_year",
        "registration__seminar",
        "satisfaction",
        "usefulness",
    ]
    list_select_related = ["registration__seminar"]
    readonly_fields = [
        "registration",
        "satisfaction",
        "usefulness",
        "intention_list",
        "comment",
        "submitted_at",
    ]
    fields = readonly_fields
    change_list_template = "seminars/admin/survey_change_list.html"

    @admin.display(description=_("セミナー"), ordering="registration__seminar__starts_at")
    def seminar(self, obj):
        return obj.registration.seminar

    @admin.display(description=_("今後、自社で取り組みたいこと"))
    def intention_list(self, obj):
        return _("、").join(obj.intention_labels) or "-"

    def changelist_view(self, request, extra_context=None):
        extra = {
            "by_year": selectors.survey_summaries_by_year(),
            "by_seminar": selectors.survey_summaries_by_seminar(),
        }
        return super().changelist_view(request, {**(extra_context or {}), **extra})

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the participants' own answers: kept as given
