from django.conf import settings
from django.contrib import admin
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog, set_language

from . import views
from .desk import views as desk_views

admin.site.site_header = _("カスハラ対策支援 管理画面")
admin.site.site_title = _("カスハラ対策支援 管理画面")
admin.site.index_title = _("業務メニュー")
# The desk home (the admin index) and the breadcrumbs are the navigation; the model sidebar
# would take a quarter of a 1280 px screen from the lists desk officers work in.
admin.site.enable_nav_sidebar = False

urlpatterns = [
    path("", views.home, name="home"),
    path("privacy/", views.privacy_notice, name="privacy"),
    path("healthz", views.healthz, name="healthz"),
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("jsi18n/", login_not_required(JavaScriptCatalog.as_view()), name="javascript-catalog"),
    path("", include("kosha_portal.accounts.urls")),
    path("api/", include("kosha_portal.japan.urls")),
    path("documents/", include("kosha_portal.documents.urls")),
    path("consultations/", include("consultations.urls")),
    path("dispatch/", include("dispatch.urls")),
    path("seminars/", include("seminars.urls")),
    path("school/", include("school.urls")),
    path("announcements/", include("announcements.urls")),
    # The program reports live under the admin, where desk officers work.
    path(f"{settings.ADMIN_URL}reports/", include("kosha_portal.reports.urls")),
    # The admin index is the desk officer's home (the first page after a staff login).
    path(settings.ADMIN_URL, desk_views.desk_home, name="desk_home"),
    path(settings.ADMIN_URL, admin.site.urls),
]

handler404 = "kosha_portal.views.page_not_found"
handler500 = "kosha_portal.views.server_error"
