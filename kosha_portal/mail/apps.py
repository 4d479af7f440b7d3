from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MailConfig(AppConfig):
    name = "kosha_portal.mail"
    label = "mail"
    verbose_name = _("メール送信")

    def ready(self):
        from . import checks  # noqa: F401 - registers the system check
