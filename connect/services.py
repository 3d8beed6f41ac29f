"""Payout accounts (Stripe Connect Express) and the platform's fee terms.

Two kinds of owner receive transfers: an agency (its owners and admins set up the
account) and a tutor paid directly (always in the marketplace; in an agency only when
its ``BillingSettings.payout_route`` is ``tutors``). An owner has one Express account,
created once: the owner's row is locked while it is made and Stripe's idempotency key
is derived from the owner, so two clicks (or two tabs) make one account. Onboarding
happens on Stripe's pages through account links, which expire: each attempt gets a new
link with an idempotency key of its own.

The account's state is always re-read from Stripe (``account_sync``) under a row lock,
so events arriving late or twice never put an older state over a newer one; people are
told once when their account becomes able to receive money, or when Stripe needs more.
``ConnectedAccount`` and ``FeeTerms`` live in the public schema (reachable from any
tenant's search path); notifications are written in the schema of the tenant they
concern.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tenants.utils import schema_context, tenant_context

from accounts.models import Membership, User
from audit.services import audit_record
from billing.models import BillingSettings
from config.errors import ApplicationError
from connect import gateway
from connect.models import ConnectedAccount, FeeTerms
from connect.selectors import account_of_tenant, account_of_user
from crm.guards import require_here
from notifications.services import notify
from tenants.models import Tenant

__all__ = [
    "FEE_LIMIT_BASIS_POINTS",
    "OWNERS",
    "OWNER_AGENCY",
    "OWNER_ME",
    "account_event",
    "account_for",
    "account_owners",
    "account_start",
    "account_sync",
    "fee_terms_set",
    "login_link",
    "requirement_labels",
    "tutors_paid_directly",
]

OWNER_AGENCY = "agency"
OWNER_ME = "me"
OWNERS = (OWNER_AGENCY, OWNER_ME)
# As ``FeeTerms``' check constraint has it.
FEE_LIMIT_BASIS_POINTS = 5000

Status = ConnectedAccount.Status


# Who looks after which account ------------------------------------------------------------


def tutors_paid_directly(tenant: Tenant) -> bool:
    """Whether the tenant's tutors are paid into their own accounts (run in its schema)."""
    if tenant.kind == Tenant.Kind.MARKETPLACE:
        return True
    if tenant.kind != Tenant.Kind.AGENCY:
        return False
    return BillingSettings.current().payout_route == BillingSettings.PayoutRoute.TUTORS


def account_owners(actor: Membership) -> list[str]:
    """The payout accounts ``actor`` looks after here: ``agency``, ``me``, both or none."""
    owners = []
    if actor.is_manager and actor.tenant.kind == Tenant.Kind.AGENCY:
        owners.append(OWNER_AGENCY)
    if actor.role == Membership.Role.TUTOR and tutors_paid_directly(actor.tenant):
        owners.append(OWNER_ME)
    return owners


def _owner_check(actor: Membership, owner: Any) -> Membership:
    actor = require_here(actor)
    if owner not in OWNERS:
        raise ValidationError({"owner": [f"Choose one of: {', '.join(OWNERS)}."]})
    if owner in account_owners(actor):
        return actor
    if owner == OWNER_AGENCY:
        if actor.tenant.kind != Tenant.Kind.AGENCY:
            raise PermissionDenied("The marketplace has no agency payout account.")
        raise PermissionDenied("Only the agency's owners and admins manage its payout account.")
    if actor.role == Membership.Role.TUTOR:
        raise PermissionDenied(
            "This agency pays its tutors itself: your earnings go through its account."
        )
    raise PermissionDenied("Only tutors have a payout account of their own.")


def account_for(*, actor: Membership, owner: str) -> ConnectedAccount | None:
    """The account ``owner`` names for ``actor`` (None before onboarding starts)."""
    actor = _owner_check(actor, owner)
    if owner == OWNER_AGENCY:
        return account_of_tenant(actor.tenant_id)
    return account_of_user(actor.user_id)


# Onboarding -------------------------------------------------------------------------------


def _require_stripe() -> None:
    # Not a server fault: the platform has not been given its keys yet.
    if not settings.STRIPE_SECRET_KEY:
        raise ApplicationError(
            "Payouts are not set up on this platform yet.",
            code="payments_not_configured",
            status=409,
        )


def _gateway_refused(error: gateway.GatewayError) -> ApplicationError:
    return ApplicationError(
        f"Stripe could not be reached or refused the request: {error.message}",
        code="gateway",
        status=502,
    )


def _account_ensure(actor: Membership, owner: str, request=None) -> ConnectedAccount:
    """The owner's account, created at Stripe the first time (once, under the owner's lock)."""
    with transaction.atomic():
        if owner == OWNER_AGENCY:
            # The lock serialises concurrent starts; the second sees the first's account.
            Tenant.objects.select_for_update().filter(pk=actor.tenant_id).first()
            existing = account_of_tenant(actor.tenant_id)
            key = f"acct:tenant:{actor.tenant_id}"
            email = actor.user.email
            owned = {"tenant": actor.tenant}
            metadata = {"owner": "tenant", "tenant": actor.tenant.slug}
        else:
            User.objects.select_for_update().filter(pk=actor.user_id).first()
            existing = account_of_user(actor.user_id)
            key = f"acct:user:{actor.user_id}"
            email = actor.user.email
            owned = {"user": actor.user}
            metadata = {"owner": "user", "user": str(actor.user_id)}
        if existing is not None:
            return existing
        try:
            data = gateway.account_create(
                key=key,
                email=email,
                country=settings.STRIPE_CONNECT_COUNTRY,
                metadata=metadata,
            )
        except gateway.GatewayError as error:
            raise _gateway_refused(error) from error
        account = ConnectedAccount(
            stripe_id=data["id"],
            country=(data.get("country") or settings.STRIPE_CONNECT_COUNTRY)[:2].upper(),
            **owned,
        )
        _apply(account, data)
        account.save()
        audit_record(
            action="connect.account.created",
            actor=actor.user,
            tenant=actor.tenant,
            target=account,
            data={"owner": owner, "stripe_id": account.stripe_id},
            request=request,
        )
        return account


def _connect_url(tenant: Tenant, name: str, owner: str) -> str:
    path = reverse(f"billing:{name}", urlconf=settings.ROOT_URLCONF)
    return tenant.absolute_url(f"{path}?owner={owner}")


def account_start(*, actor: Membership, owner: str, request=None) -> str:
    """A Stripe-hosted onboarding link for ``owner``'s account (made the first time).

    ``owner`` is ``agency`` (owners and admins of an agency) or ``me`` (a tutor paid
    into their own account). Each call makes a new link: they expire within minutes.
    """
    actor = _owner_check(actor, owner)
    _require_stripe()
    account = _account_ensure(actor, owner, request)
    if account.status == Status.REJECTED:
        raise ApplicationError(
            "Stripe has closed this payout account; contact the platform's support.",
            code="account_rejected",
            status=409,
        )
    try:
        link = gateway.account_link_create(
            key=f"link:{account.stripe_id}:{secrets.token_hex(8)}",
            account=account.stripe_id,
            refresh_url=_connect_url(actor.tenant, "connect_refresh", owner),
            return_url=_connect_url(actor.tenant, "connect_return", owner),
        )
    except gateway.GatewayError as error:
        raise _gateway_refused(error) from error
    return link["url"]


def login_link(*, actor: Membership, owner: str) -> str:
    """A one-time link to the Express dashboard of ``owner``'s account (once onboarded)."""
    actor = _owner_check(actor, owner)
    _require_stripe()
    account = account_for(actor=actor, owner=owner)
    if account is None or not account.details_submitted or account.status == Status.REJECTED:
        raise ApplicationError(
            "The payout account's dashboard opens once its onboarding is finished.",
            code="account_not_ready",
            status=409,
        )
    try:
        data = gateway.login_link_create(
            account.stripe_id, key=f"login:{account.stripe_id}:{secrets.token_hex(8)}"
        )
    except gateway.GatewayError as error:
        raise _gateway_refused(error) from error
    return data["url"]


# Keeping the status current ---------------------------------------------------------------


def _status_of(data: dict[str, Any]) -> str:
    requirements = data.get("requirements") or {}
    reason = requirements.get("disabled_reason") or ""
    if reason.startswith("rejected"):
        return Status.REJECTED
    transfers = (data.get("capabilities") or {}).get("transfers")
    if data.get("details_submitted") and data.get("payouts_enabled") and transfers == "active":
        return Status.ENABLED
    if data.get("details_submitted"):
        return Status.RESTRICTED
    return Status.ONBOARDING


def _apply(account: ConnectedAccount, data: dict[str, Any]) -> None:
    requirements = data.get("requirements") or {}
    account.details_submitted = bool(data.get("details_submitted"))
    account.charges_enabled = bool(data.get("charges_enabled"))
    account.payouts_enabled = bool(data.get("payouts_enabled"))
    account.requirements_due = list(requirements.get("currently_due") or [])
    account.disabled_reason = (requirements.get("disabled_reason") or "")[:120]
    account.default_currency = (data.get("default_currency") or "").upper()[:3]
    account.status = _status_of(data)
    account.synced_at = timezone.now()


def account_sync(account: ConnectedAccount, data: dict | None = None) -> ConnectedAccount:
    """Bring ``account`` up to date with Stripe and tell its people when its status changes.

    ``data`` is an Account object just fetched from Stripe; without it (the usual case)
    the account is re-read from Stripe while its row is locked, so of two syncs running
    at once the one that commits last has also read last.
    """
    with transaction.atomic():
        account = (
            ConnectedAccount.objects.select_for_update(of=("self",))
            .select_related("tenant", "user")
            .get(pk=account.pk)
        )
        if data is None:
            data = gateway.account_retrieve(account.stripe_id)
        elif data.get("id") != account.stripe_id:
            raise ValueError("The Account object is not this account's")
        before = account.status
        _apply(account, data)
        account.save()
        if account.status != before:
            audit_record(
                action="connect.account.status_changed",
                tenant=account.tenant,
                target=account,
                data={"from": before, "to": account.status},
            )
            _status_notify(account)
    return account


def account_event(event: dict) -> None:
    """``account.updated`` (and ``account.application.deauthorized``) from the webhook.

    Events on accounts this platform does not know are ignored. The event's snapshot is
    not trusted for order: the account is re-read from Stripe.
    """
    kind = event.get("type", "")
    if kind == "account.application.deauthorized":
        account = ConnectedAccount.objects.filter(stripe_id=event.get("account") or "").first()
        if account is not None:
            _disconnected(account)
        return
    obj = (event.get("data") or {}).get("object") or {}
    account = ConnectedAccount.objects.filter(stripe_id=obj.get("id") or "").first()
    if account is None:
        return
    account_sync(account)


def _disconnected(account: ConnectedAccount) -> None:
    with transaction.atomic():
        account = (
            ConnectedAccount.objects.select_for_update(of=("self",))
            .select_related("tenant", "user")
            .get(pk=account.pk)
        )
        if account.status == Status.REJECTED and account.disabled_reason == "deauthorized":
            return
        before = account.status
        account.status = Status.REJECTED
        account.disabled_reason = "deauthorized"
        account.payouts_enabled = False
        account.save()
        audit_record(
            action="connect.account.status_changed",
            tenant=account.tenant,
            target=account,
            data={"from": before, "to": account.status, "reason": "deauthorized"},
        )
        _status_notify(account)


# Telling the owners -----------------------------------------------------------------------


def requirement_labels(due: list[str]) -> list[str]:
    """Stripe's requirement names as words (``individual.dob.day`` → ``individual dob day``)."""
    return [item.replace(".", " ").replace("_", " ") for item in due]


def _status_message(account: ConnectedAccount) -> tuple[str, str, str] | None:
    if account.status == Status.ENABLED:
        return (
            "billing.payouts_enabled",
            "Your payout account is ready",
            "Stripe has verified the payout account: earnings can now be paid into it.",
        )
    if account.status == Status.RESTRICTED and account.requirements_due:
        due = ", ".join(requirement_labels(account.requirements_due))
        return (
            "billing.payouts_restricted",
            "Stripe needs more information for your payout account",
            f"Until it is given, no money can be paid into the account. Still due: {due}.",
        )
    if account.status == Status.REJECTED:
        return (
            "billing.payouts_rejected",
            "Your payout account was closed",
            "Stripe no longer lets this account receive payouts. Contact the platform's support.",
        )
    return None


def _status_notify(account: ConnectedAccount) -> None:
    message = _status_message(account)
    if message is None:
        return
    event, title, body = message
    context = {"status": account.status, "requirements_due": account.requirements_due}
    if account.tenant_id:
        tenant = account.tenant
        with tenant_context(tenant):
            url = _connect_url(tenant, "connect", OWNER_AGENCY)
            managers = Membership.objects.filter(
                tenant=tenant, role__in=Membership.MANAGER_ROLES, is_active=True
            ).select_related("user")
            for membership in managers:
                notify(
                    user=membership.user,
                    event=event,
                    title=title,
                    body=body,
                    url=url,
                    context=context,
                )
        return
    # A tutor's own account: told in each tenant that pays them into it, emailed once.
    places = Membership.objects.filter(
        user_id=account.user_id, role=Membership.Role.TUTOR, is_active=True
    ).select_related("tenant")
    emailed = False
    for membership in places:
        tenant = membership.tenant
        with tenant_context(tenant):
            if not tutors_paid_directly(tenant):
                continue
            notify(
                user=account.user,
                event=event,
                title=title,
                body=body,
                url=_connect_url(tenant, "connect", OWNER_ME),
                context=context,
                send_email=not emailed,
            )
            emailed = True
    if not emailed:
        with schema_context(settings.PUBLIC_SCHEMA_NAME):
            notify(user=account.user, event=event, title=title, body=body, context=context)


# The platform's fee -----------------------------------------------------------------------


@transaction.atomic
def fee_terms_set(
    *,
    actor: User,
    tenant: Tenant,
    platform_fee_basis_points: int | None,
    note: str = "",
    request=None,
) -> FeeTerms | None:
    """Set the platform's fee for ``tenant`` (platform staff); None goes back to the default."""
    if actor is None or not actor.is_authenticated or not actor.is_platform_staff:
        raise PermissionDenied("Only platform staff set a tenant's fee.")
    if tenant.is_public:
        raise ValidationError({"tenant": ["The platform itself pays no fee."]})
    errors: dict[str, list[str]] = {}
    bp = platform_fee_basis_points
    if bp is not None and (
        isinstance(bp, bool) or not isinstance(bp, int) or not 0 <= bp <= FEE_LIMIT_BASIS_POINTS
    ):
        errors["platform_fee_basis_points"] = [
            f"Enter a whole number of basis points from 0 to {FEE_LIMIT_BASIS_POINTS}."
        ]
    if not isinstance(note, str) or len(note) > 200:
        errors["note"] = ["At most 200 characters."]
    if errors:
        raise ValidationError(errors)
    current = FeeTerms.objects.select_for_update().filter(tenant=tenant).first()
    before = current.platform_fee_basis_points if current else None
    if bp is None:
        if current is not None:
            current.delete()
        terms = None
    else:
        terms = current or FeeTerms(tenant=tenant)
        terms.platform_fee_basis_points = bp
        terms.note = note.strip()
        terms.save()
    if before != bp:
        audit_record(
            action="connect.fee_terms.updated",
            actor=actor,
            tenant=tenant,
            target=terms,
            data={"from": before, "to": bp, "note": note.strip()},
            request=request,
        )
    return terms
