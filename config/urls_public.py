"""URLs of the root domain (public schema): sign-up, login, console, public API."""

from django.conf import settings
from django.contrib import admin
from django.urls import include, path

from scheduling.views_sync import oauth_callback

urlpatterns = [
    path("", include("web.urls_public")),
    path("accounts/", include("accounts.urls")),
    path("notifications/", include("notifications.urls")),
    path("api/v1/", include("api.urls_public")),
    # The one OAuth redirect URI registered with each calendar provider (scheduling/views_sync.py).
    path(
        "calendars/oauth/<str:provider>/callback/",
        oauth_callback,
        name="calendar_oauth_callback",
    ),
    path("meetings/", include("meetings.urls_public")),
    path("billing/", include("connect.urls_public")),
    path("marketplace/", include("listings.urls")),
    path("admin/", admin.site.urls),
]

# Development only, and only on the root domain: it lists every tenant's emails.
if settings.OUTBOX_PAGE_ENABLED:
    urlpatterns.append(path("dev/outbox/", include("notifications.urls_outbox")))

handler404 = "web.views.page_not_found"
handler500 = "web.views.server_error"
