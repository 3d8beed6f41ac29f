"""Reads about accounts, memberships and invitations."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from accounts.models import Invitation, Membership, User


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The tenants ``user`` can act in, with hosts loaded for links."""
    return (
        Membership.objects.filter(user=user, is_active=True, tenant__is_active=True)
        .select_related("tenant")
        .prefetch_related("tenant__domains")
        .order_by("tenant__name")
    )


def member_list(
    *,
    tenant,
    search: str = "",
    role: str = "",
    active: bool | None = None,
) -> QuerySet[Membership]:
    members = Membership.objects.filter(tenant=tenant).select_related("user", "tenant")
    if search:
        members = members.filter(
            Q(user__email__icontains=search)
            | Q(user__first_name__icontains=search)
            | Q(user__last_name__icontains=search)
        )
    if role:
        members = members.filter(role=role)
    if active is not None:
        members = members.filter(is_active=active)
    return members.order_by("user__first_name", "user__last_name", "user__email")


def member_counts_by_role(*, tenant) -> dict[str, int]:
    """How many active members ``tenant`` has in each role, counted in the database."""
    counts = dict(
        Membership.objects.filter(tenant=tenant, is_active=True)
        .order_by()  # the model's ordering would split the groups
        .values_list("role")
        .annotate(count=Count("pk"))
    )
    return {role: counts.get(role, 0) for role in Membership.Role.values}


def invitation_list_open(*, tenant) -> QuerySet[Invitation]:
    return (
        Invitation.objects.filter(
            tenant=tenant,
            accepted_at__isnull=True,
            revoked_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        .select_related("invited_by")
        .order_by("-created_at")
    )
