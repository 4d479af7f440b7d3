from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "kosha_portal.accounts"
    label = "accounts"
    verbose_name = _("利用者とアクセス")

    def ready(self):
        from django.contrib.auth.signals import user_logged_in, user_logged_out

        from . import checks  # noqa: F401 - registers the deployment checks
        from .middleware import session_stamp_login
        from .roles import roles_sync
        from .services import login_session_close, login_session_open

        post_migrate.connect(roles_sync, dispatch_uid="accounts.roles_sync")
        user_logged_in.connect(session_stamp_login, dispatch_uid="accounts.session_stamp_login")
        # The login index: which sessions an account has open (ended at once on deactivation).
        user_logged_in.connect(login_session_open, dispatch_uid="accounts.login_session_open")
        user_logged_out.connect(login_session_close, dispatch_uid="accounts.login_session_close")
