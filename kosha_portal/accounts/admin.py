from django import forms
from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django_otp.plugins.otp_totp.models import TOTPDevice

from kosha_portal.audit.admin import AuditedAdminMixin
from kosha_portal.errors import DomainError
from kosha_portal.japan.forms import NormalizedEmailField

from . import factors, selectors
from .forms import ReasonForm
from .models import AccessLink
from .services import (
    ROLE_CHOICES,
    access_link_revoke,
    invitation_send,
    user_access_reduced,
    user_deactivate,
    user_factors_reset,
    user_invite,
    user_reactivate,
)


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


# --- staff and expert accounts -------------------------------------------------------------------

User = get_user_model()

# The authenticator devices are shown (without their keys) on each account's page; django-otp's
# own device admin would show the secret keys and their QR codes to administrators.
for _model in (TOTPDevice,):
    if admin.site.is_registered(_model):
        admin.site.unregister(_model)
if admin.site.is_registered(User):
    admin.site.unregister(User)


class AccountChangeForm(forms.ModelForm):
    """The account's details and roles. Taking a role (group) or the staff/administrator flag away
    needs a reason and ends the account's open sessions."""

    access_reason = forms.CharField(
        label=_("権限を外す理由"),
        required=False,
        max_length=500,
        help_text=_("役割（グループ）や職員・管理者の権限を外すときに入力してください。"),
    )

    class Meta:
        model = User
        fields = [
            "username",
            "last_name",
            "first_name",
            "email",
            "is_staff",
            "is_superuser",
            "groups",
        ]

    def clean(self):
        cleaned = super().clean()
        self.removed_roles, self.lost_flags = [], []
        if self.instance.pk:
            before = set(self.instance.groups.values_list("name", flat=True))
            after = {g.name for g in cleaned.get("groups") or []}
            self.removed_roles = sorted(before - after)
            self.lost_flags = [
                flag
                for flag in ("is_staff", "is_superuser")
                if getattr(self.instance, flag) and not cleaned.get(flag)
            ]
            reducing = self.removed_roles or self.lost_flags
            if reducing and not (cleaned.get("access_reason") or "").strip():
                self.add_error("access_reason", _("権限を外す理由を入力してください。"))
        return cleaned


class AccountInviteForm(forms.Form):
    username = forms.RegexField(
        label=_("ユーザー名"),
        max_length=150,
        regex=r"^[\w.@+-]+$",
        help_text=_("半角英数字と @ . + - _ が使えます（例：sato-ichiro）。"),
        error_messages={
            "required": _("入力してください。"),
            "invalid": _("ユーザー名には半角英数字と @ . + - _ だけが使えます。"),
        },
    )
    last_name = forms.CharField(
        label=_("姓"), max_length=150, error_messages={"required": _("入力してください。")}
    )
    first_name = forms.CharField(
        label=_("名"), max_length=150, error_messages={"required": _("入力してください。")}
    )
    email = NormalizedEmailField(
        label=_("メールアドレス"),
        help_text=_("招待メールをこのアドレスに送ります。"),
    )
    role = forms.ChoiceField(
        label=_("役割"),
        choices=ROLE_CHOICES,
        widget=forms.RadioSelect,
        error_messages={"required": _("選択してください。")},
    )


@admin.register(User)
class AccountAdmin(AuditedAdminMixin, UserAdmin):
    """Staff, administrator and expert accounts. New ones are invited (no password is set or
    seen by anyone but the person); accounts are stopped rather than deleted, so the audit trail
    keeps its names."""

    form = AccountChangeForm
    change_form_template = "accounts/admin/user_change_form.html"
    list_display = [
        "username",
        "full_name",
        "role_labels",
        "is_active",
        "last_login",
        "second_factor",
        "failed_attempts",
        "demo_flag",
    ]
    list_filter = ["is_active", "is_staff", "is_superuser", "groups"]
    search_fields = ["username", "last_name", "first_name", "email"]
    ordering = ["username"]
    filter_horizontal = ["groups"]
    readonly_fields = [
        "is_active",
        "password_state",
        "last_login",
        "date_joined",
        "devices_summary",
        "invitation_state",
        "recent_logins",
        "failed_attempts_list",
        "audit_history",
    ]
    fieldsets = [
        (None, {"fields": ["username", "password_state", "is_active"]}),
        (_("氏名・連絡先"), {"fields": ["last_name", "first_name", "email"]}),
        (
            _("役割と権限"),
            {"fields": ["is_staff", "is_superuser", "groups", "access_reason"]},
        ),
        (
            _("ログインと二段階認証"),
            {
                "fields": [
                    "last_login",
                    "date_joined",
                    "devices_summary",
                    "invitation_state",
                    "recent_logins",
                    "failed_attempts_list",
                ]
            },
        ),
        (_("操作履歴"), {"fields": ["audit_history"]}),
    ]

    def get_queryset(self, request):
        return selectors.accounts_for_admin(
            super().get_queryset(request).select_related("account_profile")
        ).prefetch_related("groups")

    def get_fieldsets(self, request, obj=None):
        return self.fieldsets

    def get_form(self, request, obj=None, **kwargs):
        return super(UserAdmin, self).get_form(request, obj, **kwargs)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        def wrap(view):
            return self.admin_site.admin_view(view)

        return [
            path("<id>/invite/", wrap(self.invite_view), name="auth_user_invite"),
            path(
                "<id>/factors-reset/", wrap(self.factors_reset_view), name="auth_user_factors_reset"
            ),
            path("<id>/deactivate/", wrap(self.deactivate_view), name="auth_user_deactivate"),
            path("<id>/reactivate/", wrap(self.reactivate_view), name="auth_user_reactivate"),
            *super(UserAdmin, self).get_urls(),
        ]

    # --- list and detail columns ----------------------------------------------------------------

    @admin.display(description=_("氏名"), ordering="last_name")
    def full_name(self, obj):
        return f"{obj.last_name} {obj.first_name}".strip() or "-"

    @admin.display(description=_("役割"))
    def role_labels(self, obj):
        names = {g.name for g in obj.groups.all()}
        return "、".join(str(label) for role, label in ROLE_CHOICES if role in names) or "-"

    @admin.display(description=_("認証アプリ"))
    def second_factor(self, obj):
        count = getattr(obj, "device_count", 0)
        return gettext("%(count)s台") % {"count": count} if count else gettext("未登録")

    @admin.display(description=_("ログイン失敗（連続）"))
    def failed_attempts(self, obj):
        return getattr(obj, "failures_now", None) or 0

    @admin.display(description=_("デモ"), boolean=True)
    def demo_flag(self, obj):
        profile = getattr(obj, "account_profile", None)
        return bool(profile and profile.is_demo)

    @admin.display(description=_("パスワード"))
    def password_state(self, obj):
        if obj.has_usable_password():
            return gettext("設定済み（本人だけが知っています）")
        return gettext("未設定（招待メールから本人が設定します）")

    @admin.display(description=_("二段階認証"))
    def devices_summary(self, obj):
        return render_to_string(
            "accounts/admin/devices.html",
            {
                "devices": factors.authenticators(obj),
                "recovery_left": factors.recovery_codes_left(obj),
            },
        )

    @admin.display(description=_("招待"))
    def invitation_state(self, obj):
        return render_to_string(
            "accounts/admin/invitations.html", {"invitations": obj.invitations.all()[:5]}
        )

    @admin.display(description=_("最近のログイン"))
    def recent_logins(self, obj):
        return render_to_string(
            "accounts/admin/logins.html", {"logins": selectors.recent_logins_for(obj)}
        )

    @admin.display(description=_("最近のログイン失敗"))
    def failed_attempts_list(self, obj):
        return render_to_string(
            "accounts/admin/failures.html", {"failures": selectors.failed_logins_for(obj)}
        )

    # --- adding is inviting ---------------------------------------------------------------------

    def add_view(self, request, form_url="", extra_context=None):
        if not (self.has_add_permission(request) and self.has_change_permission(request)):
            raise PermissionDenied
        form = AccountInviteForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                user = user_invite(**form.cleaned_data, actor=request.user)
            except DomainError as error:
                error.add_to_form(form)
            else:
                self.message_user(
                    request,
                    gettext("%(email)s に招待メールを送りました。") % {"email": user.email},
                    messages.SUCCESS,
                )
                return redirect("admin:auth_user_change", user.pk)
        return self._render(
            request, "accounts/admin/invite.html", gettext("アカウントを招待する"), {"form": form}
        )

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if change and (form.removed_roles or form.lost_flags):
            ended = user_access_reduced(
                user=form.instance,
                removed_roles=form.removed_roles,
                lost_flags=form.lost_flags,
                reason=form.cleaned_data.get("access_reason"),
                actor=request.user,
            )
            self.message_user(
                request,
                gettext(
                    "権限を外したため、このアカウントのログイン中のセッション%(count)s件を終了しました。"
                )
                % {"count": ended},
                messages.WARNING,
            )

    # --- the account's buttons ------------------------------------------------------------------

    def _account(self, request, object_id):
        user = self.get_object(request, object_id)
        if user is None:
            raise Http404
        if not self.has_change_permission(request, user):
            raise PermissionDenied
        return user

    def _render(self, request, template, title, context):
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": self.model._meta,
                "title": title,
                **context,
            },
        )

    def _back(self, user):
        return redirect("admin:auth_user_change", user.pk)

    def invite_view(self, request, id):
        user = self._account(request, id)
        if request.method == "POST":
            try:
                invitation_send(user=user, actor=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(
                    request,
                    gettext("招待メールを送りました。以前の招待リンクは使えなくなりました。"),
                    messages.SUCCESS,
                )
            return self._back(user)
        return self._render(
            request,
            "accounts/admin/confirm.html",
            gettext("招待メールを送る"),
            {
                "account": user,
                "action": "invite",
                "message": gettext(
                    "%(email)s に招待メールを送ります。まだ使われていない以前の招待リンクは使えなくなります。"
                )
                % {"email": user.email},
                "button": gettext("招待メールを送る"),
            },
        )

    def _reason_view(self, request, id, *, service, title, message, button, done):
        user = self._account(request, id)
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                service(user=user, reason=form.cleaned_data["reason"], actor=request.user)
            except DomainError as error:
                error.add_to_form(form)
            else:
                self.message_user(request, done, messages.SUCCESS)
                return self._back(user)
        return self._render(
            request,
            "accounts/admin/confirm.html",
            title,
            {"account": user, "form": form, "message": message, "button": button},
        )

    def factors_reset_view(self, request, id):
        return self._reason_view(
            request,
            id,
            service=user_factors_reset,
            title=gettext("二段階認証をリセットする"),
            message=gettext(
                "登録されている認証アプリとリカバリーコードをすべて削除し、ログイン中のセッションを終了します。"
                "本人は次回のログインで認証アプリを登録し直します。本人にはメールでお知らせします。"
            ),
            button=gettext("リセットする"),
            done=gettext("二段階認証をリセットしました。本人にメールでお知らせしました。"),
        )

    def deactivate_view(self, request, id):
        return self._reason_view(
            request,
            id,
            service=user_deactivate,
            title=gettext("利用を停止する"),
            message=gettext(
                "このアカウントではログインできなくなり、ログイン中のセッションはすぐに終了します。"
                "本人にはメールでお知らせします。"
            ),
            button=gettext("利用を停止する"),
            done=gettext("利用を停止しました。ログイン中のセッションは終了しました。"),
        )

    def reactivate_view(self, request, id):
        user = self._account(request, id)
        if request.method == "POST":
            try:
                user_reactivate(user=user, actor=request.user)
            except DomainError as error:
                self.message_user(request, error.message, messages.ERROR)
            else:
                self.message_user(request, gettext("利用を再開しました。"), messages.SUCCESS)
            return self._back(user)
        return self._render(
            request,
            "accounts/admin/confirm.html",
            gettext("利用を再開する"),
            {
                "account": user,
                "message": gettext(
                    "このアカウントで再びログインできるようにします（パスワードと二段階認証が必要です）。"
                ),
                "button": gettext("利用を再開する"),
            },
        )
