"""API routes served on every host (root domain and tenants)."""

from django.urls import path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView

from api.views import auth, notifications

urlpatterns = [
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", SpectacularRedocView.as_view(url_name="api:schema"), name="redoc"),
    path("auth/token/", auth.TokenObtainView.as_view(), name="token_obtain"),
    path("auth/token/refresh/", auth.TokenRefreshView.as_view(), name="token_refresh"),
    path("auth/logout/", auth.TokenLogoutView.as_view(), name="token_logout"),
    path("auth/verify-email/", auth.EmailVerifyView.as_view(), name="verify_email"),
    path(
        "auth/verify-email/resend/",
        auth.EmailVerifyResendView.as_view(),
        name="verify_email_resend",
    ),
    path("auth/password-reset/", auth.PasswordResetRequestView.as_view(), name="password_reset"),
    path(
        "auth/password-reset/confirm/",
        auth.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path("auth/2fa/enrol/", auth.TwoFactorEnrolView.as_view(), name="2fa_enrol"),
    path("auth/2fa/confirm/", auth.TwoFactorConfirmView.as_view(), name="2fa_confirm"),
    path("auth/2fa/disable/", auth.TwoFactorDisableView.as_view(), name="2fa_disable"),
    path("auth/2fa/recovery-codes/", auth.RecoveryCodesView.as_view(), name="2fa_recovery_codes"),
    path("me/", auth.MeView.as_view(), name="me"),
    path("notifications/", notifications.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/read/",
        notifications.NotificationMarkReadView.as_view(),
        name="notifications_read",
    ),
]
