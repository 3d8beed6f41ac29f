"""Routes from a provider's object (a Zoom meeting id, a Jitsi room) to its tenant.

Providers call one webhook URL on the root domain for the whole platform; the route,
kept in the public schema, says which tenant's schema the event belongs to.
"""

from __future__ import annotations

from django.db import connection

from tenants.models import ExternalRoute, Tenant

__all__ = ["route_add", "route_remove", "route_tenant"]


def route_add(*, provider: str, external_id: str, tenant: Tenant | None = None) -> None:
    """Remember that ``external_id`` at ``provider`` belongs to ``tenant`` (default: the
    current one). Adding it again is harmless."""
    tenant = tenant or connection.tenant
    ExternalRoute.objects.update_or_create(
        provider=provider, external_id=str(external_id), defaults={"tenant_id": tenant.pk}
    )


def route_remove(*, provider: str, external_id: str) -> None:
    ExternalRoute.objects.filter(provider=provider, external_id=str(external_id)).delete()


def route_tenant(*, provider: str, external_id: str) -> Tenant | None:
    """The active tenant ``external_id`` belongs to, or None."""
    route = (
        ExternalRoute.objects.select_related("tenant")
        .filter(provider=provider, external_id=str(external_id), tenant__is_active=True)
        .first()
    )
    return route.tenant if route else None
