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
from .services import exclusive_choice_conflict


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
    # Consent to wait is the applicant's own act: never ticked in advance.
    join_waitlist = forms.BooleanField(
        label=_("満席の場合はキャンセル待ちに登録する"),
        required=False,
        initial=False,
        help_text=_("キャンセルが出た場合、お申込み順に繰り上げてメールでお知らせします。"),
    )
    # Offered only when the chosen format is full and another one has seats.
    when_full = forms.ChoiceField(
        label=_("ご希望の参加方法が満席のため、どちらかをお選びください"),
        choices=[],
        required=False,
        widget=forms.RadioSelect,
        error_messages={
            "required": _("参加方法の変更か、キャンセル待ちへの登録をお選びください。")
        },
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
        error_messages={"required": _("個人情報の取扱いへの同意が必要です。")},
    )

    participant_fields = ["name", "name_kana", "department", "role", "email", "phone"]

    WHEN_FULL_SWITCH = "switch"
    WHEN_FULL_WAITLIST = "waitlist"

    def __init__(self, *args, seminar, **kwargs):
        super().__init__(*args, **kwargs)
        self.seminar = seminar
        if seminar.is_info_session:
            self.fields["question"].label = _("説明会でお聞きになりたいこと（任意）")
            self.fields["heard_from"].label = _("この説明会を何で知りましたか（任意）")
        # A seminar needs less of the company than a consultation does.
        for name in ("org_postal_code", "org_municipality", "org_address", "org_main_business"):
            self.fields[name].required = False
        formats = seminar.attendance_formats
        self.fields["format"].choices = [(f, Registration.Format(f).label) for f in formats]
        if len(formats) == 1:
            self.fields["format"].initial = formats[0]
        self.offering, self.fallback = False, None
        # The answer to an offer made on the previous page: offer it again (with the same
        # choices) should anything else need correcting.
        requested = self.data.get("format") if self.is_bound else None
        if self.is_bound and self.data.get("when_full") and requested in formats:
            self.offer_alternatives(
                requested=requested, alternatives=[f for f in formats if f != requested]
            )
        self._build_layout()

    def _build_layout(self):
        self.helper = FormHelper()
        self.helper.form_tag = False
        attendance = ["format", "when_full"] if self.offering else ["format", "join_waitlist"]
        self.helper.layout = Layout(
            Fieldset(_("事業者の情報"), *self.organisation_field_names),
            Fieldset(_("参加される方"), *self.participant_fields),
            Fieldset(_("参加方法"), *attendance),
            Fieldset(_("その他"), "question", "heard_from", "consent", "announcement_opt_in"),
        )

    def offer_alternatives(self, *, requested: str, alternatives: list[str]) -> None:
        """The chosen format is full and ``alternatives`` have seats: ask to switch or to wait."""
        if not alternatives:
            return
        other = alternatives[0]
        field = self.fields["when_full"]
        field.choices = [
            (
                self.WHEN_FULL_SWITCH,
                _("参加方法を「%(format)s」に変更して申し込む（空席があります）")
                % {"format": Registration.Format(other).label},
            ),
            (
                self.WHEN_FULL_WAITLIST,
                _("「%(format)s」のキャンセル待ちに登録する")
                % {"format": Registration.Format(requested).label},
            ),
        ]
        field.required = True
        if self.is_bound and self.data.get("join_waitlist") and not self.data.get("when_full"):
            self.data = self.data.copy()
            self.data["when_full"] = self.WHEN_FULL_WAITLIST  # they had agreed to wait
        self.fallback = other
        self.offering = True
        self._build_layout()

    def registration_choice(self) -> dict:
        """What to do when the chosen format is full, as registration_create takes it."""
        when_full = self.cleaned_data.get("when_full") if self.offering else ""
        return {
            "fallback_format": self.fallback if when_full == self.WHEN_FULL_SWITCH else None,
            "join_waitlist": bool(self.cleaned_data.get("join_waitlist"))
            or when_full == self.WHEN_FULL_WAITLIST,
            # Until the offer has been answered, another format with seats is offered first.
            "ask_before_waiting": not when_full,
        }

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
    intentions = forms.MultipleChoiceField(
        label=_("今後、自社で取り組みたいこと（複数選択可・任意）"),
        choices=SurveyResponse.Intention.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("「特になし」は、ほかの項目と一緒には選べません。"),
    )

    class Meta:
        model = SurveyResponse
        fields = ["satisfaction", "usefulness", "intentions", "comment"]
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
            self.fields[name].error_messages["required"] = _("選択してください。")
        self.helper = FormHelper()
        self.helper.form_tag = False

    def clean_intentions(self):
        values = self.cleaned_data["intentions"]
        conflict = exclusive_choice_conflict(
            values, SurveyResponse.EXCLUSIVE_INTENTIONS, dict(SurveyResponse.Intention.choices)
        )
        if conflict:
            raise forms.ValidationError(conflict, code="contradictory")
        return values

    def answers(self) -> dict:
        data = self.cleaned_data
        return {
            "satisfaction": data["satisfaction"],
            "usefulness": data["usefulness"],
            "intentions": data.get("intentions") or [],
            "comment": data.get("comment", ""),
        }


class CheckInCodeForm(forms.Form):
    """The door's field: the short code typed, or the QR code's token the scanner fills in."""

    code = forms.CharField(
        label=_("受付コード"),
        max_length=200,
        error_messages={"required": _("受付コードを入力するか、QRコードを読み取ってください。")},
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "inputmode": "text",
            }
        ),
    )
