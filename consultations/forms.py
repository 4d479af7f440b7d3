from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import ValidationError
from django.urls import reverse_lazy
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from announcements.forms import AnnouncementOptInMixin
from companies.forms import OrganisationFieldsMixin
from kosha_portal import clock
from kosha_portal.japan.forms import (
    KanaField,
    NormalizedCharField,
    NormalizedEmailField,
    PhoneField,
)

from .files import MAX_FILES, max_file_bytes, max_total_bytes, validate_uploads
from .models import (
    INTAKE_FIELDS,
    Assessment,
    BehaviourType,
    Channel,
    ContactTime,
    ContactWay,
    Damage,
    Measure,
    Place,
    RequestedSupport,
)

TIMESTAMP_SALT = "consultations.intake.started"
REQUIRED_MESSAGE = _("この項目は入力が必要です。")


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Up to MAX_FILES files in one input; the content checks live in files.validate_uploads."""

    def __init__(self, **kwargs):
        kwargs.setdefault(
            "widget",
            MultipleFileInput(
                attrs={
                    "multiple": True,
                    "accept": ".pdf,.jpg,.jpeg,.png,.gif,.webp,.doc,.docx,.xls,.xlsx,.ppt,.pptx",
                }
            ),
        )
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, (list, tuple)) else [data]
        single = super().clean
        return validate_uploads([single(f, initial) for f in files if f])


def _attachments_help():
    return _(
        "PDF・画像・Word・Excel・PowerPoint、%(count)s件まで（1ファイル%(file)sMB、合計%(total)s"
        "MBまで）。投稿のスクリーンショットなどをお送りいただけます。"
    ) % {
        "count": MAX_FILES,
        "file": max_file_bytes() // (1024 * 1024),
        "total": max_total_bytes() // (1024 * 1024),
    }


def _checkboxes(choices, label, required=False, help_text=""):
    return forms.MultipleChoiceField(
        label=label,
        choices=choices,
        required=required,
        widget=forms.CheckboxSelectMultiple,
        help_text=help_text,
    )


class ConsultationFieldsMixin(forms.Form):
    """What the company tells the desk; shared by the public form and the staff record form."""

    contact_name = NormalizedCharField(
        label=_("ご担当者名"),
        max_length=100,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    contact_kana = KanaField(label=_("ご担当者名（フリガナ）"), max_length=100)
    contact_department = NormalizedCharField(label=_("部署"), max_length=100, required=False)
    contact_role = NormalizedCharField(label=_("役職"), max_length=100, required=False)
    contact_email = NormalizedEmailField(
        label=_("メールアドレス"),
        max_length=254,
        help_text=_("受付のお知らせと、ご相談の状況を確認できる専用リンクをお送りします。"),
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_phone = PhoneField(
        label=_("電話番号"),
        required=False,
        help_text=_("お電話での連絡をご希望の場合は必ずご入力ください。"),
    )
    contact_way = forms.ChoiceField(
        label=_("ご希望の連絡方法"),
        choices=ContactWay.choices,
        initial=ContactWay.EMAIL,
        widget=forms.RadioSelect,
    )
    contact_time = forms.ChoiceField(
        label=_("ご希望の連絡時間帯"),
        choices=ContactTime.choices,
        initial=ContactTime.ANY,
        widget=forms.RadioSelect,
    )
    places = _checkboxes(
        Place.choices,
        _("発生した場面"),
        required=True,
        help_text=_("当てはまるものをすべて選んでください。"),
    )
    behaviour_types = _checkboxes(
        BehaviourType.choices,
        _("行為の類型"),
        help_text=_(
            "厚生労働省「カスタマーハラスメント対策企業マニュアル」の類型です。当てはまるものを"
            "すべて選んでください（わからない場合は空欄で結構です）。"
        ),
    )
    damages = _checkboxes(
        Damage.choices, _("被害の状況"), help_text=_("当てはまるものがあれば選んでください。")
    )
    measures = _checkboxes(
        Measure.choices,
        _("すでに実施している対策"),
        help_text=_("当てはまるものがあれば選んでください。"),
    )
    requested_support = _checkboxes(RequestedSupport.choices, _("ご希望の支援"), required=True)
    description = NormalizedCharField(
        label=_("ご相談内容"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_(
            "いつ頃から、どのような行為があり、どのようにお困りかをご記入ください（4000字まで）。"
            "ハラスメントを行った方の個人名は書かなくて結構です。"
        ),
    )
    attachments = MultipleFileField(
        label=_("添付ファイル（任意）"), help_text=lazy(_attachments_help, str)()
    )

    consultation_field_names = INTAKE_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.error_messages["required"] = REQUIRED_MESSAGE
        self.fields["places"].error_messages["required"] = _(
            "当てはまる場面を1つ以上選んでください。"
        )
        self.fields["requested_support"].error_messages["required"] = _(
            "ご希望の支援を1つ以上選んでください。"
        )

    def clean(self):
        cleaned = super().clean()
        if (
            cleaned.get("contact_way") in (ContactWay.PHONE, ContactWay.EITHER)
            and not cleaned.get("contact_phone")
            and "contact_phone" not in self.errors
        ):
            self.add_error(
                "contact_phone", _("お電話での連絡をご希望の場合は、電話番号を入力してください。")
            )
        return cleaned

    def consultation_data(self) -> dict:
        return {name: self.cleaned_data.get(name) for name in self.consultation_field_names}


def started_token() -> str:
    return signing.dumps(clock.now().timestamp(), salt=TIMESTAMP_SALT)


class ConsultationIntakeForm(
    AnnouncementOptInMixin, OrganisationFieldsMixin, ConsultationFieldsMixin
):
    """The public intake form (no account, no CAPTCHA: a honeypot and a minimum fill time)."""

    privacy_consent = forms.BooleanField(
        label=lazy(
            lambda: format_html(
                '{} <a href="{}" target="_blank" rel="noopener">{}</a>',
                _("個人情報の取扱いに同意します。"),
                reverse_lazy("privacy"),
                _("個人情報の取扱いについて（新しいタブで開きます）"),
            ),
            str,
        )(),
        error_messages={
            "required": _("ご相談をお受けするには、個人情報の取扱いへの同意が必要です。")
        },
    )
    # A field people never see; bots that fill every input give themselves away.
    website = forms.CharField(
        label=_("この欄は空欄のままにしてください"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["privacy_consent"].error_messages["required"] = _(
            "ご相談をお受けするには、個人情報の取扱いへの同意が必要です。"
        )
        self.fields["started"].initial = started_token()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise ValidationError(
                _("送信内容を受け付けられませんでした。お手数ですが、お電話でご相談ください。"),
                code="honeypot",
            )
        try:
            started = signing.loads(
                cleaned.get("started") or "", salt=TIMESTAMP_SALT, max_age=60 * 60 * 24
            )
            started = float(started)
        except (signing.BadSignature, TypeError, ValueError):
            raise ValidationError(
                _(
                    "入力の有効期限が切れたか、フォームを正しく読み込めませんでした。"
                    "お手数ですが、内容をご確認のうえもう一度送信してください。"
                ),
                code="expired",
            ) from None
        if clock.now().timestamp() - started < settings.CONSULTATION_MIN_FILL_SECONDS:
            raise ValidationError(
                _(
                    "送信が早すぎるため受け付けられませんでした。内容をご確認のうえ、もう一度送信してください。"
                ),
                code="too_fast",
            )
        return cleaned


class StaffRecordForm(OrganisationFieldsMixin, ConsultationFieldsMixin):
    """Desk staff recording a consultation received by phone, visit or email."""

    channel = forms.ChoiceField(
        label=_("受付経路"),
        choices=[c for c in Channel.choices if c[0] != Channel.WEB],
        initial=Channel.PHONE,
    )
    privacy_consent = forms.BooleanField(
        label=_("個人情報の取扱いについて説明し、同意を得ました"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["places"].required = False
        self.fields["requested_support"].required = False


class CompanyMessageForm(forms.Form):
    body = NormalizedCharField(
        label=_("メッセージ"),
        max_length=4000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
    )
    attachments = MultipleFileField(
        label=_("添付ファイル（任意）"), help_text=lazy(_attachments_help, str)()
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("body") and not cleaned.get("attachments") and not self.errors:
            raise ValidationError(_("メッセージを入力するか、ファイルを選択してください。"))
        return cleaned


# --- admin-side forms -----------------------------------------------------------------------------


def _staff_users():
    return get_user_model().objects.filter(is_staff=True, is_active=True).order_by("username")


class AssignForm(forms.Form):
    officer = forms.ModelChoiceField(label=_("担当者"), queryset=_staff_users(), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officer"].queryset = _staff_users()


class MessageForm(forms.Form):
    body = forms.CharField(
        label=_("本文"), max_length=8000, widget=forms.Textarea(attrs={"rows": 6, "cols": 80})
    )


class TriageForm(forms.Form):
    demand_reasonableness = forms.ChoiceField(
        label=_("要求内容の妥当性"), choices=Assessment.choices, required=False
    )
    means_acceptability = forms.ChoiceField(
        label=_("手段・態様の相当性"), choices=Assessment.choices, required=False
    )
    follow_up_on = forms.DateField(
        label=_("フォローアップ予定日"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class DispatchNeedForm(forms.Form):
    needed = forms.TypedChoiceField(
        label=_("専門家派遣の必要性"),
        choices=[("yes", _("必要性あり")), ("no", _("必要性なし"))],
        coerce=lambda v: v == "yes",
        widget=forms.RadioSelect,
    )
    reason = forms.CharField(
        label=_("判断理由"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3, "cols": 80})
    )


class ReasonForm(forms.Form):
    """The reason a backward or destructive move (取下げ, 再開) needs."""

    reason = forms.CharField(
        label=_("理由"),
        max_length=500,
        error_messages={"required": _("理由を入力してください。")},
    )
