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
from companies.forms import (
    OrganisationFieldsMixin,
    prepare_required_messages,
    required_messages,
)
from kosha_portal import clock
from kosha_portal.forms import CleanWithoutBoundFieldsMixin
from kosha_portal.japan.forms import (
    KanaField,
    NormalizedCharField,
    NormalizedEmailField,
    PhoneField,
)
from kosha_portal.japan.names import person_name

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
        help_text=_("受付のお知らせと、ご相談の状況を確認できる個人用リンクをお送りします。"),
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
        if not getattr(self, "required_messages_prepared", False):
            required_messages(self, self.fields)
            self.prepare_fields(self.fields)

    @staticmethod
    def prepare_fields(fields) -> None:
        fields["places"].error_messages["required"] = _("当てはまる場面を1つ以上選んでください。")
        fields["requested_support"].error_messages["required"] = _(
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


STARTED_MAX_AGE = 60 * 60 * 24


def started_token() -> str:
    return signing.dumps(clock.now().timestamp(), salt=TIMESTAMP_SALT)


def _started_at(token: str) -> float | None:
    """When the form was first shown, from its signed token; None if forged or expired."""
    try:
        return float(signing.loads(token or "", salt=TIMESTAMP_SALT, max_age=STARTED_MAX_AGE))
    except (signing.BadSignature, TypeError, ValueError):
        return None


class ConsultationIntakeForm(
    CleanWithoutBoundFieldsMixin,
    AnnouncementOptInMixin,
    OrganisationFieldsMixin,
    ConsultationFieldsMixin,
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
        error_messages={"required": _("個人情報の取扱いへの同意が必要です。")},
    )
    # A field people never see; bots that fill every input give themselves away.
    website = forms.CharField(
        label=_("この欄は空欄のままにしてください"),
        required=False,
        widget=forms.TextInput(attrs={"tabindex": "-1", "autocomplete": "off"}),
    )
    started = forms.CharField(widget=forms.HiddenInput, required=False)
    # The order of templates/consultations/new.html, which the error summary follows.
    field_order = [
        *OrganisationFieldsMixin.organisation_field_names,
        *INTAKE_FIELDS,
        "attachments",
        "website",
        "privacy_consent",
        "announcement_opt_in",
        "started",
    ]

    @staticmethod
    def prepare_fields(fields) -> None:
        # Set once on the class's fields (see below), not at every POST.
        ConsultationFieldsMixin.prepare_fields(fields)
        fields["privacy_consent"].error_messages["required"] = _(
            "個人情報の取扱いへの同意が必要です。"
        )
        # Its label holds the link to the privacy notice; the summary's link names it in words.
        fields["privacy_consent"].summary_label = _("個人情報の取扱いへの同意")
        fields["org_capital_yen"].help_text = _(
            "「1億」「5,000万円」「50,000,000円」のように入力できます。"
            "個人事業主の方は空欄で結構です。"
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The fill timer starts at the first render: a form shown again with errors keeps the
        # token it was first given, so a quick correction is not refused as too fast. Only a
        # missing, forged or expired token is replaced (and that submission is refused below).
        posted = self.data.get("started") if self.is_bound else None
        self._started = _started_at(posted)  # read once: clean() judges the same token
        self.fields["started"].initial = posted if self._started is not None else started_token()

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("website"):
            raise ValidationError(
                _("送信内容を受け付けられませんでした。お手数ですが、お電話でご相談ください。"),
                code="honeypot",
            )
        token = cleaned.get("started")
        started = self._started if token == self.data.get("started") else _started_at(token)
        if started is None:
            raise ValidationError(
                _(
                    "入力の有効期限が切れたか、フォームを正しく読み込めませんでした。"
                    "お手数ですが、内容をご確認のうえもう一度送信してください。"
                ),
                code="expired",
            )
        if clock.now().timestamp() - started < settings.CONSULTATION_MIN_FILL_SECONDS:
            raise ValidationError(
                _(
                    "送信が早すぎるため受け付けられませんでした。内容をご確認のうえ、もう一度送信してください。"
                ),
                code="too_fast",
            )
        return cleaned


class _SharedChoicesCopy:
    """A field whose per-form copy shares what no form changes (its choices) and copies the
    rest one level deep (the widget and its attributes, error messages, validators): Django's
    deep copy of the choices was most of the cost of building the public form."""

    def __deepcopy__(self, memo):
        result = _shallow_copy(self)
        memo[id(self)] = result
        result.widget = _shallow_copy(self.widget)
        result.widget.attrs = self.widget.attrs.copy()
        result.error_messages = self.error_messages.copy()
        result.validators = self.validators[:]
        return result


def _shallow_copy(obj):
    """``copy.copy`` of a field or widget (plain instances), without its reduce protocol."""
    result = object.__new__(type(obj))
    result.__dict__.update(obj.__dict__)
    return result


_SHARED_CLASSES: dict[type, type] = {}


class _FieldsCopy(dict):
    """A form class's ``base_fields`` whose deep copy (one per form, in ``BaseForm.__init__``)
    calls each field's ``__deepcopy__`` directly, without ``copy.deepcopy``'s dispatch per
    field."""

    def __deepcopy__(self, memo):
        return {name: field.__deepcopy__(memo) for name, field in self.items()}


def _share_choices(form_class) -> None:
    for field in form_class.base_fields.values():
        cls = type(field)
        shared = _SHARED_CLASSES.setdefault(
            cls, type(cls.__name__, (_SharedChoicesCopy, cls), {"__module__": cls.__module__})
        )
        field.__class__ = shared
    form_class.base_fields = _FieldsCopy(form_class.base_fields)


# The public form is built at every POST: its error messages and help texts are set once here.
prepare_required_messages(ConsultationIntakeForm)
ConsultationIntakeForm.prepare_fields(ConsultationIntakeForm.base_fields)
_share_choices(ConsultationIntakeForm)


def _now_to_the_minute():
    return clock.localtime().replace(second=0, microsecond=0)


# Written for the officer taking a call, not for the company (the public form's texts are).
STAFF_HELP_TEXTS = {
    "org_name": _(
        "法人は「株式会社」なども含めた正式な名称で入力します。屋号だけの場合はそのまま。"
    ),
    "org_corporate_number": _(
        "わかる場合だけ入力します。入力すると、同じ事業者の既存の記録に自動でまとめます。"
    ),
    "org_postal_code": _("入力すると都道府県と区市町村が自動で入ります。"),
    "org_industry": _(
        "中小企業の判定（派遣の申込要件）に使います。飲食店は「小売業」。聞き取れなかった場合は"
        "「その他の業種」を選び、後で確認してください。"
    ),
    "org_capital_yen": _("わかる場合に入力します（個人事業主は空欄）。"),
    "org_employees": _("パート・アルバイトを含む常時雇用の人数です。わかる場合に入力します。"),
    "contact_name": _("相談者（事業者のご担当者）の氏名です。"),
    "contact_email": _(
        "受付のお知らせと、相談の状況を見られる個人用リンクをこのアドレスに送ります。"
        "電話では綴りを復唱して確認してください。"
    ),
    "contact_phone": _("電話での連絡を希望された場合は必ず入力します。"),
    "contact_way": _("相談者が希望した連絡方法です。"),
    "contact_time": _("相談者が希望した連絡の時間帯です。"),
    "places": _("聞き取った場面をすべて選びます（聞き取れなかった場合は空欄のままで構いません）。"),
    "behaviour_types": _(
        "聞き取った内容に当てはまる類型を選びます（厚生労働省マニュアルの類型）。"
    ),
    "damages": _("聞き取った被害があれば選びます。"),
    "measures": _("事業者がすでに実施している対策があれば選びます。"),
    "requested_support": _("相談者が希望した支援を選びます。"),
    "description": _(
        "聞き取った内容を、いつ頃から・どのような行為があり・どのように困っているかの順に要約して"
        "記録します（4000字まで）。相手方（顧客）の個人名は記録しません。"
    ),
    "attachments": lazy(
        lambda: _("メールなどで受け取った資料を添付します。") + " " + _attachments_help(), str
    )(),
}


# The staff side's words (GLOSSARY: 相談内容 on staff pages, ご相談内容 on the company's).
STAFF_LABELS = {
    "contact_name": _("相談者（ご担当者）の氏名"),
    "contact_kana": _("相談者の氏名（フリガナ）"),
    "contact_way": _("希望する連絡方法"),
    "contact_time": _("連絡を希望する時間帯"),
    "measures": _("実施済みの対策"),
    "requested_support": _("希望する支援"),
    "description": _("相談内容"),
}


class StaffRecordForm(OrganisationFieldsMixin, ConsultationFieldsMixin):
    """Desk staff recording a consultation received by phone, visit or email, in the order a call
    goes: how and when it came in, the company, the person, what happened."""

    channel = forms.ChoiceField(
        label=_("受付経路"),
        choices=[c for c in Channel.choices if c[0] != Channel.WEB],
        initial=Channel.PHONE,
        help_text=_("相談を受けた方法です。"),
    )
    received_at = forms.DateTimeField(
        label=_("受付日時"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y/%m/%d %H:%M"],
        help_text=_(
            "電話を受けた（来所・メールを受けた）日時です。後から記録する場合は実際の日時に直して"
            "ください（未来の日時は入力できません）。回答期限はこの日時から計算します。"
        ),
    )
    privacy_consent = forms.BooleanField(
        label=_("個人情報の取扱いについて説明し、同意を得ました"),
        required=False,
        help_text=_("同意を得た場合にチェックします。受付日時が同意の日時として記録されます。"),
    )

    field_order = [
        "channel",
        "received_at",
        *OrganisationFieldsMixin.organisation_field_names,
        *INTAKE_FIELDS,
        "attachments",
        "privacy_consent",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["places"].required = False
        self.fields["requested_support"].required = False
        self.fields["received_at"].initial = _now_to_the_minute
        for name, text in STAFF_HELP_TEXTS.items():
            self.fields[name].help_text = text
        for name, label in STAFF_LABELS.items():
            self.fields[name].label = label
        required_messages(self, STAFF_LABELS)
        self.fields["received_at"].error_messages["invalid"] = _(
            "受付日時は「2026-12-01 10:30」のように日付と時刻を入力してください。"
        )
        self.order_fields(self.field_order)

    def clean_received_at(self):
        received_at = self.cleaned_data["received_at"]
        from .services import RECEIVED_AT_TOLERANCE

        if received_at > clock.now() + RECEIVED_AT_TOLERANCE:
            raise ValidationError(
                _("受付日時に未来の日時は入力できません。相談を受けた日時を入力してください。"),
                code="future",
            )
        return received_at


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
    return (
        get_user_model()
        .objects.filter(is_staff=True, is_active=True)
        .order_by("last_name", "first_name", "username")
    )


class OfficerChoiceField(forms.ModelChoiceField):
    """Officers by name, family name first (窓口 花子), never by user name."""

    def label_from_instance(self, obj):
        return person_name(obj)


class AssignForm(forms.Form):
    officer = OfficerChoiceField(
        label=_("担当者"), queryset=_staff_users(), required=False, empty_label=_("（未割当）")
    )

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
    override_note = forms.CharField(
        label=_("要件の警告を確認したうえでの判断メモ"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 80}),
        help_text=_(
            "上の要件の確認で満たさない項目がある事業者を「必要性あり」とする場合だけ入力します"
            "（例：本店移転の予定を電話で確認済み）。"
        ),
    )


class ReasonForm(forms.Form):
    """The reason a backward or destructive move (取下げ, 再開) needs; the confirmation page
    posts it again with ``confirmed``."""

    reason = forms.CharField(
        label=_("理由"),
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60, "maxlength": 500}),
        error_messages={"required": _("理由を入力してください。")},
    )
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)
