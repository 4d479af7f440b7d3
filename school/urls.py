from django.urls import path

from kosha_portal.views import home

app_name = "school"
# Replaced by the school app's own views.
urlpatterns = [path("", home, name="about")]
