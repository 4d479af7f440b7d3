from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

from . import form_messages

# Before any form module is imported: form fields copy their error messages when declared, and
# the admin's autodiscovery (an earlier app's ready()) already declares some.
form_messages.install()


class KoshaPortalConfig(AppConfig):
    name = "kosha_portal"
    verbose_name = _("ポータル")
