"""Form fields that accept what Japanese users type and store it normalised."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .corporate_number import is_valid_corporate_number, normalize_corporate_number
from .normalize import (
    format_yen,
    format_yen_japanese,
    is_katakana,
    is_latin_reading,
    normalize_kana,
    normalize_latin_reading,
    normalize_text,
    normalize_typed_text,
    parse_yen,
)
from .phone import normalize_phone
from .postal import normalize_postal_code


class NormalizedCharField(forms.CharField):
    """Text kept as typed (GLOSSARY: Japanese punctuation （）「」、。 is not rewritten), trimmed,
    half-width katakana made full-width. Codes have their own fields below."""

    def to_python(self, value):
        return normalize_typed_text(super().to_python(value))


def latin_readings_allowed() -> bool:
    """On English pages a reading may be written in Latin letters: a participant from abroad
    writes their own name, not its katakana."""
    return (translation.get_language() or "").split("-")[0] == "en"


def _kana_help() -> str:
    if latin_readings_allowed():
        return gettext("カタカナ・ひらがな、またはローマ字で入力できます（例：Taro Yamada）。")
    return ""


class KanaField(forms.CharField):
    """フリガナ: katakana, hiragana (stored as katakana) and, on English pages, Latin letters."""

    default_error_messages = {
        "not_kana": _("フリガナは全角カタカナ（またはひらがな）で入力してください。"),
        "not_kana_or_latin": _(
            "フリガナは、カタカナ・ひらがな、またはローマ字（アルファベット）で入力してください。"
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("help_text", lazy(_kana_help, str)())
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        latin = normalize_latin_reading(value)
        if latin_readings_allowed() and is_latin_reading(latin):
            return latin
        return normalize_kana(value)

    def validate(self, value):
        super().validate(value)
        if not value or is_katakana(value):
            return
        if latin_readings_allowed():
            if is_latin_reading(value):
                return
            raise ValidationError(self.error_messages["not_kana_or_latin"], code="not_kana")
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


def _yen_readout_template() -> str:
    return gettext("%(amount)s（%(spoken)s）として受け付けます。")


def yen_readout(value) -> str:
    """What the field read from ``value`` (「100,000,000円（1億円）として受け付けます。」), or ''."""
    if value in (None, ""):
        return ""
    amount = value if isinstance(value, int) else parse_yen(str(value))
    if amount is None:
        return ""
    return _yen_readout_template() % {
        "amount": format_yen(amount),
        "spoken": format_yen_japanese(amount),
    }


class YenInput(forms.TextInput):
    """A text input followed by what the portal read from it. The server fills it in when the form
    comes back with errors; static/js/portal.js keeps it current while the user types."""

    def render(self, name, value, attrs=None, renderer=None):
        html = super().render(name, value, attrs, renderer)
        element_id = (attrs or {}).get("id") or self.attrs.get("id") or f"id_{name}"
        return html + format_html(
            '<div class="form-text yen-readout" id="{}_readout" aria-live="polite"'
            ' data-template="{}">{}</div>',
            element_id,
            _yen_readout_template(),
            yen_readout(value),
        )


class YenField(forms.IntegerField):
    """An amount in yen as people write it: ``50,000,000``, ``５０，０００，０００円``, ``5,000万円``,
    ``1億``; the input says what it read."""

    widget = YenInput
    default_error_messages = {
        "invalid": _(
            "金額を読み取れませんでした。数字か「億」「万」を使って入力してください"
            "（例：50,000,000、5,000万円、1億）。"
        ),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 0)
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "text", "data-yen-field": "1"})

    def to_python(self, value):
        if isinstance(value, str):
            if not value.strip():
                return None
            amount = parse_yen(value)
            if amount is None:
                raise ValidationError(self.error_messages["invalid"], code="invalid")
            return amount
        return super().to_python(value)

    def widget_attrs(self, widget):
        # IntegerField would add min/max/step, which a text input that takes 「1億」 cannot honour.
        attrs = super().widget_attrs(widget)
        for name in ("min", "max", "step"):
            attrs.pop(name, None)
        return attrs
