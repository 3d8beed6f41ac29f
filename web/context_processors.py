"""What every portal page knows: tenant, membership, unread count, root links."""

from __future__ import annotations

from django.conf import settings

from tenants.selectors import root_url


def portal(request) -> dict:
    tenant = getattr(request, "tenant", None)
    context = {
        "current_tenant": tenant,
        "on_public_host": tenant is None or tenant.is_public,
        "membership": getattr(request, "membership", None),
        "root_url": root_url("/"),
        "outbox_enabled": settings.OUTBOX_PAGE_ENABLED,
        "unread_notifications": 0,
    }
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and tenant is not None:
        from notifications.selectors import notification_unread_count

        context["unread_notifications"] = notification_unread_count(user=user)
    return context
