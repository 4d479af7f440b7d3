from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from announcements.forms import AnnouncementOptInMixin
from companies.sme import Industry
from kosha_portal.errors import DomainError
from kosha_portal.japan.forms import (
    NormalizedCharField,
    NormalizedEmailField,
    PhoneField,
    YenField,
)

from .models import EligibilityItem, Expert, Mode, Qualification, Survey

DATE_WIDGET = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
TIME_WIDGET = forms.TimeInput(attrs={"type": "time"}, format="%H:%M")


class ApplicationForm(AnnouncementOptInMixin, forms.Form):
    contact_name = NormalizedCharField(label=_("ご担当者名"), max_length=100)
    contact_email = NormalizedEmailField(label=_("メールアドレス"))
    contact_phone = PhoneField(
        label=_("電話番号"),
        required=False,
        help_text=_("派遣専門家が日程の調整でご連絡する場合があります。"),
    )
    theme = NormalizedCharField(
        label=_("相談したいテーマ"),
        max_length=200,
        help_text=_("例：カスタマーハラスメント対応マニュアルの作成"),
    )
    goals = forms.CharField(
        label=_("派遣で達成したいこと"), widget=forms.Textarea(attrs={"rows": 4})
    )
    preferred_expert_type = forms.ChoiceField(
        label=_("希望する専門家の種類"),
        required=False,
        choices=[("", _("特に希望しない"))] + list(Qualification.choices),
    )
    preferred_mode = forms.ChoiceField(
        label=_("希望する実施方法"),
        choices=Mode.choices,
        widget=forms.RadioSelect,
        initial=Mode.ONSITE,
    )
    preferred_dates = forms.CharField(
        label=_("希望日程"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例：平日の午後、2月上旬"),
    )
    share_description_with_expert = forms.BooleanField(
        label=_("ご相談の際にご記入いただいたご相談内容を、派遣専門家と共有することに同意します"),
        required=False,
        help_text=_(
            "同意いただくと、専門家が事前に状況を把握できます。同意いただかない場合も、行為の類型・発生した場面・被害の状況・実施済みの対策は専門家に共有されます。"
        ),
    )
    consent = forms.BooleanField(
        label=_("個人情報の取扱いに同意します"),
        required=True,
        error_messages={"required": _("個人情報の取扱いへの同意が必要です。")},
    )

    # Registry data an eligibility rule cannot judge without; added only when missing.
    COMPANY_FIELDS = {
        "industry": lambda: forms.ChoiceField(
            label=_("業種区分"), choices=[("", "---------")] + list(Industry.CHOICES)
        ),
        "employees": lambda: forms.IntegerField(
            label=_("常時使用する従業員数"),
            required=False,
            min_value=0,
            max_value=10**6,
            help_text=_(
                "パート・アルバイトを含め、常時雇用している方の人数です（役員・家族従業員は除きます）。"
            ),
        ),
        "capital_yen": lambda: YenField(
            label=_("資本金（円）"),
            required=False,
            max_value=10**15,
            help_text=_("例：5,000,000"),
        ),
    }

    def __init__(self, *args, items: list[EligibilityItem], missing=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.items = items
        self.missing = [name for name in self.COMPANY_FIELDS if name in missing]
        for name in self.missing:
            self.fields[f"company_{name}"] = self.COMPANY_FIELDS[name]()
        if "employees" in self.missing and "capital_yen" not in self.missing:
            self.fields["company_employees"].required = True
            self.fields["company_employees"].error_messages["required"] = _(
                "従業員数を入力してください。"
            )
        for item in items:
            self.fields[f"attest_{item.code}"] = forms.BooleanField(
                label=item.label,
                required=False,
                help_text=_("確認方法：%(evidence)s") % {"evidence": item.evidence}
                if item.evidence
                else "",
            )

    def clean(self):
        cleaned = super().clean()
        both_asked = "employees" in self.missing and "capital_yen" in self.missing
        neither = (
            cleaned.get("company_employees") is None and cleaned.get("company_capital_yen") is None
        )
        if both_asked and neither:
            self.add_error(
                "company_employees",
                _("従業員数または資本金の少なくとも一方を入力してください。"),
            )
        return cleaned

    def company_data(self) -> dict:
        return {
            name: self.cleaned_data.get(f"company_{name}")
            for name in self.missing
            if self.cleaned_data.get(f"company_{name}") not in (None, "")
        }

    def company_fields(self):
        return [self[f"company_{name}"] for name in self.missing]

    def attestations(self) -> dict[str, bool]:
        return {
            item.code: bool(self.cleaned_data.get(f"attest_{item.code}")) for item in self.items
        }

    def attestation_fields(self):
        return [self[f"attest_{item.code}"] for item in self.items]


class VisitScheduleForm(forms.Form):
    date = forms.DateField(label=_("実施日"), widget=DATE_WIDGET)
    start_time = forms.TimeField(label=_("開始時刻"), required=False, widget=TIME_WIDGET)
    mode = forms.ChoiceField(
        label=_("実施方法"), choices=Mode.choices, widget=forms.RadioSelect, initial=Mode.ONSITE
    )
    place = NormalizedCharField(
        label=_("実施場所"),
        max_length=200,
        required=False,
        help_text=_("訪問の場合は必ず入力してください。"),
    )
    online_url = forms.URLField(
        label=_("オンライン会議のURL"), required=False, assume_scheme="https"
    )


class VisitReportForm(forms.Form):
    report_date = forms.DateField(label=_("実施日"), widget=DATE_WIDGET)
    report_start = forms.TimeField(label=_("開始時刻"), widget=TIME_WIDGET)
    report_end = forms.TimeField(label=_("終了時刻"), widget=TIME_WIDGET)
    attendees = forms.CharField(
        label=_("出席者"),
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("例：代表取締役 山田太郎、店長 佐藤花子"),
    )
    topics = forms.CharField(label=_("相談内容"), widget=forms.Textarea(attrs={"rows": 4}))
    advice = forms.CharField(label=_("助言内容"), widget=forms.Textarea(attrs={"rows": 5}))
    next_steps = forms.CharField(
        label=_("次回までの課題"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )


class CompletionForm(forms.Form):
    summary = forms.CharField(label=_("支援の総括"), widget=forms.Textarea(attrs={"rows": 5}))
    outcomes = forms.CharField(
        label=_("成果・今後の課題"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )


class DisputeForm(forms.Form):
    comment = forms.CharField(
        label=_("報告内容と異なる点"), widget=forms.Textarea(attrs={"rows": 3})
    )


class SurveyForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("満足度"),
        coerce=int,
        widget=forms.RadioSelect,
        choices=[
            (5, _("5：とても満足")),
            (4, _("4：満足")),
            (3, _("3：ふつう")),
            (2, _("2：やや不満")),
            (1, _("1：不満")),
        ],
    )
    introduced = forms.MultipleChoiceField(
        label=_("派遣を受けて導入した取組"),
        required=False,
        choices=Survey.Introduced.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    comment = forms.CharField(
        label=_("ご意見・ご感想"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def clean_introduced(self):
        from .services import survey_answer_check

        introduced = self.cleaned_data["introduced"]
        try:
            survey_answer_check(introduced)
        except DomainError as exc:
            raise ValidationError(exc.message, code=exc.code) from None
        return introduced


class DecideForm(forms.Form):
    decision_date = forms.DateField(label=_("派遣決定日"), widget=DATE_WIDGET)
    decision_number = forms.CharField(label=_("決定番号"), max_length=50)
    expert = forms.ModelChoiceField(
        label=_("派遣専門家"), queryset=Expert.objects.filter(active=True)
    )
    planned_visits = forms.IntegerField(label=_("予定派遣回数"), min_value=1, max_value=20)


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("不採択の理由"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("申込者へのメールにそのまま記載されます。"),
        error_messages={"required": _("理由を入力してください。")},
    )


class StaffVisitCancelForm(forms.Form):
    """The desk's reason for cancelling a scheduled visit (the company and the expert read it)."""

    reason = forms.CharField(
        label=_("取消しの理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("事業者と専門家へのメールに記載されます。"),
        error_messages={"required": _("理由を入力してください。")},
    )


class CompletionAllowForm(forms.Form):
    """Why the desk accepts a 完了報告 before the company confirmed every held visit."""

    reason = forms.CharField(
        label=_("企業確認を待たずに完了報告を受け付ける理由"),
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("派遣完了報告書に印字されます。例：事業者と連絡が取れないため（3回連絡済み）"),
        error_messages={"required": _("理由を入力してください。")},
    )


class WithdrawReasonForm(forms.Form):
    """The company's reason for withdrawing its dispatch (the desk keeps it in the history)."""

    reason = forms.CharField(
        label=_("取下げの理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例：社内で対応できる見通しが立ったため"),
        error_messages={"required": _("理由を入力してください。")},
    )


class VisitCancelForm(forms.Form):
    """The expert's reason for cancelling a scheduled visit."""

    reason = forms.CharField(
        label=_("取消しの理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("例：企業のご都合により日程を取り直すため。事業者へのメールに記載されます。"),
        error_messages={"required": _("理由を入力してください。")},
    )
