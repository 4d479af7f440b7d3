from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JapanConfig(AppConfig):
    name = "kosha_portal.japan"
    label = "japan"
    verbose_name = _("暦・日本語データ")
