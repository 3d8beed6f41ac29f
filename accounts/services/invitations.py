"""Inviting people into a tenant by email with a role."""

from __future__ import annotations

import hashlib
import secrets

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import Invitation, Membership, User, UserManager
from accounts.services.authentication import user_sign_in_check
from accounts.services.memberships import _require_manager, membership_create, role_assignable_by
from accounts.services.registration import email_mark_verified, user_build
from accounts.signals import invitation_accepted
from audit.services import audit_record
from config.errors import ApplicationError
from notifications.services import notify


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def invitation_create(
    *,
    tenant,
    email: str,
    role: str,
    actor: Membership,
    request=None,
) -> tuple[Invitation, str]:
    """Invite ``email`` as ``role``; return the invitation and its one-time token.

    A newer invitation to the same address replaces the open one.
    """
    _require_manager(actor, tenant)
    return invitation_issue(tenant=tenant, email=email, role=role, actor=actor, request=request)


@transaction.atomic
def invitation_issue(
    *,
    tenant,
    email: str,
    role: str,
    actor: Membership,
    request=None,
) -> tuple[Invitation, str]:
    """``invitation_create`` for callers that have checked ``actor``'s right themselves.

    The crm lets agency staff invite the students and parents they record.
    """
    email = UserManager.normalize_email(email)
    errors: dict[str, list[str]] = {}
    try:
        validate_email(email)
    except ValidationError:
        errors["email"] = ["Enter a valid email address."]
    if role not in Membership.Role.values:
        errors["role"] = ["Choose a valid role."]
    if errors:
        raise ValidationError(errors)
    if not role_assignable_by(actor, role):
        raise PermissionDenied("Only an owner can invite another owner.")
    if Membership.objects.filter(tenant=tenant, user__email=email, is_active=True).exists():
        raise ValidationError({"email": ["This person is already a member."]})
    Invitation.objects.filter(
        tenant=tenant, email=email, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    token = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        tenant=tenant,
        email=email,
        role=role,
        token_hash=_token_hash(token),
        invited_by=actor.user,
        expires_at=timezone.now() + settings.INVITATION_MAX_AGE,
    )
    url = tenant.absolute_url(reverse("team:invitation_accept", kwargs={"token": token}))
    existing = User.objects.filter(email=email).first()
    notify(
        user=existing,
        email=email,
        event="membership.invited",
        title=f"{actor.user.full_name} invited you to {tenant.name}",
        body=f"You're invited as {invitation.get_role_display().lower()}.",
        url=url,
        context={
            "accept_url": url,
            "tenant_name": tenant.name,
            "inviter": actor.user.full_name,
            "role": invitation.get_role_display(),
        },
        in_app=False,
    )
    audit_record(
        action="invitation.created",
        actor=actor.user,
        tenant=tenant,
        target=invitation,
        data={"email": email, "role": role},
        request=request,
    )
    return invitation, token


def invitation_for_token(*, token: str, tenant) -> Invitation:
    """The open invitation behind a link, or ApplicationError saying why not."""
    invitation = (
        Invitation.objects.select_related("tenant")
        .filter(token_hash=_token_hash(token or ""), tenant=tenant)
        .first()
    )
    if invitation is None:
        raise ApplicationError(
            "This invitation link is not valid.", code="invitation_invalid", status=404
        )
    status = invitation.status
    if status != "pending":
        raise ApplicationError(
            f"This invitation has been {status}.", code=f"invitation_{status}", status=410
        )
    return invitation


def invitation_accept(
    *,
    token: str,
    tenant,
    user: User | None = None,
    first_name: str = "",
    last_name: str = "",
    password: str = "",
    otp: str = "",
    time_zone: str = "UTC",
    request=None,
) -> Membership:
    """Accept an invitation as the signed-in ``user``, as the invited account, or by creating it.

    Someone who already has an account proves it here with its password (and second
    factor): they cannot be signed in on this tenant's host before they belong to it.
    """
    invitation = invitation_for_token(token=token, tenant=tenant)
    existing = User.objects.filter(email=invitation.email).first() if user is None else None
    if existing is not None:
        if not password:
            raise ApplicationError(
                "You already have an account: enter its password to accept.",
                code="login_required",
                status=409,
            )
        if not existing.is_email_verified and existing.check_password(password):
            # The invitation reached this inbox, which proves the address.
            email_mark_verified(user=existing, request=request)
        # Outside the transaction below, so a failed attempt stays counted and audited.
        user = user_sign_in_check(
            email=invitation.email, password=password, otp=otp, tenant=None, request=request
        )
    return _invitation_accept(
        invitation=invitation,
        user=user,
        first_name=first_name,
        last_name=last_name,
        password=password,
        time_zone=time_zone,
        request=request,
    )


@transaction.atomic
def _invitation_accept(
    *,
    invitation: Invitation,
    user: User | None,
    first_name: str,
    last_name: str,
    password: str,
    time_zone: str,
    request,
) -> Membership:
    invitation = (
        Invitation.objects.select_for_update().select_related("tenant").get(pk=invitation.pk)
    )
    if invitation.status != "pending":
        raise ApplicationError(
            f"This invitation has been {invitation.status}.",
            code=f"invitation_{invitation.status}",
            status=410,
        )
    if user is None:
        # The link reached this inbox, which proves the address.
        user = user_build(
            email=invitation.email,
            password=password,
            first_name=first_name,
            last_name=last_name,
            time_zone=time_zone,
            verified=True,
        )
    elif user.email != invitation.email:
        raise PermissionDenied("This invitation was sent to a different email address.")
    membership = membership_create(user=user, tenant=invitation.tenant, role=invitation.role)
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    invitation_accepted.send(sender=Invitation, invitation=invitation, membership=membership)
    audit_record(
        action="invitation.accepted",
        actor=user,
        tenant=invitation.tenant,
        target=invitation,
        data={"role": invitation.role},
        request=request,
    )
    return membership


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: Membership, request=None) -> Invitation:
    """Withdraw an open invitation; an accepted or already revoked one is left as it is."""
    _require_manager(actor, invitation.tenant)
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit_record(
            action="invitation.revoked",
            actor=actor.user,
            tenant=invitation.tenant,
            target=invitation,
            request=request,
        )
    return invitation
