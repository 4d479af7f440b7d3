"""Form fields that accept what Japanese users type and store it normalised."""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from .corporate_number import is_valid_corporate_number, normalize_corporate_number
from .normalize import is_katakana, normalize_kana, normalize_text, to_halfwidth
from .phone import normalize_phone
from .postal import normalize_postal_code


class NormalizedCharField(forms.CharField):
    def to_python(self, value):
        return normalize_text(super().to_python(value))


class KanaField(forms.CharField):
    default_error_messages = {
        "not_kana": _("フリガナは全角カタカナ（またはひらがな）で入力してください。"),
    }

    def to_python(self, value):
        return normalize_kana(super().to_python(value))

    def validate(self, value):
        super().validate(value)
        if value and not is_katakana(value):
            raise ValidationError(self.error_messages["not_kana"], code="not_kana")


class PostalCodeField(forms.CharField):
    default_error_messages = {
        "invalid": _("郵便番号は7桁の数字で入力してください（例：101-0025）。"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 10)
        super().__init__(**kwargs)
        self.widget.attrs.update(
            {"autocomplete": "postal-code", "inputmode": "numeric", "data-postal-autofill": "1"}
        )

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        normalized = normalize_postal_code(value)
        if not normalized:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return normalized


class PhoneField(forms.CharField):
    default_error_messages = {
        "invalid": _("電話番号を市外局番から入力してください（例：03-3251-7881）。"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)
        self.widget.input_type = "tel"
        self.widget.attrs.update({"autocomplete": "tel", "inputmode": "tel"})

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return value
        normalized = normalize_phone(value)
        if not normalized:
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return normalized


class CorporateNumberField(forms.CharField):
    default_error_messages = {
        "invalid": _(
            "法人番号は13桁の数字です。番号をご確認ください（個人番号（マイナンバー）は入力しないでください）。"
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("required", False)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric"})

    def clean(self, value):
        value = super().clean(value)
        if not value:
            return ""
        if not is_valid_corporate_number(value):
            raise ValidationError(self.error_messages["invalid"], code="invalid")
        return normalize_corporate_number(value)


class NormalizedEmailField(forms.EmailField):
    def to_python(self, value):
        return normalize_text(super().to_python(value)).lower()


class YenField(forms.IntegerField):
    """An amount in yen as people write it: ``50,000,000``, ``５０，０００，０００円``."""

    widget = forms.TextInput
    default_error_messages = {
        "invalid": _("金額は数字で入力してください（例：50,000,000）。"),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "numeric"})

    def to_python(self, value):
        if isinstance(value, str):
            value = re.sub(r"[,、\s円]", "", to_halfwidth(value))
        return super().to_python(value)
