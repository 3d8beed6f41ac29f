"""Reads of calendar sync: a person sees only their own connections, in this tenant."""

from __future__ import annotations

from django.db.models import QuerySet

from accounts.models import Membership
from scheduling.models import CalendarConnection

__all__ = ["connection_get", "connection_list"]

MAX_ID = 2**63 - 1


def connection_list(*, viewer: Membership) -> QuerySet[CalendarConnection]:
    """``viewer``'s calendar connections here (nobody, staff included, sees another's)."""
    return CalendarConnection.objects.filter(user_id=viewer.user_id).order_by("provider", "pk")


def connection_get(*, viewer: Membership, pk: int) -> CalendarConnection | None:
    """One of ``viewer``'s connections, or None (a 404 for anyone else's)."""
    if not 0 < pk <= MAX_ID:
        return None
    return connection_list(viewer=viewer).filter(pk=pk).first()
