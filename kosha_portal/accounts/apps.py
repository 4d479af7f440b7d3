from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kosha_portal.accounts"
    label = "accounts"
    verbose_name = _("利用者とアクセス")

    def ready(self):
        from .roles import roles_sync

        post_migrate.connect(roles_sync, dispatch_uid="accounts.roles_sync")
