from django import forms
from django.utils.translation import gettext_lazy as _

from kosha_portal.errors import DomainError

from .services import Person


class PersonForm(forms.Form):
    """Who the request is about: an email address, or a name and a phone number."""

    email = forms.CharField(
        label=_("メールアドレス"), required=False, max_length=254, widget=forms.EmailInput
    )
    name = forms.CharField(
        label=_("氏名"), required=False, max_length=100, help_text=_("例：山田 太郎")
    )
    phone = forms.CharField(
        label=_("電話番号"), required=False, max_length=20, help_text=_("例：03-3251-7881")
    )

    def clean(self):
        data = super().clean()
        try:
            data["person"] = Person.of(
                email=data.get("email", ""), name=data.get("name", ""), phone=data.get("phone", "")
            )
        except DomainError as error:
            raise forms.ValidationError(error.message) from None
        return data


class HiddenPersonForm(PersonForm):
    """The same criteria carried from one step to the next (never stored)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget = forms.HiddenInput()


class EraseForm(HiddenPersonForm):
    reason = forms.CharField(
        label=_("消去の理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=_(
            "請求の受付日と方法を記録してください（例：2026年12月1日 本人から電話で削除の請求）。"
            "氏名や連絡先は書かないでください。"
        ),
        error_messages={"required": _("入力してください。")},
    )
    confirm = forms.BooleanField(
        label=_("上記の記録から個人情報を消去します。この操作は取り消せません。"),
        error_messages={"required": _("確認のチェックを入れてください。")},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].widget = forms.Textarea(attrs={"rows": 3})
        self.fields["confirm"].widget = forms.CheckboxInput()
