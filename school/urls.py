from django.urls import path

from seminars import views as event_views
from seminars.models import SeminarKind

from . import views

# 説明会: the seminars' registration views with the school's templates (one engine, two kinds).
INFO = {"kind": SeminarKind.INFO_SESSION}

app_name = "school"
urlpatterns = [
    path("", views.about, name="about"),
    path("apply/", views.apply, name="apply"),
    path("apply/done/", views.apply_done, name="apply_done"),
    path("applications/<int:pk>/", views.application_status, name="application_status"),
    path("info-sessions/<int:pk>/", event_views.seminar_detail, INFO, name="info_session"),
    path(
        "info-sessions/<int:pk>/done/",
        event_views.registration_done,
        INFO,
        name="info_session_done",
    ),
    path(
        "info-sessions/<int:pk>/resend/",
        event_views.confirmation_resend,
        INFO,
        name="info_session_resend",
    ),
    path(
        "info-sessions/registrations/<int:pk>/",
        event_views.registration_page,
        INFO,
        name="info_session_registration",
    ),
    path(
        "info-sessions/registrations/<int:pk>/cancel/",
        event_views.registration_cancel,
        INFO,
        name="info_session_cancel",
    ),
    path("staff/", views.staff_home, name="staff_home"),
    path("staff/cohorts/<int:pk>/roster/", views.roster, name="roster"),
    path("staff/cohorts/<int:pk>/roster.csv", views.roster_csv, name="roster_csv"),
    path("staff/cohorts/<int:pk>/roster.xlsx", views.roster_xlsx, name="roster_xlsx"),
    path("staff/cohorts/<int:pk>/roster/pdf/", views.roster_pdf, name="roster_pdf"),
    path(
        "staff/cohorts/<int:pk>/documents/<uuid:uuid>/",
        views.document_download,
        name="document_download",
    ),
    path("staff/cohorts/<int:pk>/import/", views.roster_import, name="roster_import"),
    path(
        "staff/cohorts/<int:pk>/import/template.csv", views.import_template, name="import_template"
    ),
    path("staff/cohorts/<int:pk>/attendance/", views.attendance, name="attendance"),
    path("staff/cohorts/<int:pk>/coaching/", views.coaching, name="coaching"),
    path("staff/cohorts/<int:pk>/certificates/", views.certificates, name="certificates"),
    path(
        "staff/cohorts/<int:pk>/certificates/issue-all/",
        views.certificates_issue_all,
        name="certificates_issue_all",
    ),
    path(
        "staff/cohorts/<int:pk>/certificates/<int:participant_pk>/issue/",
        views.certificate_issue,
        name="certificate_issue",
    ),
    path(
        "staff/cohorts/<int:pk>/certificates/<int:participant_pk>/pdf/",
        views.certificate_download,
        name="certificate_download",
    ),
]
