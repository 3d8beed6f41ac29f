"""Reads about an agency's Zoom connections: only its owners and admins see them."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from accounts.models import Membership
from crm.guards import require_manager
from meetings.models import MeetingSettings, ZoomConnection
from meetings.zoom.access import platform_configured
from meetings.zoom.services import oauth_available

__all__ = ["ZoomOverview", "connection_get", "connection_list", "zoom_overview"]


def connection_list(*, viewer: Membership) -> QuerySet[ZoomConnection]:
    """The agency's Zoom connections (PermissionDenied for anyone but owners and admins)."""
    require_manager(viewer, "Only the agency's owners and admins can see its Zoom accounts.")
    return ZoomConnection.objects.select_related("connected_by").order_by("created_at", "pk")


def connection_get(*, viewer: Membership, pk: int) -> ZoomConnection | None:
    return connection_list(viewer=viewer).filter(pk=pk).first()


@dataclass(frozen=True)
class ZoomOverview:
    connections: list[ZoomConnection]
    # The connection new meetings are made under (None: the platform's account).
    in_use: ZoomConnection | None
    # Whether that choice works now: a revoked connection falls back to the platform.
    in_use_active: bool
    platform_available: bool
    can_connect: bool
    provider_is_zoom: bool


def zoom_overview(*, viewer: Membership) -> ZoomOverview:
    """What the Zoom page and API show: the connections and which one is used."""
    connections = list(connection_list(viewer=viewer))
    chosen = MeetingSettings.current()
    in_use = next((c for c in connections if c.pk == chosen.zoom_connection_id), None)
    return ZoomOverview(
        connections=connections,
        in_use=in_use,
        in_use_active=in_use is not None and in_use.status == ZoomConnection.Status.ACTIVE,
        platform_available=platform_configured(),
        can_connect=oauth_available(),
        provider_is_zoom=chosen.provider == "zoom",
    )
