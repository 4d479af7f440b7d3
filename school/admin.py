from django.contrib import admin, messages
from django.db.models import Count, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from kosha_portal.audit.admin import AuditedAdminMixin
from kosha_portal.errors import DomainError
from kosha_portal.service_admin import ServiceAdminMixin
from kosha_portal.workflow_admin import action_reason, confirm_action_page, reason_action_form
from seminars import services as event_services
from seminars.admin import EVENT_FIELDSETS, SeminarAdmin
from seminars.models import Registration

from . import services
from .models import (
    Application,
    Attendance,
    Certificate,
    CoachingVisit,
    Cohort,
    CurriculumSession,
    InfoSession,
    Instructor,
    Participant,
)


class CurriculumSessionInline(admin.TabularInline):
    model = CurriculumSession
    extra = 1
    fields = ["number", "kind", "date", "start_time", "end_time", "topic", "instructor"]


def _run(modeladmin, request, queryset, service, done_message, arg="cohort", **extra):
    done = 0
    for obj in queryset:
        try:
            service(actor=request.user, **{arg: obj}, **extra)
            done += 1
        except DomainError as error:
            modeladmin.message_user(request, f"{obj}: {error.message}", messages.ERROR)
    if done:
        modeladmin.message_user(request, done_message % {"n": done}, messages.SUCCESS)


@admin.register(Cohort)
class CohortAdmin(ServiceAdminMixin, AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "status",
        "start_date",
        "end_date",
        "capacity",
        "completion_threshold_percent",
        "staff_links",
    ]
    list_filter = ["status"]
    inlines = [CurriculumSessionInline]
    filter_horizontal = ["instructors"]
    readonly_fields = ["status", "recruiting_at", "started_at", "finished_at", "audit_history"]
    fieldsets = [
        (
            None,
            {
                "fields": [
                    "number",
                    "title",
                    "status",
                    "start_date",
                    "end_date",
                    "venue",
                    "description",
                    "instructors",
                ]
            },
        ),
        (
            _("募集"),
            {
                "fields": [
                    "application_opens_on",
                    "application_closes_on",
                    "capacity",
                    "max_participants_per_company",
                ]
            },
        ),
        (
            _("カリキュラムと修了要件"),
            {
                "fields": [
                    "planned_sessions",
                    "planned_hours",
                    "coaching_visits_per_company",
                    "completion_threshold_percent",
                ]
            },
        ),
        (_("履歴"), {"fields": ["recruiting_at", "started_at", "finished_at", "audit_history"]}),
    ]
    actions = ["open_recruiting", "start", "finish"]

    def service_validate(self, request, data, instance):
        services.cohort_validate(data=data, instance=instance)

    def service_create(self, request, data, form):
        return services.cohort_create(data=data, actor=request.user)

    def service_update(self, request, obj, data, form):
        return services.cohort_update(cohort=obj, data=data, actor=request.user)

    @admin.display(description=_("業務画面"))
    def staff_links(self, obj):
        return format_html(
            '<a href="{}">{}</a>', reverse("school:roster", args=[obj.pk]), _("名簿・出欠・修了証")
        )

    @admin.action(description=_("選択した期の募集を開始する"))
    def open_recruiting(self, request, queryset):
        _run(
            self,
            request,
            queryset,
            services.cohort_open_recruiting,
            _("%(n)s件の期で募集を開始しました。"),
        )

    @admin.action(description=_("選択した期を開講する"))
    def start(self, request, queryset):
        _run(self, request, queryset, services.cohort_start, _("%(n)s件の期を開講しました。"))

    @admin.action(description=_("選択した期を修了にする"))
    def finish(self, request, queryset):
        _run(self, request, queryset, services.cohort_finish, _("%(n)s件の期を修了にしました。"))


@admin.register(Instructor)
class InstructorAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["name", "name_kana", "qualification", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "name_kana"]
    readonly_fields = ["audit_history"]


class ParticipantInline(admin.TabularInline):
    model = Participant
    extra = 0
    fields = ["position", "name", "name_kana", "department", "role", "email"]


@admin.register(Application)
class ApplicationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "submitted_at",
        "cohort",
        "organisation",
        "main_business",
        "status",
        "roster_number",
        "info_session_link",
    ]
    list_filter = ["cohort", "status", ("info_session", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["organisation__name", "contact_name", "contact_email", "main_business"]
    list_select_related = ["cohort", "organisation"]
    raw_id_fields = ["organisation"]
    inlines = [ParticipantInline]
    readonly_fields = [
        "info_session_link",
        "status",
        "roster_number",
        "submitted_at",
        "accepted_at",
        "waitlisted_at",
        "declined_at",
        "concern_list",
        "consent_version",
        "audit_history",
    ]
    fields = [
        "cohort",
        "organisation",
        "main_business",
        "status",
        "roster_number",
        "contact_name",
        "contact_name_kana",
        "contact_email",
        "contact_phone",
        "concern_list",
        "concerns_other",
        "info_session_link",
        "consent_version",
        "decision_note",
        "submitted_at",
        "accepted_at",
        "waitlisted_at",
        "declined_at",
        "audit_history",
    ]
    actions = ["accept", "waitlist", "decline"]

    @admin.display(description=_("参加した説明会"), ordering="info_session__starts_at")
    def info_session_link(self, obj):
        session = obj.info_session if obj else None
        if session is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:school_infosession_change", args=[session.pk]),
            session,
        )

    action_form = reason_action_form(_("理由（受講決定後に見送る場合）"))

    def has_delete_permission(self, request, obj=None):
        # An application, its participants and their attendance are the cohort's record; a
        # company that does not take part is declined (and told so), never deleted.
        return False

    def get_readonly_fields(self, request, obj=None):
        # Moving an application to another cohort or company would skip the capacity and
        # duplicate checks its services make; that is a new application instead.
        readonly = super().get_readonly_fields(request, obj)
        return readonly if obj is None else [*readonly, "cohort", "organisation"]

    @admin.display(description=_("現在のお悩み"))
    def concern_list(self, obj):
        return "、".join(obj.concern_labels) or "-"

    def _transition(self, request, queryset, service, message, **extra):
        _run(
            self,
            request,
            queryset.order_by("submitted_at"),
            service,
            message,
            arg="application",
            **extra,
        )

    @admin.action(description=_("受講決定にする（メール送信）"))
    def accept(self, request, queryset):
        self._transition(
            request, queryset, services.application_accept, _("%(n)s社を受講決定にしました。")
        )

    @admin.action(description=_("補欠にする（メール送信）"))
    def waitlist(self, request, queryset):
        self._transition(
            request, queryset, services.application_waitlist, _("%(n)s社を補欠にしました。")
        )

    @admin.action(description=_("見送りにする（メール送信）"))
    def decline(self, request, queryset):
        accepted = [a for a in queryset if a.status == Application.Status.ACCEPTED]
        page = confirm_action_page(
            self,
            request,
            queryset,
            title=_("見送りにしますか"),
            explanation=_(
                "見送りにすると、事業者のご担当者に見送りのお知らせをメールで送ります。"
                "受講決定済みの事業者を見送る場合は理由が必要で、その席は空きになります。"
            ),
            button=_("見送りにして事業者に知らせる"),
            reason_label=_("理由（受講決定後に見送る場合は必須）"),
            reason_required=bool(accepted),
            rows=[
                gettext("%(company)s（%(cohort)s・%(status)s）")
                % {"company": a.organisation, "cohort": a.cohort, "status": a.get_status_display()}
                for a in queryset.select_related("organisation", "cohort")
            ],
        )
        if page is not None:
            return page
        self._transition(
            request,
            queryset,
            services.application_decline,
            _("%(n)s社を見送りにしました。"),
            reason=action_reason(request),
        )


@admin.register(CoachingVisit)
class CoachingVisitAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["application", "sequence", "date", "mode", "instructor", "topics"]
    list_filter = ["application__cohort", "mode"]
    list_select_related = ["application__organisation", "application__cohort", "instructor"]
    readonly_fields = ["application", "sequence", "audit_history"]

    def has_add_permission(self, request):
        return False  # logged through the coaching page, which enforces the per-company cap

    def has_delete_permission(self, request, obj=None):
        return False  # deleting one would free a visit of the per-company cap unnoticed


@admin.register(Attendance)
class AttendanceAdmin(admin.ModelAdmin):
    list_display = ["participant", "session", "status", "recorded_at"]
    list_filter = ["session__cohort", "status"]
    list_select_related = ["participant", "session"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False  # the attendance page records it; a deletion would change 修了 eligibility


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ["number", "participant", "issued_on", "attendance_percent"]
    list_select_related = ["participant"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        # An issued 修了証 has been handed out, and its number counts the cohort's certificates:
        # deleting one would make the next issue repeat a number.
        return False


class InfoSessionRegistrationInline(admin.TabularInline):
    """Who registered for the 説明会 and whether they were checked in at the door (read-only:
    registrations change through the seminars' services, see RegistrationAdmin)."""

    model = Registration
    fk_name = "seminar"
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("説明会の申込")
    verbose_name_plural = _("説明会の申込（出席状況）")
    fields = ["name", "organisation", "format", "status", "attended_at", "created_at"]
    readonly_fields = fields
    ordering = ["status", "name_kana", "pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(InfoSession)
class InfoSessionAdmin(SeminarAdmin):
    """説明会 from the school side: the seminar admin (the same services, actions and door
    check-in) for rows of kind INFO_SESSION, each for a cohort."""

    list_display = [
        "__str__",
        "cohort",
        "starts_at",
        "format",
        "status",
        "registered",
        "waiting",
        "attended",
        "no_show",
        "applications",
        "staff_links",
    ]
    list_filter = ["cohort", "status", "format"]
    readonly_fields = [
        "status",
        "published_at",
        "cancelled_at",
        "finished_at",
        "staff_links",
        "audit_history",
    ]
    inlines = [InfoSessionRegistrationInline]
    fieldsets = [
        (None, {"fields": ["cohort", "fiscal_year", "number", "title", "description"]}),
        *EVENT_FIELDSETS,
        (
            _("状態"),
            {"fields": ["status", "published_at", "cancelled_at", "cancel_reason", "finished_at"]},
        ),
        (_("参加者"), {"fields": ["staff_links"]}),
        (_("履歴"), {"fields": ["audit_history"]}),
    ]

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if "cohort" in form.base_fields:
            form.base_fields["cohort"].required = True
        if "number" in form.base_fields:
            form.base_fields["number"].help_text = _("その年度の説明会の通し番号です。")
        return form

    def get_queryset(self, request):
        # A subquery, not a join: joining the applications would multiply the registration
        # counts the seminar admin annotates.
        linked = (
            Application.objects.filter(info_session=OuterRef("pk"))
            .order_by()
            .values("info_session")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return super().get_queryset(request).annotate(n_applications=Coalesce(Subquery(linked), 0))

    @admin.display(description=_("スクール申込（説明会参加）"), ordering="n_applications")
    def applications(self, obj):
        count = getattr(obj, "n_applications", 0)
        url = reverse("admin:school_application_changelist") + f"?info_session__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, count)

    def service_validate(self, request, data, instance):
        event_services.seminar_validate(
            data=data, instance=instance, kind=InfoSession.Kind.INFO_SESSION
        )

    def service_create(self, request, data, form):
        return event_services.seminar_create(
            data=data, actor=request.user, kind=InfoSession.Kind.INFO_SESSION
        )
