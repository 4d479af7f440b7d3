from django.urls import path

from . import views

app_name = "consultations"
urlpatterns = [
    path("new/", views.consultation_new, name="new"),
    path("thanks/", views.consultation_thanks, name="thanks"),
    path("status/<str:reference>/", views.consultation_status, name="status"),
    path("status/<str:reference>/files/<int:pk>/", views.attachment_download, name="attachment"),
]
