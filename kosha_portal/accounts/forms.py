from django import forms
from django.contrib.auth.forms import PasswordResetForm, SetPasswordForm
from django.utils.translation import gettext_lazy as _

from kosha_portal.japan.forms import NormalizedEmailField


class LinkResendForm(forms.Form):
    email = NormalizedEmailField(
        label=_("メールアドレス"),
        help_text=_("お申込み・ご相談の際にご登録いただいたメールアドレスを入力してください。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )


class SecondFactorForm(forms.Form):
    """One field for an authenticator code or a recovery code."""

    code = forms.CharField(
        label=_("確認コード"),
        max_length=40,
        help_text=_(
            "認証アプリに表示されている6桁の数字を入力してください。"
            "スマートフォンがお手元にない場合は、リカバリーコード（例：abcd-efgh-ijkl-mnop）も使えます。"
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
        error_messages={"required": _("確認コードを入力してください。")},
    )


class TotpConfirmForm(forms.Form):
    code = forms.CharField(
        label=_("確認コード（6桁）"),
        max_length=10,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
        error_messages={"required": _("確認コードを入力してください。")},
    )
    name = forms.CharField(
        label=_("端末の名前（任意）"),
        max_length=64,
        required=False,
        help_text=_(
            "複数の端末を登録したときに見分けるための名前です（例：業務用スマートフォン）。"
        ),
    )


class ReauthForm(forms.Form):
    """Password and a second factor again, before a change to the account's security."""

    password = forms.CharField(
        label=_("パスワード"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
        error_messages={"required": _("パスワードを入力してください。")},
    )
    code = forms.CharField(
        label=_("確認コード"),
        max_length=40,
        help_text=SecondFactorForm.base_fields["code"].help_text,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "spellcheck": "false"}),
        error_messages={"required": _("確認コードを入力してください。")},
    )

    def __init__(self, *args, user, **kwargs):
        self.user = user
        self.device = None
        super().__init__(*args, **kwargs)

    def clean(self):
        from .services import second_factor_check, second_factor_throttled

        cleaned = super().clean()
        password, code = cleaned.get("password"), cleaned.get("code")
        if password is None or code is None:
            return cleaned
        if not self.user.check_password(password):
            self.add_error("password", _("パスワードが正しくありません。"))
            return cleaned
        if second_factor_throttled(self.user):
            self.add_error(
                "code", _("確認コードの誤りが続いたため、少し時間をおいてからお試しください。")
            )
            return cleaned
        self.device = second_factor_check(user=self.user, code=code)
        if self.device is None:
            self.add_error("code", _("確認コードが正しくないか、すでに使われています。"))
        return cleaned


class InvitationPasswordForm(SetPasswordForm):
    """The invitee's first password: Django's validators, with Japanese messages."""

    def __init__(self, user, *args, **kwargs):
        super().__init__(user, *args, **kwargs)
        self.fields["new_password1"].label = _("パスワード")
        self.fields["new_password2"].label = _("パスワード（確認）")
        self.fields["new_password1"].error_messages["required"] = _(
            "パスワードを入力してください。"
        )
        self.fields["new_password2"].error_messages["required"] = _(
            "確認のため、同じパスワードをもう一度入力してください。"
        )


class StaffPasswordResetForm(PasswordResetForm):
    """Django's reset form, for staff and experts only, sending through the outbox.

    The answer never reveals whether the address is known: the view shows the same page either
    way, and nothing is sent for an unknown address (or for an account without a password yet,
    which needs a new invitation instead)."""

    email = NormalizedEmailField(
        label=_("メールアドレス"),
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email", "autofocus": True}),
        help_text=_("アカウントに登録されているメールアドレスを入力してください。"),
    )

    def get_users(self, email):
        from django.contrib.auth import get_user_model

        from .backends import expert_is_inactive
        from .factors import factor_required

        candidates = get_user_model()._default_manager.filter(email__iexact=email, is_active=True)
        for user in candidates:
            if (
                user.has_usable_password()
                and factor_required_or_expert(user, factor_required)
                and not expert_is_inactive(user)
            ):
                yield user

    def send_mail(
        self,
        subject_template_name,
        email_template_name,
        context,
        from_email,
        to_email,
        html_email_template_name=None,
    ):
        from django.conf import settings
        from django.urls import reverse

        from kosha_portal.mail.services import email_enqueue

        user = context["user"]
        url = settings.SITE_URL + reverse(
            "accounts:password_reset_confirm", args=[context["uid"], context["token"]]
        )
        email_enqueue(
            to=to_email,
            template="accounts/emails/password_reset",
            context={
                "name": f"{user.last_name} {user.first_name}".strip() or user.get_username(),
                "username": user.get_username(),
                "url": url,
                "minutes": settings.PASSWORD_RESET_TIMEOUT // 60,
            },
            language=settings.LANGUAGE_CODE,
            related=user,
        )


def factor_required_or_expert(user, factor_required) -> bool:
    """Password reset is for the portal's password accounts: staff, administrators, experts."""
    from .roles import EXPERTS, user_has_role

    return factor_required(user) or user_has_role(user, EXPERTS)


class StaffSetPasswordForm(InvitationPasswordForm):
    pass


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("理由を入力してください。")},
    )
