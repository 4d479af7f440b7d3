"""How every form of the portal renders its fields (settings.FORM_RENDERER)."""

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
