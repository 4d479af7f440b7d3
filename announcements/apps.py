from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnnouncementsConfig(AppConfig):
    name = "announcements"
    verbose_name = _("お知らせメール")

    def ready(self):
        from . import checks  # noqa: F401 - registers the system checks
