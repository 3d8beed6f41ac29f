"""API routes served on every host (root domain and tenants), and the schema's views.

The schema views live here, not in :mod:`api.schema`: that module is loaded while DRF
reads its settings, before drf-spectacular's views can be imported.
"""

from functools import cache

from django.template import engines
from django.urls import path
from drf_spectacular.utils import extend_schema
from drf_spectacular.views import (
    SCHEMA_KWARGS,
    SpectacularAPIView,
    SpectacularRedocView,
    SpectacularSwaggerView,
)
from rest_framework.renderers import TemplateHTMLRenderer

from api.views import auth, notifications


class HostSchemaView(SpectacularAPIView):
    """The schema of the endpoints this host serves: the root domain's are not a tenant's."""

    @extend_schema(**SCHEMA_KWARGS)
    def get(self, request, *args, **kwargs):
        # The generator reads ROOT_URLCONF (the tenant API) unless told otherwise;
        # django-tenants gives the root domain's requests their own urlconf.
        self.urlconf = getattr(request._request, "urlconf", None)
        return super().get(request, *args, **kwargs)


# The stock page also loads web fonts from Google: the docs must work offline and
# tell no third party who reads them. ReDoc falls back to the system fonts.
_OFFLINE_REDOC_PAGE = """{% extends "drf_spectacular/redoc.html" %}{% block head %}
<title>{{ title|default:"Redoc" }}</title>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body { margin: 0; padding: 0; }</style>
{% endblock head %}"""


class _OfflineRedocRenderer(TemplateHTMLRenderer):
    @staticmethod
    @cache
    def _template():
        return engines["django"].from_string(_OFFLINE_REDOC_PAGE)

    def resolve_template(self, template_names):
        return self._template()


class OfflineRedocView(SpectacularRedocView):
    """ReDoc served entirely from our own static files."""

    renderer_classes = [_OfflineRedocRenderer]


urlpatterns = [
    path("schema/", HostSchemaView.as_view(), name="schema"),
    path("docs/", SpectacularSwaggerView.as_view(url_name="api:schema"), name="docs"),
    path("redoc/", OfflineRedocView.as_view(url_name="api:schema"), name="redoc"),
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
    path("auth/password/", auth.PasswordChangeView.as_view(), name="password_change"),
    path("notifications/", notifications.NotificationListView.as_view(), name="notifications"),
    path(
        "notifications/read/",
        notifications.NotificationMarkReadView.as_view(),
        name="notifications_read",
    ),
]
