"""Who belongs to a tenant, in which role; changed only by its owners and admins."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import Membership, User
from audit.services import audit_record
from config.errors import ApplicationError
from notifications.services import notify

Role = Membership.Role


@transaction.atomic
def membership_create(*, user: User, tenant, role: str) -> Membership:
    """Give ``user`` a place in ``tenant``; an old, inactive place is reactivated."""
    if role not in Role.values:
        raise ValidationError({"role": ["Choose a valid role."]})
    membership, created = Membership.objects.select_for_update().get_or_create(
        user=user, tenant=tenant, defaults={"role": role}
    )
    if not created and not membership.is_active:
        membership.role = role
        membership.is_active = True
        membership.deactivated_at = None
        membership.save(update_fields=["role", "is_active", "deactivated_at"])
    return membership


def _require_manager(actor: Membership | None, tenant) -> Membership:
    if actor is None or actor.tenant_id != tenant.pk or not actor.is_active or not actor.is_manager:
        raise PermissionDenied("Only the agency's owners and admins can manage its team.")
    return actor


def _active_owners_locked(tenant) -> set[int]:
    """The ids of ``tenant``'s active owners, locked until the transaction ends.

    Every change that could remove an owner takes these locks first and in one order, so
    two owners stepping down at once queue up (and cannot deadlock) instead of both
    passing the at-least-one-owner check.
    """
    owners = Membership.objects.select_for_update().filter(
        tenant=tenant, role=Role.OWNER, is_active=True
    )
    return set(owners.order_by("pk").values_list("pk", flat=True))


def role_assignable_by(actor: Membership, role: str) -> bool:
    """Owners may grant any role; admins any but owner."""
    return actor.role == Role.OWNER or role != Role.OWNER


@transaction.atomic
def membership_change_role(
    *,
    membership: Membership,
    role: str,
    actor: Membership,
    request=None,
) -> Membership:
    """Change a member's role, keeping at least one active owner."""
    tenant = membership.tenant
    _require_manager(actor, tenant)
    if role not in Role.values:
        raise ValidationError({"role": ["Choose a valid role."]})
    owners = _active_owners_locked(tenant)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if not role_assignable_by(actor, role) or (
        membership.role == Role.OWNER and actor.role != Role.OWNER
    ):
        raise PermissionDenied("Only an owner can grant or change the owner role.")
    if membership.pk in owners and role != Role.OWNER and len(owners) <= 1:
        raise ApplicationError(
            "An agency needs at least one owner. Make someone else owner first.",
            code="last_owner",
            status=409,
        )
    previous = membership.role
    if previous == role:
        return membership
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        action="membership.role_changed",
        actor=actor.user,
        tenant=tenant,
        target=membership,
        data={"from": previous, "to": role},
        request=request,
    )
    notify(
        user=membership.user,
        event="membership.role_changed",
        title=f"Your role at {tenant.name} is now {membership.get_role_display()}",
        url=tenant.absolute_url("/dashboard/"),
    )
    return membership


@transaction.atomic
def membership_deactivate(*, membership: Membership, actor: Membership, request=None) -> Membership:
    """Remove a member's access now: their web sessions and API tokens stop working."""
    from accounts.services.tokens import token_families_revoke

    tenant = membership.tenant
    _require_manager(actor, tenant)
    owners = _active_owners_locked(tenant)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.pk == actor.pk:
        raise ApplicationError(
            "You can't deactivate yourself.", code="self_deactivation", status=409
        )
    if membership.role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied("Only an owner can deactivate an owner.")
    if not membership.is_active:
        return membership
    if membership.pk in owners and len(owners) <= 1:
        raise ApplicationError("An agency needs at least one owner.", code="last_owner", status=409)
    membership.is_active = False
    membership.deactivated_at = timezone.now()
    membership.save(update_fields=["is_active", "deactivated_at"])
    token_families_revoke(user=membership.user, tenant=tenant, reason="membership_deactivated")
    audit_record(
        action="membership.deactivated",
        actor=actor.user,
        tenant=tenant,
        target=membership,
        data={"user": membership.user_id},
        request=request,
    )
    return membership


@transaction.atomic
def membership_reactivate(*, membership: Membership, actor: Membership, request=None) -> Membership:
    """Give a deactivated member their access back (old sessions and tokens stay ended)."""
    tenant = membership.tenant
    _require_manager(actor, tenant)
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if membership.role == Role.OWNER and actor.role != Role.OWNER:
        raise PermissionDenied("Only an owner can reactivate an owner.")
    if membership.is_active:
        return membership
    membership.is_active = True
    membership.deactivated_at = None
    membership.save(update_fields=["is_active", "deactivated_at"])
    audit_record(
        action="membership.reactivated",
        actor=actor.user,
        tenant=tenant,
        target=membership,
        request=request,
    )
    notify(
        user=membership.user,
        event="membership.reactivated",
        title=f"Your access to {tenant.name} is back",
        url=tenant.absolute_url("/dashboard/"),
    )
    return membership
