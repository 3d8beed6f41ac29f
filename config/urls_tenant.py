"""URLs of a tenant's subdomain (agency or marketplace schema)."""

from django.urls import include, path

urlpatterns = [
    path("", include("web.urls_tenant")),
    path("accounts/", include("accounts.urls")),
    path("team/", include("accounts.urls_team")),
    path("notifications/", include("notifications.urls")),
    path("crm/", include("crm.urls")),
    path("scheduling/", include("scheduling.urls")),
    path("meetings/", include("meetings.urls")),
    path("billing/", include("billing.urls")),
    path("marketplace/", include("marketplace.urls")),
    path("api/v1/", include("api.urls_tenant")),
]

handler404 = "web.views.page_not_found"
handler500 = "web.views.server_error"
