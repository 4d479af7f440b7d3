from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PrivacyConfig(AppConfig):
    name = "kosha_portal.privacy"
    label = "privacy"
    verbose_name = _("個人情報の開示・削除請求")
