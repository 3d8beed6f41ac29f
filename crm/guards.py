"""Who may act: checks every crm service runs on its acting ``Membership`` first."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.db import connection

from accounts.models import Membership


def require_here(actor: Membership | None) -> Membership:
    """An active membership of the tenant whose schema is in use."""
    if actor is None or not actor.is_active or actor.tenant.schema_name != connection.schema_name:
        raise PermissionDenied("You are not a member of this tenant.")
    return actor


def require_manager(actor: Membership | None, message: str | None = None) -> Membership:
    """An owner or admin of this tenant."""
    actor = require_here(actor)
    if not actor.is_manager:
        raise PermissionDenied(message or "Only the agency's owners and admins can do this.")
    return actor


def require_agency_staff(actor: Membership | None, message: str | None = None) -> Membership:
    """An owner, admin or staff member of this tenant."""
    actor = require_here(actor)
    if not actor.is_agency_staff:
        raise PermissionDenied(message or "Only the agency's staff can do this.")
    return actor
