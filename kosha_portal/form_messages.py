"""The glossary's required-field errors for every form, the admin's included: Django's own
「このフィールドは必須です。」 never shows. Forms that name the field keep doing so
(companies.forms.required_messages); this is the default beneath them."""

from django import forms
from django.utils.translation import gettext_lazy as _

ENTER = _("入力してください。")
CHOOSE = _("選択してください。")

# Fields answered by choosing (select, radio, checkbox, file) rather than by typing.
CHOOSING_FIELDS = (forms.ChoiceField, forms.BooleanField, forms.FileField)


def install() -> None:
    """Field.__init__ merges ``default_error_messages`` along the class's MRO, so setting them
    on these base classes reaches every subclass (ModelChoiceField, MultipleChoiceField, …)."""
    forms.Field.default_error_messages = {**forms.Field.default_error_messages, "required": ENTER}
    for field_class in CHOOSING_FIELDS:
        field_class.default_error_messages = {
            **field_class.default_error_messages,
            "required": CHOOSE,
        }
