from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class JapanConfig(AppConfig):
    name = "kosha_portal.japan"
    label = "japan"
    verbose_name = _("暦・日本語データ")

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from .business_days import closure_days_changed
        from .models import ClosureDay

        post_save.connect(closure_days_changed, sender=ClosureDay, dispatch_uid="closure-days")
        post_delete.connect(closure_days_changed, sender=ClosureDay, dispatch_uid="closure-days-d")
