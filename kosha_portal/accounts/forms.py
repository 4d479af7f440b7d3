from django import forms
from django.utils.translation import gettext_lazy as _

from kosha_portal.japan.forms import NormalizedEmailField


class LinkResendForm(forms.Form):
    email = NormalizedEmailField(
        label=_("メールアドレス"),
        help_text=_("お申込み・ご相談の際にご登録いただいたメールアドレスを入力してください。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
