"""API tokens: bound to one tenant, rotated on refresh, revoked by family on reuse.

Each sign-in starts a ``TokenFamily``. Every refresh token of that sign-in carries the
family id (``fam``) and the tenant's schema (``tenant``); so do the access tokens
minted from them. Presenting a refresh token that was already rotated means it was
copied: the whole family is revoked, and its access tokens stop working at once.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken, UntypedToken

from accounts.models import Membership, TokenFamily, User
from audit.services import audit_record
from config.errors import ApplicationError

TENANT_CLAIM = "tenant"
FAMILY_CLAIM = "fam"


def _pair_for(*, user: User, tenant, family: TokenFamily) -> dict[str, str]:
    refresh = RefreshToken.for_user(user)
    refresh[TENANT_CLAIM] = tenant.schema_name
    refresh[FAMILY_CLAIM] = str(family.pk)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


@transaction.atomic
def token_pair_issue(*, user: User, tenant, request=None) -> dict[str, str]:
    """A fresh access/refresh pair for ``user`` acting in ``tenant``."""
    family = TokenFamily.objects.create(user=user, tenant=tenant)
    audit_record(
        action="auth.token_issued",
        actor=user,
        tenant=tenant,
        data={"family": str(family.pk)},
        request=request,
    )
    return _pair_for(user=user, tenant=tenant, family=family)


def _refresh_payload(raw: str) -> dict:
    try:
        token = UntypedToken(raw)  # signature and expiry, not the blacklist
    except TokenError as error:
        raise ApplicationError(
            "This refresh token is invalid or expired.", code="token_not_valid", status=401
        ) from error
    if token.get("token_type") != "refresh":
        raise ApplicationError("A refresh token is required.", code="token_not_valid", status=401)
    return token.payload


def token_family_revoke(*, family: TokenFamily, reason: str) -> None:
    """End one sign-in: every access and refresh token of ``family`` stops working."""
    if family.revoked_at is None:
        family.revoked_at = timezone.now()
        family.revoked_reason = reason
        family.save(update_fields=["revoked_at", "revoked_reason"])


def token_families_revoke(*, user: User, tenant=None, reason: str) -> int:
    """End every API session of ``user`` (in ``tenant`` only, when given)."""
    families = TokenFamily.objects.filter(user=user, revoked_at__isnull=True)
    if tenant is not None:
        families = families.filter(tenant=tenant)
    return families.update(revoked_at=timezone.now(), revoked_reason=reason)


def token_refresh(*, raw_refresh: str, tenant, request=None) -> dict[str, str]:
    """Rotate a refresh token; a reused one revokes its family.

    Reuse detection must survive the error it raises, so the revocation commits in
    its own transaction before the refusal goes out.
    """
    payload = _refresh_payload(raw_refresh)
    if payload.get(TENANT_CLAIM) != tenant.schema_name:
        raise ApplicationError(
            "This token was issued for another tenant.", code="wrong_tenant", status=401
        )
    with transaction.atomic():
        family = (
            TokenFamily.objects.select_for_update()
            .select_related("user")
            .filter(pk=payload.get(FAMILY_CLAIM))
            .first()
        )
        if family is None or family.revoked_at is not None:
            raise ApplicationError(
                "This session has ended. Please sign in again.", code="token_revoked", status=401
            )
        reused = BlacklistedToken.objects.filter(token__jti=payload["jti"]).exists()
        if reused:
            token_family_revoke(family=family, reason="refresh_token_reused")
            audit_record(
                action="auth.refresh_token_reused",
                actor=family.user,
                tenant=tenant,
                data={"family": str(family.pk)},
                request=request,
            )
    if reused:
        raise ApplicationError(
            "This refresh token was already used; every session from that sign-in has "
            "been ended. Please sign in again.",
            code="token_reused",
            status=401,
        )
    user = family.user
    if not user.is_active or (
        not tenant.is_public
        and not Membership.objects.filter(user=user, tenant=tenant, is_active=True).exists()
    ):
        raise ApplicationError(
            "Your access to this tenant has ended.", code="token_revoked", status=401
        )
    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(jti=payload["jti"]).first()
        if outstanding is not None:
            _, created = BlacklistedToken.objects.get_or_create(token=outstanding)
            if not created:  # a concurrent refresh won the race with the same token
                raise ApplicationError(
                    "This refresh token was already used.", code="token_reused", status=401
                )
        return _pair_for(user=user, tenant=tenant, family=family)


@transaction.atomic
def token_logout(*, raw_refresh: str, tenant, request=None) -> None:
    """End the sign-in a refresh token belongs to."""
    payload = _refresh_payload(raw_refresh)
    if payload.get(TENANT_CLAIM) != tenant.schema_name:
        raise ApplicationError(
            "This token was issued for another tenant.", code="wrong_tenant", status=401
        )
    family = TokenFamily.objects.select_related("user").filter(pk=payload.get(FAMILY_CLAIM)).first()
    if family is not None:
        token_family_revoke(family=family, reason="logout")
        audit_record(
            action="auth.logout",
            actor=family.user,
            tenant=tenant,
            data={"via": "api"},
            request=request,
        )
    outstanding = OutstandingToken.objects.filter(jti=payload["jti"]).first()
    if outstanding is not None:
        BlacklistedToken.objects.get_or_create(token=outstanding)


def token_family_is_live(*, family_id: str | None, user_id: int, tenant) -> bool:
    """Whether an access token's family still stands (checked on every API request)."""
    if not family_id:
        return False
    return TokenFamily.objects.filter(
        pk=family_id, user_id=user_id, tenant=tenant, revoked_at__isnull=True
    ).exists()
