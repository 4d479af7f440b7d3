from django.contrib.auth import views as auth_views
from django.urls import path

from . import views

app_name = "accounts"
urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("login/verify/", views.second_factor, name="otp_verify"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("after-login/", views.after_login, name="after_login"),
    path("access/<str:token>/", views.access_link_open, name="access_link"),
    path("my/", views.my_page, name="my_page"),
    path("my/leave/", views.portal_logout, name="portal_logout"),
    path("my/resend/", views.link_resend, name="link_resend"),
    # staff and expert accounts
    path("account/security/", views.security, name="security"),
    path("account/security/setup/", views.otp_setup, name="otp_setup"),
    path("account/security/confirm/", views.reauth, name="reauth"),
    path("account/security/recovery-codes/", views.recovery_codes, name="recovery_codes"),
    path("account/security/devices/<int:pk>/remove/", views.device_remove, name="device_remove"),
    path("account/password/", views.PasswordChangeView.as_view(), name="password_change"),
    path("account/invitation/<str:token>/", views.invitation_open, name="invitation"),
    path("account/password/reset/", views.PasswordResetView.as_view(), name="password_reset"),
    path(
        "account/password/reset/sent/",
        views.PasswordResetDoneView.as_view(),
        name="password_reset_done",
    ),
    path(
        "account/password/reset/<uidb64>/<token>/",
        views.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "account/password/reset/complete/",
        views.PasswordResetCompleteView.as_view(),
        name="password_reset_complete",
    ),
]
