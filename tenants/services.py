"""Creating tenants: the platform's own, the marketplace, and agencies."""

from __future__ import annotations

import time

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction

from accounts.models import Membership, User
from accounts.services.memberships import membership_create
from audit.services import audit_record
from tenants.models import Domain, Tenant
from tenants.selectors import host_for_slug, slug_is_taken
from tenants.validators import schema_name_for_slug, validate_agency_slug, validate_time_zone


def public_tenant_ensure() -> Tenant:
    """The row for the public schema, served on the root domain."""
    tenant, _ = Tenant.objects.get_or_create(
        schema_name=settings.PUBLIC_SCHEMA_NAME,
        defaults={"name": "EduConnect", "slug": "public", "kind": Tenant.Kind.PUBLIC},
    )
    Domain.objects.get_or_create(
        domain=settings.ROOT_DOMAIN, defaults={"tenant": tenant, "is_primary": True}
    )
    return tenant


@transaction.atomic
def marketplace_tenant_ensure() -> Tenant:
    """The one tenant every freelance tutor works in."""
    slug = settings.MARKETPLACE_TENANT_SLUG
    tenant = Tenant.objects.filter(kind=Tenant.Kind.MARKETPLACE).first()
    if tenant is None:
        tenant = Tenant(
            schema_name=schema_name_for_slug(slug),
            slug=slug,
            name="EduConnect Marketplace",
            kind=Tenant.Kind.MARKETPLACE,
        )
        tenant.save(verbosity=0)
    Domain.objects.get_or_create(
        domain=host_for_slug(slug), defaults={"tenant": tenant, "is_primary": True}
    )
    return tenant


def _connection_retire() -> None:
    """Have Django close this connection when the current request (or task) ends.

    A PostgreSQL backend keeps catalog entries for every relation it has created, and
    cloning slows down as they pile up: 0.15 s per agency at first, 4 s after 200 on one
    connection. A fresh backend per provisioning keeps each as fast as the first, for
    the price of one reconnect. Marking the connection expired (rather than closing it)
    leaves the rest of the request undisturbed; ``close_old_connections`` does the rest.
    """
    connection.close_at = time.monotonic()


def agency_slug_validate(slug: str) -> str:
    """Normalise and check an agency's subdomain; raise ValidationError on ``slug``."""
    slug = (slug or "").strip().lower()
    try:
        validate_agency_slug(slug)
    except ValidationError as error:
        raise ValidationError({"slug": error.messages}) from error
    if slug_is_taken(slug):
        raise ValidationError({"slug": ["This address is already taken."]})
    return slug


@transaction.atomic
def agency_provision(
    *,
    name: str,
    slug: str,
    owner: User,
    time_zone: str = "UTC",
    actor: User | None = None,
    request=None,
) -> Tenant:
    """Create an agency: its schema (cloned from the template), domain and owner membership.

    Everything happens in one transaction, schema included (PostgreSQL DDL is
    transactional), so a failure at any step leaves nothing behind.
    """
    errors: dict[str, list[str]] = {}
    name = (name or "").strip()
    if not name:
        errors["name"] = ["Enter the agency's name."]
    elif len(name) > 120:
        errors["name"] = ["Use at most 120 characters."]
    try:
        slug = agency_slug_validate(slug)
    except ValidationError as error:
        errors.update(error.message_dict)
    try:
        validate_time_zone(time_zone)
    except ValidationError as error:
        errors["time_zone"] = error.messages
    if errors:
        raise ValidationError(errors)

    tenant = Tenant(
        schema_name=schema_name_for_slug(slug),
        slug=slug,
        name=name,
        kind=Tenant.Kind.AGENCY,
        time_zone=time_zone,
    )
    tenant.save(verbosity=0)
    Domain.objects.create(domain=host_for_slug(slug), tenant=tenant, is_primary=True)
    membership_create(user=owner, tenant=tenant, role=Membership.Role.OWNER)
    transaction.on_commit(_connection_retire)
    audit_record(
        action="tenant.provisioned",
        actor=actor or owner,
        tenant=tenant,
        target=tenant,
        data={"slug": slug, "kind": tenant.kind},
        request=request,
    )
    return tenant
