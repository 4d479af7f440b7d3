from django.urls import path

from kosha_portal.views import home

app_name = "consultations"
# Replaced by the consultation desk's own views.
urlpatterns = [
    path("new/", home, name="new"),
    path("status/<str:reference>/", home, name="status"),
]
