"""Reads about tenants and their hosts."""

from __future__ import annotations

from django.conf import settings
from django.db.models import QuerySet

from tenants.models import Domain, Tenant


def host_for_slug(slug: str) -> str:
    return f"{slug}.{settings.ROOT_DOMAIN}"


def host_url(host: str, path: str = "/") -> str:
    port = f":{settings.SITE_PORT}" if settings.SITE_PORT else ""
    return f"{settings.SITE_SCHEME}://{host}{port}{path}"


def root_url(path: str = "/") -> str:
    return host_url(settings.ROOT_DOMAIN, path)


def tenant_list() -> QuerySet[Tenant]:
    return Tenant.objects.exclude(schema_name=settings.PUBLIC_SCHEMA_NAME).prefetch_related(
        "domains"
    )


def tenant_get_by_slug(slug: str) -> Tenant | None:
    return Tenant.objects.prefetch_related("domains").filter(slug=slug).first()


def marketplace_tenant() -> Tenant | None:
    return Tenant.objects.prefetch_related("domains").filter(kind=Tenant.Kind.MARKETPLACE).first()


def slug_is_taken(slug: str) -> bool:
    return (
        Tenant.objects.filter(slug=slug).exists()
        or Domain.objects.filter(domain=host_for_slug(slug)).exists()
    )
