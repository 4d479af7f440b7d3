from django.urls import path

from kosha_portal.views import home

app_name = "seminars"
# Replaced by the seminars app's own views.
urlpatterns = [path("", home, name="list")]
