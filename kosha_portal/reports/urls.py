from django.urls import path

from . import views

app_name = "reports"
urlpatterns = [
    path("", views.reports_index, name="index"),
    path("refresh/", views.reports_refresh, name="refresh"),
    path("<int:fiscal_year>/workbook.xlsx", views.reports_workbook, name="workbook"),
    path("<int:fiscal_year>/tables/<slug:key>.csv", views.reports_table_csv, name="table_csv"),
    path("<int:fiscal_year>/annual-report/", views.annual_report_request, name="annual_request"),
    path(
        "<int:fiscal_year>/annual-report.pdf", views.annual_report_download, name="annual_download"
    ),
]
