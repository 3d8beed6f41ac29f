"""Tenants (one PostgreSQL schema each) and the hostnames that route to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_tenants.models import DomainMixin, TenantMixin

from tenants.validators import validate_time_zone


class Tenant(TenantMixin):
    class Kind(models.TextChoices):
        PUBLIC = "public", "Platform (public schema)"
        AGENCY = "agency", "Agency"
        MARKETPLACE = "marketplace", "Freelance marketplace"

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=40, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.AGENCY)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    default_currency = models.CharField(max_length=3, default="USD")
    is_active = models.BooleanField(default=True)
    # An agency lists its tutors' gigs on the marketplace only when it opts in; the
    # marketplace tenant itself is always listed.
    marketplace_listed = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    auto_create_schema = True
    auto_drop_schema = False

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=models.Q(kind="marketplace"),
                name="one_marketplace_tenant",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_public(self) -> bool:
        return self.schema_name == settings.PUBLIC_SCHEMA_NAME

    @property
    def primary_domain_name(self) -> str:
        domain = next((d for d in self.domains.all() if d.is_primary), None)
        return domain.domain if domain else ""

    def absolute_url(self, path: str = "/") -> str:
        """An absolute link to ``path`` on this tenant's host, for emails and redirects."""
        from tenants.selectors import host_url

        return host_url(self.primary_domain_name, path)


class Domain(DomainMixin):
    class Meta:
        ordering = ["domain"]

    def __str__(self) -> str:
        return self.domain


class ExternalRoute(models.Model):
    """Which tenant an object at an outside provider belongs to.

    A provider calls one webhook URL for the whole platform (Zoom's event notifications,
    for instance); the route tells the root-domain endpoint which schema to handle the
    event in, so no tenant schema has to be searched.
    """

    provider = models.CharField(max_length=16)
    external_id = models.CharField(max_length=100)
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["provider", "external_id"], name="tenants_external_route_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.provider}:{self.external_id} → {self.tenant_id}"
