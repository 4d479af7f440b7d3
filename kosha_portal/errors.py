"""The one error type a broken business rule raises. Views turn it into a form error or a message."""


class DomainError(Exception):
    """A business rule refused the action. ``message`` is translated and tells the user what to fix;
    ``field`` names the form field it belongs to, when there is one; ``code`` is stable for tests."""

    def __init__(self, message, *, code: str = "invalid", field: str | None = None):
        super().__init__(message)
        self.message = message
        self.code = code
        self.field = field

    def __str__(self):
        return str(self.message)

    def add_to_form(self, form) -> None:
        """Attach the message to ``form`` beside its field (or as a non-field error)."""
        field = self.field if self.field in getattr(form, "fields", {}) else None
        form.add_error(field, self.message)
