from django.urls import path

from . import views

app_name = "dispatch"
urlpatterns = [
    path("apply/<str:reference>/", views.application_new, name="application_new"),
    path("d/<str:reference>/", views.company_dispatch, name="company_dispatch"),
    path("d/<str:reference>/withdraw/", views.company_withdraw, name="company_withdraw"),
    path("d/<str:reference>/survey/", views.company_survey, name="company_survey"),
    path(
        "d/<str:reference>/report.pdf", views.company_completion_pdf, name="company_completion_pdf"
    ),
    path(
        "d/<str:reference>/visits/<int:visit_id>/confirm/",
        views.company_visit_confirm,
        name="company_visit_confirm",
    ),
    path(
        "d/<str:reference>/visits/<int:visit_id>/dispute/",
        views.company_visit_dispute,
        name="company_visit_dispute",
    ),
    path(
        "d/<str:reference>/visits/<int:visit_id>/report.pdf",
        views.company_visit_pdf,
        name="company_visit_pdf",
    ),
    path("expert/", views.expert_home, name="expert_home"),
    path("expert/<str:reference>/", views.expert_dispatch, name="expert_dispatch"),
    path("expert/<str:reference>/complete/", views.expert_completion, name="expert_completion"),
    path(
        "expert/<str:reference>/report.pdf",
        views.expert_completion_pdf,
        name="expert_completion_pdf",
    ),
    path(
        "expert/<str:reference>/visits/<int:visit_id>/report/",
        views.expert_visit_report,
        name="expert_visit_report",
    ),
    path(
        "expert/<str:reference>/visits/<int:visit_id>/cancel/",
        views.expert_visit_cancel,
        name="expert_visit_cancel",
    ),
    path(
        "expert/<str:reference>/visits/<int:visit_id>/no-show/",
        views.expert_visit_no_show,
        name="expert_visit_no_show",
    ),
    path(
        "expert/<str:reference>/visits/<int:visit_id>/report.pdf",
        views.expert_visit_pdf,
        name="expert_visit_pdf",
    ),
    path("staff/visits/<int:pk>/report.pdf", views.staff_visit_pdf, name="staff_visit_pdf"),
    path(
        "staff/dispatches/<int:pk>/report.pdf",
        views.staff_completion_pdf,
        name="staff_completion_pdf",
    ),
]
