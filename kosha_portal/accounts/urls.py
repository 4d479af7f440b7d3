from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("after-login/", views.after_login, name="after_login"),
    path("access/<str:token>/", views.access_link_open, name="access_link"),
    path("my/", views.my_page, name="my_page"),
    path("my/leave/", views.portal_logout, name="portal_logout"),
    path("my/resend/", views.link_resend, name="link_resend"),
]
