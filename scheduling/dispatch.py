"""Run a periodic task once in every active tenant.

Celery beat knows nothing of tenants: it calls a dispatcher in the public schema, which
queues the real task once per tenant inside that tenant's context, so the task carries
the tenant's schema (tenant-schemas-celery) and runs there.
"""

from __future__ import annotations

from celery import Task
from django.db import connection
from django_tenants.utils import get_public_schema_name, tenant_context

from tenants.models import Tenant

__all__ = ["tenants_dispatch"]


def tenants_dispatch(task: Task, *args, **kwargs) -> int:
    """Queue ``task`` once in each active tenant; return how many were queued."""
    connection.set_schema_to_public()
    tenants = Tenant.objects.filter(is_active=True).exclude(schema_name=get_public_schema_name())
    queued = 0
    for tenant in tenants.order_by("pk").iterator():
        with tenant_context(tenant):
            task.apply_async(args=args, kwargs=kwargs)
        queued += 1
    return queued
