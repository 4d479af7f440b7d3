from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KoshaPortalConfig(AppConfig):
    name = "kosha_portal"
    verbose_name = _("ポータル")
