"""The staff side: the composer (draft → preview, recipients' count, test send → confirmation →
sent now or at a time; a scheduled one can be taken back or cancelled with a reason), the list
of subscribers (who cannot be added by staff: only a person's own opt-in adds an address) and the
suppression list."""

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from kosha_portal.audit.admin import AuditedAdminMixin
from kosha_portal.errors import DomainError
from kosha_portal.mail.services import render_email
from kosha_portal.workflow import is_allowed
from kosha_portal.workflow_admin import action_reason, reason_action_form

from . import emails, selectors, services
from .forms import AnnouncementAdminForm, ReasonForm, ScheduleForm, municipality_choices
from .models import Announcement, Consent, Subscriber, Suppression, UnsubscribeMethod


class ConsentInline(admin.TabularInline):
    model = Consent
    extra = 0
    can_delete = False
    fields = ["given_at", "source", "notice_version", "client_ip", "requested_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Subscriber)
class SubscriberAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = [
        "email",
        "status",
        "industry",
        "municipality",
        "language",
        "activated_at",
        "unsubscribed_at",
    ]
    list_filter = ["status", "industry", "language", "unsubscribe_method"]
    search_fields = ["email", "=unsubscribe_token"]
    date_hierarchy = "created_at"
    inlines = [ConsentInline]
    readonly_fields = [
        "email",
        "status",
        "language",
        "industry",
        "municipality",
        "created_at",
        "activated_at",
        "unsubscribed_at",
        "unsubscribe_method",
        "bounced_at",
        "bounce_reason",
        "audit_history",
    ]
    fields = readonly_fields
    actions = ["unsubscribe"]
    action_form = reason_action_form(gettext_lazy("配信停止の理由（依頼を受けた日と方法）"))

    def has_add_permission(self, request):
        return False  # an address is added by its owner's opt-in only (特定電子メール法)

    def has_delete_permission(self, request, obj=None):
        # Deleting would forget the opt-out; the retention sweep and erasure requests delete
        # the row and keep the suppression list's hash.
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(
        description=gettext_lazy("選択した登録者への配信を停止する（本人からの依頼による）"),
        permissions=["view"],
    )
    def unsubscribe(self, request, queryset):
        reason = action_reason(request)
        if not reason:
            self.message_user(
                request,
                _("配信停止の理由（依頼を受けた日と方法）を入力してください。"),
                messages.ERROR,
            )
            return
        count = 0
        for subscriber in queryset:
            if services.subscriber_unsubscribe(
                subscriber=subscriber,
                method=UnsubscribeMethod.STAFF,
                actor=request.user,
                reason=reason,
            ):
                count += 1
        self.message_user(
            request, _("%(count)s件の配信を停止しました。") % {"count": count}, messages.SUCCESS
        )


@admin.register(Suppression)
class SuppressionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "reason", "detail"]
    list_filter = ["reason"]
    readonly_fields = ["address_hash", "reason", "detail", "created_at"]
    fields = readonly_fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def _audience_summary(announcement: Announcement) -> list[str]:
    if announcement.audience_all:
        return [_("すべての登録者")]
    from companies.sme import Industry

    names = dict(municipality_choices())
    parts = []
    if announcement.industries:
        labels = "、".join(str(Industry.LABELS.get(c, c)) for c in announcement.industries)
        parts.append(_("業種：%(labels)s") % {"labels": labels})
    if announcement.municipalities:
        labels = "、".join(str(names.get(c, c)) for c in announcement.municipalities)
        parts.append(_("区市町村：%(labels)s") % {"labels": labels})
    if announcement.seminar_participants:
        parts.append(_("セミナーに出席したことのある方"))
    if announcement.school_alumni:
        parts.append(_("スクールの修了企業の方"))
    return parts


@admin.register(Announcement)
class AnnouncementAdmin(AuditedAdminMixin, admin.ModelAdmin):
    form = AnnouncementAdminForm
    list_display = [
        "subject",
        "status",
        "send_at",
        "recipient_count",
        "created_by",
        "updated_at",
    ]
    list_filter = ["status"]
    search_fields = ["subject"]
    list_select_related = ["created_by"]
    date_hierarchy = "created_at"
    fieldsets = [
        (None, {"fields": ["subject", "body_text", "body_html"]}),
        (
            gettext_lazy("配信先"),
            {
                "fields": [
                    "audience_all",
                    "industries",
                    "municipalities",
                    "seminar_participants",
                    "school_alumni",
                ],
                "description": gettext_lazy(
                    "「すべての登録者に送る」を外すと、選んだ条件すべてに当てはまる登録者だけに"
                    "送ります。配信停止・配信不能の方には送りません。"
                ),
            },
        ),
    ]
    readonly_after_draft = [
        "subject",
        "body_text",
        "body_html",
        "audience_all",
        "industries",
        "municipalities",
        "seminar_participants",
        "school_alumni",
        "status",
        "send_at",
        "expected_recipients",
        "recipient_count",
        "scheduled_by",
        "scheduled_at",
        "started_at",
        "finished_at",
        "cancelled_at",
        "cancel_reason",
        "audit_history",
    ]

    def get_fieldsets(self, request, obj=None):
        if obj is None or obj.status == Announcement.Status.DRAFT:
            return self.fieldsets
        return [(None, {"fields": self.readonly_after_draft})]

    def get_readonly_fields(self, request, obj=None):
        if obj is None or obj.status == Announcement.Status.DRAFT:
            return []
        return self.readonly_after_draft

    def has_change_permission(self, request, obj=None):
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or obj.status == Announcement.Status.DRAFT)

    def has_delete_permission(self, request, obj=None):
        allowed = super().has_delete_permission(request, obj)
        return allowed and (obj is None or obj.status == Announcement.Status.DRAFT)

    def save_model(self, request, obj, form, change):
        try:
            services.announcement_save(
                announcement=obj, actor=request.user, changed=form.changed_data
            )
        except DomainError as exc:
            # The announcement left the draft state meanwhile (another staff member sent it).
            raise PermissionDenied(str(exc)) from exc

    def get_urls(self):
        info = self.opts.app_label, self.opts.model_name
        view = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/test-send/",
                view(self.test_send_view),
                name="{}_{}_test_send".format(*info),
            ),
            path("<int:pk>/send/", view(self.send_view), name="{}_{}_send".format(*info)),
            path("<int:pk>/cancel/", view(self.cancel_view), name="{}_{}_cancel".format(*info)),
            path(
                "<int:pk>/unschedule/",
                view(self.unschedule_view),
                name="{}_{}_unschedule".format(*info),
            ),
            *super().get_urls(),
        ]

    # --- the page ---------------------------------------------------------------------------

    def _preview(self, announcement):
        context = emails.announcement_context(announcement, token=emails.TEST_TOKEN)
        subject, text, _html = render_email(emails.TEMPLATE, context, "ja")
        return {"subject": subject, "text": text, "html": context["body_html"]}

    def _panel(self, request, announcement):
        progress = None
        if announcement.status in (
            Announcement.Status.SENDING,
            Announcement.Status.SENT,
            Announcement.Status.CANCELLED,
        ):
            progress = selectors.announcement_progress(announcement)
        return {
            "announcement": announcement,
            "preview": self._preview(announcement),
            "audience": _audience_summary(announcement),
            "count": selectors.audience_count(announcement)
            if announcement.status in (Announcement.Status.DRAFT, Announcement.Status.SCHEDULED)
            else None,
            "progress": progress,
            "can_send": announcement.status == Announcement.Status.DRAFT,
            "can_unschedule": is_allowed(announcement, Announcement.Status.DRAFT),
            "can_cancel": is_allowed(announcement, Announcement.Status.CANCELLED),
            "outbox_url": reverse("admin:mail_outboundemail_changelist")
            + f"?template={emails.TEMPLATE}",
        }

    def change_view(self, request, object_id, form_url="", extra_context=None):
        announcement = self.get_object(request, object_id)
        extra = dict(extra_context or {})
        if announcement is not None:
            extra["announcement_panel"] = self._panel(request, announcement)
        return super().change_view(request, object_id, form_url, extra_context=extra)

    def _context(self, request, title, announcement, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "title": title,
            "original": announcement,
            "announcement": announcement,
            **extra,
        }

    def _get(self, request, pk) -> Announcement:
        if not super().has_change_permission(request):
            raise PermissionDenied
        return get_object_or_404(Announcement, pk=pk)

    def _back(self, announcement):
        return redirect("admin:announcements_announcement_change", announcement.pk)

    # --- the actions ------------------------------------------------------------------------

    def test_send_view(self, request, pk):
        """Send the announcement to the staff member's own address, marked as a test."""
        announcement = self._get(request, pk)
        if request.method != "POST":
            return self._back(announcement)
        try:
            services.announcement_test_send(announcement=announcement, actor=request.user)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request,
                _("テスト送信しました（宛先：%(address)s）。届いたメールの見え方をご確認ください。")
                % {"address": request.user.email},
            )
        return self._back(announcement)

    def send_view(self, request, pk):
        """The confirmation page: what goes to how many, now or at a time; sent mail cannot be
        recalled, so staff confirm explicitly."""
        announcement = self._get(request, pk)
        if announcement.status != Announcement.Status.DRAFT:
            messages.error(request, _("このお知らせメールはすでに送信予約済みか送信済みです。"))
            return self._back(announcement)
        try:
            services.announcement_validate(announcement)
        except DomainError as exc:
            messages.error(request, exc.message)
            return self._back(announcement)
        count = selectors.audience_count(announcement)
        form = ScheduleForm(request.POST or None, initial={"expected": count, "when": "now"})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            if data["expected"] != count:
                form.add_error(
                    None,
                    _(
                        "確認している間に配信先の件数が%(before)s件から%(now)s件に変わりました。"
                        "件数をご確認のうえ、もう一度送信してください。"
                    )
                    % {"before": data["expected"], "now": count},
                )
                form.data = form.data.copy()
                form.data["expected"] = count
            elif count == 0:
                form.add_error(None, _("配信先が0件のため送信できません。条件を見直してください。"))
            else:
                send_at = data["send_at"] if data["when"] == "later" else None
                try:
                    services.announcement_schedule(
                        announcement=announcement,
                        send_at=send_at,
                        expected=count,
                        actor=request.user,
                    )
                except DomainError as exc:
                    exc.add_to_form(form)
                else:
                    if send_at:
                        messages.success(
                            request,
                            _("%(when)sに%(count)s件へ送信するよう予約しました。")
                            % {
                                "when": timezone.localtime(send_at).strftime("%Y-%m-%d %H:%M"),
                                "count": count,
                            },
                        )
                    else:
                        messages.success(
                            request,
                            _("%(count)s件への送信を開始しました。") % {"count": count},
                        )
                    return self._back(announcement)
        return TemplateResponse(
            request,
            "admin/announcements/announcement/send_confirm.html",
            self._context(
                request,
                _("送信内容の確認"),
                announcement,
                form=form,
                count=count,
                audience=_audience_summary(announcement),
                preview=self._preview(announcement),
            ),
        )

    def _reason_view(self, request, pk, *, to, title, explanation, button, run, done):
        announcement = self._get(request, pk)
        if not is_allowed(announcement, to):
            messages.error(
                request,
                _("このお知らせメールは、いまの状態では%(what)sできません。") % {"what": button},
            )
            return self._back(announcement)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                run(announcement, form.cleaned_data["reason"])
            except DomainError as exc:
                exc.add_to_form(form)
            else:
                messages.success(request, done)
                return self._back(announcement)
        return TemplateResponse(
            request,
            "admin/announcements/announcement/reason.html",
            self._context(
                request, title, announcement, form=form, explanation=explanation, button=button
            ),
        )

    def cancel_view(self, request, pk):
        return self._reason_view(
            request,
            pk,
            to=Announcement.Status.CANCELLED,
            title=_("お知らせメールの取消し"),
            explanation=_(
                "予約した送信を取り消します。送信中の場合は、まだ送っていない分の送信を止めます"
                "（すでに届いたメールは取り消せません）。この操作は元に戻せません。"
            ),
            button=_("取り消す"),
            run=lambda a, reason: services.announcement_cancel(
                announcement=a, reason=reason, actor=request.user
            ),
            done=_("お知らせメールを取り消しました。"),
        )

    def unschedule_view(self, request, pk):
        return self._reason_view(
            request,
            pk,
            to=Announcement.Status.DRAFT,
            title=_("送信予約を取り下げて下書きに戻す"),
            explanation=_("送信予約を取り下げ、内容を修正できる下書きに戻します。"),
            button=_("下書きに戻す"),
            run=lambda a, reason: services.announcement_unschedule(
                announcement=a, reason=reason, actor=request.user
            ),
            done=_("送信予約を取り下げ、下書きに戻しました。"),
        )
