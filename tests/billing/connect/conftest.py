"""People around payout accounts: acme's managers and tutor, a marketplace tutor, and the
calls that onboard them against the fake Stripe."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from billing.models import BillingSettings
from connect import services
from connect.models import ConnectedAccount
from notifications.models import Notification


def in_tenant(membership, call, **kwargs):
    """``call(actor=membership, **kwargs)`` inside the membership's tenant."""
    with tenant_context(membership.tenant):
        return call(actor=membership, **kwargs)


def route(tenant, payout_route: str) -> None:
    with tenant_context(tenant):
        BillingSettings.current()
        BillingSettings.objects.filter(pk=1).update(payout_route=payout_route)


def notices(membership, event: str = "") -> list[str]:
    """The events of ``membership``'s user's notifications in its tenant, oldest first."""
    with tenant_context(membership.tenant):
        found = Notification.objects.filter(user=membership.user).order_by("id")
        if event:
            found = found.filter(event=event)
        return [n.event for n in found]


def account_creates(fake_stripe) -> list:
    return [r for r in fake_stripe.calls("POST", "/v1/accounts") if r.path == "/v1/accounts"]


@pytest.fixture
def people(acme, owner, member, tutor):
    """acme's owner, an admin, staff, its tutor Theo, a student and a parent."""
    return SimpleNamespace(
        owner=owner,
        admin=member(acme, Membership.Role.ADMIN),
        staff=member(acme, Membership.Role.STAFF),
        tutor=tutor,
        student=member(acme, Membership.Role.STUDENT),
        parent=member(acme, Membership.Role.PARENT),
    )


@pytest.fixture
def freelancer(marketplace, teacher) -> Membership:
    """A tutor of the marketplace, paid into their own account."""
    membership, _ = teacher(marketplace, first_name="Fay", email="fay@freelance.test")
    return membership


@pytest.fixture
def onboarded(fake_stripe):
    """``onboarded(membership, owner)`` → the owner's ConnectedAccount, finished and synced."""

    def make(membership, owner: str) -> ConnectedAccount:
        in_tenant(membership, services.account_start, owner=owner)
        with tenant_context(membership.tenant):
            account = services.account_for(actor=membership, owner=owner)
        fake_stripe.account_complete(account.stripe_id)
        return services.account_sync(account)

    return make
