from crispy_forms.helper import FormHelper
from crispy_forms.layout import HTML, Fieldset, Layout, Submit
from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from announcements.forms import AnnouncementOptInMixin
from companies.forms import OrganisationFieldsMixin
from kosha_portal.japan.forms import (
    KanaField,
    NormalizedCharField,
    NormalizedEmailField,
    PhoneField,
)

from .models import Application, CoachingVisit, InfoSession, Instructor

PARTICIPANT_SLOTS = 3


class SchoolApplicationForm(AnnouncementOptInMixin, OrganisationFieldsMixin, forms.Form):
    contact_name = NormalizedCharField(
        label=_("ご担当者氏名"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_name_kana = KanaField(label=_("ご担当者氏名（フリガナ）"), max_length=100)
    contact_email = NormalizedEmailField(
        label=_("ご担当者メールアドレス"),
        help_text=_("受付確認と選考結果をこのアドレスにお送りします。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_phone = PhoneField(label=_("ご担当者電話番号"))
    concerns = forms.MultipleChoiceField(
        label=_("現在のお悩み（当てはまるものをすべて選んでください）"),
        choices=Application.Concern.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    concerns_other = NormalizedCharField(
        label=_("その他のお悩み・受講で解決したいこと"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    info_session = forms.ModelChoiceField(
        label=_("説明会への参加（任意）"),
        queryset=None,
        required=False,
        empty_label=_("参加していない"),
        help_text=_("この期の説明会に参加された方は、参加した回をお選びください。"),
        error_messages={"invalid_choice": _("選択肢の中からお選びください。")},
    )
    consent = forms.BooleanField(
        label=_("「個人情報の取扱いについて」に同意します"),
        error_messages={"required": _("個人情報の取扱いへの同意が必要です。")},
    )

    def __init__(
        self, *args, max_participants: int = PARTICIPANT_SLOTS, info_sessions=None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        # The cohort's 説明会 that have taken place (an applicant can only have attended those).
        sessions = info_sessions if info_sessions is not None else InfoSession.objects.none()
        self.fields["info_session"].queryset = sessions
        self.fields["info_session"].label_from_instance = lambda s: str(s)
        self.max_participants = min(max_participants, PARTICIPANT_SLOTS)
        participant_fieldsets = []
        for i in range(1, self.max_participants + 1):
            first = i == 1
            self.fields[f"p{i}_name"] = NormalizedCharField(
                label=_("参加者%(n)s 氏名") % {"n": i}, max_length=100, required=first
            )
            self.fields[f"p{i}_name_kana"] = KanaField(
                label=_("参加者%(n)s 氏名（フリガナ）") % {"n": i}, max_length=100, required=False
            )
            self.fields[f"p{i}_department"] = NormalizedCharField(
                label=_("参加者%(n)s 所属部署") % {"n": i},
                max_length=100,
                required=False,
                help_text=_("例：営業部、管理本部") if first else "",
            )
            self.fields[f"p{i}_role"] = NormalizedCharField(
                label=_("参加者%(n)s 役職") % {"n": i},
                max_length=100,
                required=first,
                help_text=_("例：代表、課長、担当者") if first else "",
            )
            title = _("参加者%(n)s") % {"n": i}
            if not first:
                title = _("参加者%(n)s（任意）") % {"n": i}
            participant_fieldsets.append(
                Fieldset(title, f"p{i}_name", f"p{i}_name_kana", f"p{i}_department", f"p{i}_role")
            )
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.layout = Layout(
            Fieldset(_("事業者について"), *self.organisation_field_names),
            Fieldset(
                _("ご担当者（連絡先）"),
                "contact_name",
                "contact_name_kana",
                "contact_email",
                "contact_phone",
            ),
            HTML(
                '<p class="text-body-secondary">'
                + str(_("1社から%(n)s名まで参加できます。") % {"n": self.max_participants})
                + "</p>"
            ),
            *participant_fieldsets,
            Fieldset(_("現在のお悩み"), "concerns", "concerns_other"),
            *([Fieldset(_("説明会"), "info_session")] if sessions.exists() else []),
            HTML(
                f'<p><a href="{reverse_lazy("privacy")}" target="_blank" rel="noopener">'
                + str(_("個人情報の取扱いについて（新しいタブで開きます）"))
                + "</a></p>"
            ),
            "consent",
            "announcement_opt_in",
            Submit("submit", _("申し込む"), css_class="btn-primary btn-lg"),
        )

    def clean(self):
        cleaned = super().clean()
        for i in range(2, self.max_participants + 1):
            filled = any(
                cleaned.get(f"p{i}_{part}") for part in ("name_kana", "department", "role")
            )
            if filled and not cleaned.get(f"p{i}_name"):
                self.add_error(f"p{i}_name", _("参加者%(n)sの氏名を入力してください。") % {"n": i})
            if cleaned.get(f"p{i}_name") and not cleaned.get(f"p{i}_role"):
                self.add_error(
                    f"p{i}_role",
                    _("参加者%(n)sの役職を入力してください（役職のない方は「担当者」など）。")
                    % {"n": i},
                )
        return cleaned

    def participants(self) -> list[dict]:
        return [
            {
                "name": self.cleaned_data[f"p{i}_name"],
                "name_kana": self.cleaned_data.get(f"p{i}_name_kana", ""),
                "department": self.cleaned_data.get(f"p{i}_department", ""),
                "role": self.cleaned_data.get(f"p{i}_role", ""),
            }
            for i in range(1, self.max_participants + 1)
            if self.cleaned_data.get(f"p{i}_name")
        ]

    def contact(self) -> dict:
        return {
            "name": self.cleaned_data["contact_name"],
            "name_kana": self.cleaned_data["contact_name_kana"],
            "email": self.cleaned_data["contact_email"],
            "phone": self.cleaned_data["contact_phone"],
        }


class RosterImportForm(forms.Form):
    file = forms.FileField(
        label=_("名簿ファイル（CSV または Excel）"),
        help_text=_(
            "1行目は見出し（№・事業者名・主な事業内容・氏名・フリガナ・所属・役職・"
            "メールアドレス）、2行目から参加者1名につき1行です。"
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.layout = Layout("file", Submit("submit", _("取り込む")))


class CoachingVisitForm(forms.ModelForm):
    class Meta:
        model = CoachingVisit
        fields = [
            "application",
            "date",
            "start_time",
            "end_time",
            "mode",
            "instructor",
            "topics",
            "notes",
        ]
        widgets = {
            "date": forms.DateInput(attrs={"type": "date"}),
            "start_time": forms.TimeInput(attrs={"type": "time"}),
            "end_time": forms.TimeInput(attrs={"type": "time"}),
            "notes": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, cohort, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["application"].queryset = (
            cohort.applications.filter(status=Application.Status.ACCEPTED)
            .select_related("organisation")
            .order_by("roster_number")
        )
        self.fields["application"].label_from_instance = lambda a: (
            f"№{a.roster_number} {a.organisation.name}"
        )
        self.fields["instructor"].queryset = Instructor.objects.filter(is_active=True)
        self.helper = FormHelper()
        self.helper.layout = Layout(*self.Meta.fields, Submit("submit", _("記録する")))

    def _post_clean(self):
        # The service creates the row (and numbers it); skip ModelForm's instance validation.
        pass
