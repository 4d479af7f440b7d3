from crispy_forms.helper import FormHelper
from crispy_forms.layout import Fieldset, Layout
from django import forms
from django.utils.translation import gettext_lazy as _

from announcements.forms import AnnouncementOptInMixin
from companies.forms import OrganisationFieldsMixin
from kosha_portal.japan.forms import (
    KanaField,
    NormalizedCharField,
    NormalizedEmailField,
    PhoneField,
)

from .models import Registration, SurveyResponse


class RegistrationForm(AnnouncementOptInMixin, OrganisationFieldsMixin, forms.Form):
    """The public registration form: organisation (shared registry), participant, format."""

    name = NormalizedCharField(
        label=_("氏名"), max_length=100, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    name_kana = KanaField(label=_("氏名（フリガナ）"), max_length=100)
    department = NormalizedCharField(label=_("部署"), max_length=100, required=False)
    role = NormalizedCharField(label=_("役職"), max_length=100, required=False)
    email = NormalizedEmailField(
        label=_("メールアドレス"),
        max_length=254,
        help_text=_("確認メールとご参加のご案内をお送りします。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    phone = PhoneField(label=_("電話番号"), required=False)
    format = forms.ChoiceField(
        label=_("参加方法"), choices=Registration.Format.choices, widget=forms.RadioSelect
    )
    join_waitlist = forms.BooleanField(
        label=_("満席の場合はキャンセル待ちに登録する"),
        required=False,
        initial=True,
        help_text=_("キャンセルが出た場合、お申込み順に繰り上げてメールでお知らせします。"),
    )
    question = forms.CharField(
        label=_("講師への質問（任意）"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    heard_from = forms.ChoiceField(
        label=_("このセミナーを何で知りましたか（任意）"),
        choices=[("", "---------")] + Registration.HeardFrom.choices,
        required=False,
    )
    consent = forms.BooleanField(
        label=_("「個人情報の取扱いについて」に同意します"),
        error_messages={"required": _("お申込みには個人情報の取扱いへの同意が必要です。")},
    )

    participant_fields = ["name", "name_kana", "department", "role", "email", "phone"]

    def __init__(self, *args, seminar, **kwargs):
        super().__init__(*args, **kwargs)
        self.seminar = seminar
        # A seminar needs less of the company than a consultation does.
        for name in ("org_postal_code", "org_municipality", "org_address", "org_main_business"):
            self.fields[name].required = False
        formats = seminar.attendance_formats
        self.fields["format"].choices = [(f, Registration.Format(f).label) for f in formats]
        if len(formats) == 1:
            self.fields["format"].initial = formats[0]
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("事業者の情報"), *self.organisation_field_names),
            Fieldset(_("参加される方"), *self.participant_fields),
            Fieldset(_("参加方法"), "format", "join_waitlist"),
            Fieldset(_("その他"), "question", "heard_from", "consent", "announcement_opt_in"),
        )

    def participant_data(self) -> dict:
        data = {name: self.cleaned_data.get(name) or "" for name in self.participant_fields}
        data.update(
            format=self.cleaned_data["format"],
            question=self.cleaned_data.get("question", ""),
            heard_from=self.cleaned_data.get("heard_from", ""),
        )
        return data


class ResendForm(forms.Form):
    email = NormalizedEmailField(label=_("メールアドレス"), widget=forms.HiddenInput)


class SurveyForm(forms.ModelForm):
    class Meta:
        model = SurveyResponse
        fields = ["satisfaction", "usefulness", "comment"]
        widgets = {
            "satisfaction": forms.RadioSelect,
            "usefulness": forms.RadioSelect,
            "comment": forms.Textarea(attrs={"rows": 5}),
        }
        labels = {"comment": _("ご意見・ご感想（任意）")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("satisfaction", "usefulness"):
            self.fields[name].choices = [c for c in self.fields[name].choices if c[0] != ""]
        self.helper = FormHelper()
        self.helper.form_tag = False
