from django.urls import path

from . import views

app_name = "documents"
urlpatterns = [
    path("<uuid:uuid>/download/", views.staff_document_download, name="staff_download"),
]
