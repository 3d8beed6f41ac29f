"""Writing the audit log."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.http import HttpRequest

from audit.models import AuditEntry


def client_ip(request: HttpRequest | None) -> str | None:
    """The caller's address, as seen by the nearest proxy we run.

    Clients can write anything into X-Forwarded-For; only the entries our own proxies
    appended (the last ``TRUSTED_PROXY_COUNT``) are believed, so nobody escapes the
    per-IP rate limits by inventing addresses.
    """
    if request is None:
        return None
    hops = settings.TRUSTED_PROXY_COUNT
    if hops:
        forwarded = [
            entry.strip()
            for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if entry.strip()
        ]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


def audit_record(
    *,
    action: str,
    actor: Any = None,
    tenant: Any = None,
    target: Any = None,
    data: dict | None = None,
    request: HttpRequest | None = None,
) -> AuditEntry:
    """Append one entry to the audit log; ``tenant`` defaults to the request's tenant."""
    if tenant is None and request is not None:
        tenant = getattr(request, "tenant", None)
    if tenant is None:
        tenant = getattr(connection, "tenant", None)
    if tenant is not None and getattr(tenant, "pk", None) is None:
        tenant = None  # django-tenants' FakeTenant outside a request
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    return AuditEntry.objects.create(
        action=action,
        actor=actor,
        tenant=tenant,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(target.pk) if target is not None else "",
        data=data or {},
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:255] if request else ""),
    )
