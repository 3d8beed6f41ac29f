from django.urls import path

from accounts import views

app_name = "accounts"

urlpatterns = [
    path("login/", views.login_page, name="login"),
    path("login/code/", views.login_second_factor, name="login_second_factor"),
    path("logout/", views.logout_page, name="logout"),
    path("welcome/", views.after_login, name="after_login"),
    path("handoff/", views.handoff, name="handoff"),
    path("register/", views.register_page, name="register"),
    path("verify/<str:token>/", views.verify_email_page, name="verify_email"),
    path("verify-again/", views.verify_resend_page, name="verify_resend"),
    path("password-reset/", views.password_reset_page, name="password_reset"),
    path(
        "reset/<uidb64>/<token>/", views.password_reset_confirm_page, name="password_reset_confirm"
    ),
    path("two-factor/", views.two_factor_page, name="two_factor"),
    path("settings/", views.settings_page, name="settings"),
]
