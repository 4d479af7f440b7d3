from django.urls import path

from . import views

app_name = "japan"
urlpatterns = [path("postal-code/", views.postal_code_lookup, name="postal_code")]
