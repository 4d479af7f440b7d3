"""The organisation part of every public form (consultation, seminar, school)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from kosha_portal.japan.forms import (
    CorporateNumberField,
    KanaField,
    NormalizedCharField,
    NormalizedEmailField,
    PhoneField,
    PostalCodeField,
    YenField,
)

from .models import Organisation
from .sme import Industry

PREFECTURES = [
    "北海道",
    "青森県",
    "岩手県",
    "宮城県",
    "秋田県",
    "山形県",
    "福島県",
    "茨城県",
    "栃木県",
    "群馬県",
    "埼玉県",
    "千葉県",
    "東京都",
    "神奈川県",
    "新潟県",
    "富山県",
    "石川県",
    "福井県",
    "山梨県",
    "長野県",
    "岐阜県",
    "静岡県",
    "愛知県",
    "三重県",
    "滋賀県",
    "京都府",
    "大阪府",
    "兵庫県",
    "奈良県",
    "和歌山県",
    "鳥取県",
    "島根県",
    "岡山県",
    "広島県",
    "山口県",
    "徳島県",
    "香川県",
    "愛媛県",
    "高知県",
    "福岡県",
    "佐賀県",
    "長崎県",
    "熊本県",
    "大分県",
    "宮崎県",
    "鹿児島県",
    "沖縄県",
]


def required_message(field) -> str:
    """The glossary's required-field error, naming the field: 「業種区分を選択してください。」,
    「事業者名を入力してください。」."""
    label = str(field.label or "")
    choose = isinstance(field, (forms.ChoiceField, forms.BooleanField, forms.FileField))
    if not label:
        return str(_("選択してください。") if choose else _("入力してください。"))
    if choose:
        return _("%(label)sを選択してください。") % {"label": label}
    return _("%(label)sを入力してください。") % {"label": label}


def required_messages(form, names) -> None:
    if getattr(form, "required_messages_prepared", False):
        return  # set once on the class's own fields (prepare_required_messages)
    for name in names:
        field = form.fields.get(name)
        if field is not None:
            field.error_messages["required"] = required_message(field)


def prepare_required_messages(form_class) -> None:
    """Give ``form_class`` fields of its own with their required-field errors set once, lazily
    translated, instead of at every instantiation (the public forms are built at every POST);
    ``required_messages`` then leaves its instances alone."""
    import copy

    from django.utils.functional import lazy

    form_class.base_fields = copy.deepcopy(form_class.base_fields)
    for field in form_class.base_fields.values():
        field.error_messages["required"] = lazy(required_message, str)(field)
    form_class.required_messages_prepared = True


class OrganisationFieldsMixin(forms.Form):
    """Fields prefixed ``org_``; ``organisation_data()`` returns them keyed for the registry."""

    org_kind = forms.ChoiceField(
        label=_("区分"), choices=Organisation.Kind.choices, initial=Organisation.Kind.CORPORATION
    )
    org_name = NormalizedCharField(
        label=_("事業者名（会社名・屋号）"),
        max_length=200,
        widget=forms.TextInput(attrs={"autocomplete": "organization"}),
    )
    org_name_kana = KanaField(label=_("事業者名（フリガナ）"), max_length=200, required=False)
    org_corporate_number = CorporateNumberField(
        label=_("法人番号（任意）"),
        help_text=_("13桁の法人番号です。個人事業主の方は空欄のままで結構です。"),
    )
    org_postal_code = PostalCodeField(
        label=_("郵便番号"), help_text=_("入力すると住所の一部が自動で入ります。")
    )
    org_prefecture = forms.ChoiceField(
        label=_("都道府県"),
        choices=[("", "---------")] + [(p, p) for p in PREFECTURES],
        initial="東京都",
    )
    org_municipality = NormalizedCharField(label=_("区市町村"), max_length=50)
    org_address = NormalizedCharField(label=_("町名・番地・建物名"), max_length=200)
    org_phone = PhoneField(label=_("電話番号（代表）"), required=False)
    org_main_business = NormalizedCharField(
        label=_("主な事業内容"), max_length=200, help_text=_("例：飲食店の経営、ソフトウェア開発")
    )
    # No value is chosen in advance: a visitor who skipped it would be classified under
    # その他の業種, whose SME limits are the widest, in the eligibility check and the figures.
    org_industry = forms.ChoiceField(
        label=_("業種区分"),
        choices=[("", _("選択してください"))] + Industry.CHOICES,
        help_text=_(
            "中小企業に当たるかどうかの判定に使います。飲食店は「小売業」です。"
            "当てはまるものがない場合は「その他の業種」をお選びください。"
        ),
    )
    org_capital_yen = YenField(
        label=_("資本金（円）"),
        required=False,
        max_value=10**15,
        help_text=_("個人事業主の方は空欄で結構です。"),
    )
    org_employees = forms.IntegerField(
        label=_("常時使用する従業員数"), required=False, min_value=0, max_value=10**6
    )

    organisation_field_names = [
        "org_kind",
        "org_name",
        "org_name_kana",
        "org_corporate_number",
        "org_postal_code",
        "org_prefecture",
        "org_municipality",
        "org_address",
        "org_phone",
        "org_main_business",
        "org_industry",
        "org_capital_yen",
        "org_employees",
    ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        required_messages(self, self.organisation_field_names)

    def organisation_data(self) -> dict:
        data = {
            name.removeprefix("org_"): self.cleaned_data.get(name)
            for name in self.organisation_field_names
        }
        return {
            k: ("" if v is None and k not in ("capital_yen", "employees") else v)
            for k, v in data.items()
        }


__all__ = [
    "OrganisationFieldsMixin",
    "NormalizedEmailField",
    "PREFECTURES",
    "required_message",
    "required_messages",
]
