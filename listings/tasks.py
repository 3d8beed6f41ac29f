"""Celery tasks keeping the listing index current (see ``listings.indexing``).

``tutor_refresh_task`` runs in the tutor's tenant (it is queued there after the commit of
the change); the others run in the public schema. All of them recompute rows from the
tenants, so running one twice, or late, does no harm.
"""

from __future__ import annotations

from celery import shared_task
from django.db import DatabaseError, connection
from django_tenants.utils import get_public_schema_name, schema_context, tenant_context

from listings import indexing
from listings.models import TutorListing
from tenants.models import Tenant

__all__ = [
    "listings_refresh_dispatch",
    "member_refresh_task",
    "tenant_refresh_task",
    "tutor_refresh_task",
    "user_refresh_task",
]

RETRY = {"bind": True, "max_retries": 5, "acks_late": True}


def _retry(task, error: Exception):
    """Database trouble (a lost connection, a deadlock) is retried with backoff."""
    raise task.retry(exc=error, countdown=min(300, 5 * 2**task.request.retries))


def _current_tenant() -> Tenant | None:
    """The tenant whose schema this task runs in (None in the public schema)."""
    if connection.schema_name == get_public_schema_name():
        return None
    return Tenant.objects.filter(schema_name=connection.schema_name).first()


@shared_task(**RETRY)
def tutor_refresh_task(self, profile_id: int) -> int | None:
    """Refresh one tutor of the tenant this task was queued in."""
    tenant = _current_tenant()
    if tenant is None:
        return None
    try:
        listing = indexing.tutor_refresh(tenant=tenant, profile_id=profile_id)
    except DatabaseError as error:
        _retry(self, error)
    return listing.pk if listing is not None else None


@shared_task(**RETRY)
def tenant_refresh_task(self, tenant_id: int) -> int:
    """Refresh a whole tenant (it joined or left the marketplace, or was (de)activated)."""
    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None:
        return 0
    try:
        return indexing.tenant_refresh(tenant)
    except DatabaseError as error:
        _retry(self, error)


@shared_task(**RETRY)
def member_refresh_task(self, tenant_id: int, user_id: int) -> int:
    """Refresh the tutor profile of a member whose membership changed."""
    from crm.models import TutorProfile

    tenant = Tenant.objects.filter(pk=tenant_id).first()
    if tenant is None or tenant.is_public:
        return 0
    try:
        with tenant_context(tenant):
            profile_ids = list(
                TutorProfile.objects.filter(user_id=user_id).values_list("pk", flat=True)
            )
        profile_ids += TutorListing.objects.filter(tenant=tenant, user_id=user_id).values_list(
            "profile_id", flat=True
        )
        for profile_id in sorted(set(profile_ids)):
            indexing.tutor_refresh(tenant=tenant, profile_id=profile_id)
    except DatabaseError as error:
        _retry(self, error)
    return len(set(profile_ids))


@shared_task(**RETRY)
def user_refresh_task(self, user_id: int) -> int:
    """Refresh every listing of a person whose name or time zone changed."""
    rows = list(TutorListing.objects.filter(user_id=user_id).values_list("tenant_id", "profile_id"))
    try:
        for tenant_id, profile_id in rows:
            tenant = Tenant.objects.filter(pk=tenant_id).first()
            if tenant is not None:
                indexing.tutor_refresh(tenant=tenant, profile_id=profile_id)
    except DatabaseError as error:
        _retry(self, error)
    return len(rows)


@shared_task(acks_late=True)
def tenant_windows_refresh() -> int:
    """Hourly, in each listed tenant: every tutor again, since free windows age."""
    tenant = _current_tenant()
    return indexing.tenant_refresh(tenant) if tenant is not None else 0


@shared_task
def listings_refresh_dispatch() -> int:
    """Queue ``tenant_windows_refresh`` once in each listed tenant (and drop the rows of
    tenants that are no longer listed); return how many were queued."""
    with schema_context(get_public_schema_name()):
        listed = indexing.listed_tenants()
        TutorListing.objects.exclude(tenant__in=listed).delete()
        queued = 0
        for tenant in listed.order_by("pk").iterator():
            with tenant_context(tenant):
                tenant_windows_refresh.apply_async()
            queued += 1
    return queued
