from django.urls import path

from . import views

app_name = "seminars"
urlpatterns = [
    path("", views.seminar_list, name="list"),
    path("<int:pk>/", views.seminar_detail, name="detail"),
    path("<int:pk>/done/", views.registration_done, name="done"),
    path("<int:pk>/resend/", views.confirmation_resend, name="resend"),
    path("<int:pk>/checkin/", views.checkin, name="checkin"),
    path("<int:pk>/checkin/scan/", views.checkin_scan, name="checkin_scan"),
    path("<int:pk>/checkin/<int:registration_pk>/", views.checkin_mark, name="checkin_mark"),
    path("<int:pk>/participants.csv", views.export_csv, name="export_csv"),
    path("registrations/<int:pk>/", views.registration_page, name="registration"),
    path("registrations/<int:pk>/cancel/", views.registration_cancel, name="cancel"),
    path("registrations/<int:pk>/survey/", views.survey, name="survey"),
]
