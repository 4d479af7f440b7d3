"""How the portal's forms render their fields (settings.FORM_RENDERER) and, on the public forms' hot
path, clean them."""

from django.core.exceptions import ValidationError
from django.forms.boundfield import BoundField
from django.forms.renderers import DjangoTemplates


class AccessibleBoundField(BoundField):
    """A required field says so to assistive technology even where HTML's ``required`` cannot:
    a checkbox group (at least one box, not every box) and a select whose first option is a real
    choice (区分) get ``aria-required="true"`` (JIS X 8341-3 / WCAG 1.3.1, 4.1.2)."""

    def build_widget_attrs(self, attrs, widget=None):
        attrs = super().build_widget_attrs(attrs, widget)
        widget = widget or self.field.widget
        if (
            self.field.required
            and self.form.use_required_attribute
            and not widget.is_hidden
            and not attrs.get("required")
        ):
            attrs["aria-required"] = "true"
        return attrs


class PortalFormRenderer(DjangoTemplates):
    bound_field_class = AccessibleBoundField


class _FieldData:
    """What ``Field._clean_bound_field`` reads of a bound field (its submitted data and its
    initial value), read the way ``BoundField`` reads them, without building one."""

    __slots__ = ("field", "form", "name")

    def __init__(self, form, field, name):
        self.form, self.field, self.name = form, field, name

    @property
    def data(self):
        return self.form._widget_data_value(self.field.widget, self.form.add_prefix(self.name))

    @property
    def initial(self):
        return self.form.get_initial_for_field(self.field, self.name)


class CleanWithoutBoundFieldsMixin:
    """Validates like Django's ``BaseForm._clean_fields`` without creating a ``BoundField`` per
    field: a form that is valid and never rendered (a public form's successful POST) needed the
    ~30 bound fields, with their labels and lazy help texts, for nothing (issue 17). A form that
    is shown again builds them as usual when it is rendered."""

    def _clean_fields(self):
        built = self._bound_fields_cache
        for name, field in self.fields.items():
            bound = built.get(name) or _FieldData(self, field, name)
            try:
                self.cleaned_data[name] = field._clean_bound_field(bound)
                if hasattr(self, f"clean_{name}"):
                    self.cleaned_data[name] = getattr(self, f"clean_{name}")()
            except ValidationError as error:
                self.add_error(name, error)
