import datetime

from django.contrib import admin, messages
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kosha_portal import clock
from kosha_portal.audit.admin import AuditedAdminMixin
from kosha_portal.errors import DomainError
from kosha_portal.japan.deadlines import start_of_day
from kosha_portal.service_admin import ServiceAdminMixin
from kosha_portal.workflow_admin import action_reason, confirm_action_page, reason_action_form

from . import services
from .models import Registration, Seminar, SurveyResponse


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
        "staff_links",
    ]
    list_filter = [HeldOnFilter, "fiscal_year", "status", "format"]
    search_fields = ["title", "part", "lecturer"]
    date_hierarchy = "starts_at"
    readonly_fields = [
        "status",
        "published_at",
        "cancelled_at",
        "cancel_reason",
        "finished_at",
        "staff_links",
        "audit_history",
    ]
    fieldsets = [
        (None, {"fields": ["fiscal_year", "number", "part", "title", "description", "lecturer"]}),
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
        (_("参加者"), {"fields": ["staff_links", "audit_history"]}),
    ]
    actions = ["publish", "cancel", "finish", "fill_waitlist"]
    action_form = reason_action_form(_("中止の理由"))

    def get_queryset(self, request):
        S = Registration.Status
        return (
            super()
            .get_queryset(request)
            .annotate(
                n_registered=Count(
                    "registrations", filter=Q(registrations__status__in=Registration.HOLDING_SEAT)
                ),
                n_waiting=Count("registrations", filter=Q(registrations__status=S.WAITING)),
                n_attended=Count("registrations", filter=Q(registrations__status=S.ATTENDED)),
                n_no_show=Count("registrations", filter=Q(registrations__status=S.NO_SHOW)),
            )
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
                _("キャンセル待ちから %(n)s 名を繰り上げました。") % {"n": len(promoted)},
            )
        return seminar

    @admin.action(description=_("選択したセミナーを公開する"))
    def publish(self, request, queryset):
        _run(self, request, queryset, services.seminar_publish, _("%(count)s 件を公開しました。"))

    @admin.action(description=_("選択したセミナーを中止し、申込者に通知する"))
    def cancel(self, request, queryset):
        page = confirm_action_page(
            self,
            request,
            queryset,
            title=_("セミナーを中止しますか"),
            explanation=_(
                "中止すると、参加が確定している方とキャンセル待ちの方の全員に、中止の理由を"
                "記したメールでお知らせします。中止したセミナーは元に戻せません。"
            ),
            button=_("中止して申込者に知らせる"),
            reason_label=_("中止の理由（申込者へのメールに記載されます）"),
            rows=[
                gettext("%(seminar)s（参加確定%(confirmed)s名・キャンセル待ち%(waiting)s名）")
                % {"seminar": s, "confirmed": s.n_registered, "waiting": s.n_waiting}
                for s in queryset
            ],
        )
        if page is not None:
            return page
        _run(
            self,
            request,
            queryset,
            services.seminar_cancel,
            _("%(count)s 件を中止し、申込者に通知しました。"),
            reason=action_reason(request),
        )

    @admin.action(description=_("終了処理（未受付の方を欠席にする）"))
    def finish(self, request, queryset):
        _run(self, request, queryset, services.seminar_finish, _("%(count)s 件を終了しました。"))

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
        self.message_user(request, _("%(n)s 名を繰り上げました。") % {"n": count})


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
    search_fields = ["name", "name_kana", "email", "organisation__name"]
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
    action_form = reason_action_form(_("キャンセルの理由"))

    def has_add_permission(self, request):
        return False  # registrations come through the public form (and its seat rules)

    def has_delete_permission(self, request, obj=None):
        # Deleting would free a seat without promoting the waiting list or telling the
        # registrant; the "cancel" action goes through registration_cancel instead.
        return False

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "format"]

    @admin.action(description=_("選択した申込をキャンセルする（キャンセル待ちを繰り上げ）"))
    def cancel(self, request, queryset):
        page = confirm_action_page(
            self,
            request,
            queryset,
            title=_("お申込みを取り消しますか"),
            explanation=_(
                "取り消すと、申込者に取消しのお知らせをメールで送り、空いた席にはキャンセル待ちの"
                "方が繰り上がります。取り消したお申込みは元に戻せません。"
            ),
            button=_("取り消して申込者に知らせる"),
            reason_label=_("キャンセルの理由"),
            rows=[
                gettext("%(name)s 様（%(seminar)s・%(status)s）")
                % {"name": r.name, "seminar": r.seminar, "status": r.get_status_display()}
                for r in queryset.select_related("seminar")
            ],
        )
        if page is not None:
            return page
        _run(
            self,
            request,
            queryset,
            services.registration_cancel,
            _("%(count)s 件をキャンセルしました。"),
            arg="registration",
            reason=action_reason(request),
        )

    @admin.action(description=_("選択した申込を出席にする"))
    def check_in(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            services.registration_check_in,
            _("%(count)s 件を出席にしました。"),
            arg="registration",
        )


@admin.register(SurveyResponse)
class SurveyResponseAdmin(admin.ModelAdmin):
    list_display = ["registration", "satisfaction", "usefulness", "submitted_at"]
    list_filter = ["registration__seminar", "satisfaction", "usefulness"]
    readonly_fields = ["registration", "satisfaction", "usefulness", "comment", "submitted_at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the participants' own answers: kept as given
