"""Keeping an account's status current: re-read from Stripe, whatever the event says, and
people told once per change."""

from __future__ import annotations

import pytest
from django_tenants.utils import schema_context, tenant_context

from connect import services
from connect.models import ConnectedAccount
from notifications.models import Notification
from tests.billing.connect.conftest import in_tenant, notices, route

pytestmark = pytest.mark.django_db

Status = ConnectedAccount.Status
ENABLED, RESTRICTED = "billing.payouts_enabled", "billing.payouts_restricted"


@pytest.fixture
def agency_account(fake_stripe, acme, people) -> ConnectedAccount:
    in_tenant(people.owner, services.account_start, owner="agency")
    return ConnectedAccount.objects.get(tenant=acme)


def _updated(fake_stripe, account: ConnectedAccount, **snapshot) -> dict:
    """An ``account.updated`` event carrying ``snapshot`` (which may be stale)."""
    obj = {**fake_stripe.objects[account.stripe_id], **snapshot}
    return fake_stripe.event("account.updated", obj, account=account.stripe_id)


def _status(account: ConnectedAccount) -> str:
    return ConnectedAccount.objects.get(pk=account.pk).status


@pytest.mark.parametrize(
    ("stripe_state", "expected"),
    [
        ({}, Status.ONBOARDING),
        ({"details_submitted": True}, Status.RESTRICTED),
        (
            {"details_submitted": True, "payouts_enabled": True},
            Status.RESTRICTED,  # the transfers capability is not active yet
        ),
        (
            {
                "details_submitted": True,
                "payouts_enabled": True,
                "capabilities": {"transfers": "active"},
            },
            Status.ENABLED,
        ),
        (
            {
                "details_submitted": True,
                "requirements": {"currently_due": [], "disabled_reason": "rejected.fraud"},
            },
            Status.REJECTED,
        ),
    ],
)
def test_the_status_follows_what_stripe_says(fake_stripe, agency_account, stripe_state, expected):
    fake_stripe.objects[agency_account.stripe_id].update(stripe_state)

    account = services.account_sync(agency_account)

    assert account.status == expected
    assert _status(agency_account) == expected
    assert account.synced_at is not None


def test_sync_keeps_the_fields_stripe_reports(fake_stripe, agency_account):
    fake_stripe.account_complete(agency_account.stripe_id)

    account = services.account_sync(agency_account)

    assert (account.details_submitted, account.charges_enabled, account.payouts_enabled) == (
        True,
        True,
        True,
    )
    assert (account.requirements_due, account.disabled_reason) == ([], "")
    assert account.can_receive


def test_an_event_is_applied_from_stripes_current_state_not_its_snapshot(
    fake_stripe, agency_account
):
    stale = _updated(fake_stripe, agency_account)  # still onboarding in the snapshot
    fake_stripe.account_complete(agency_account.stripe_id)

    with schema_context("public"):
        services.account_event(stale)

    assert _status(agency_account) == Status.ENABLED
    assert fake_stripe.calls("GET", f"/v1/accounts/{agency_account.stripe_id}")


def test_an_account_becoming_enabled_tells_the_managers_once(fake_stripe, agency_account, people):
    fake_stripe.account_complete(agency_account.stripe_id)
    event = _updated(fake_stripe, agency_account)

    with schema_context("public"):
        services.account_event(event)
        services.account_event(event)  # the same event delivered twice
        services.account_event(_updated(fake_stripe, agency_account))  # another, same state

    assert notices(people.owner, ENABLED) == [ENABLED]
    assert notices(people.admin, ENABLED) == [ENABLED]
    for person in (people.staff, people.tutor, people.student):
        assert notices(person) == []
    with tenant_context(people.owner.tenant):
        notice = Notification.objects.get(user=people.owner.user, event=ENABLED)
    assert notice.url.endswith("/billing/connect/?owner=agency")


def test_stripe_asking_for_more_is_told_once_with_what_is_due(fake_stripe, agency_account, people):
    fake_stripe.objects[agency_account.stripe_id].update(
        details_submitted=True,
        requirements={"currently_due": ["individual.verification.document"]},
    )
    with schema_context("public"):
        services.account_event(_updated(fake_stripe, agency_account))
        services.account_event(_updated(fake_stripe, agency_account))

    assert notices(people.owner) == [RESTRICTED]
    with tenant_context(people.owner.tenant):
        body = Notification.objects.get(user=people.owner.user).body
    assert "individual verification document" in body

    fake_stripe.account_complete(agency_account.stripe_id)
    with schema_context("public"):
        services.account_event(_updated(fake_stripe, agency_account))
    assert notices(people.owner) == [RESTRICTED, ENABLED]


def test_a_tutors_own_account_tells_them_where_they_are_paid_directly(fake_stripe, acme, people):
    route(acme, "tutors")
    in_tenant(people.tutor, services.account_start, owner="me")
    account = ConnectedAccount.objects.get(user=people.tutor.user)
    fake_stripe.account_complete(account.stripe_id)

    with schema_context("public"):
        services.account_event(_updated(fake_stripe, account))

    assert notices(people.tutor) == [ENABLED]
    assert notices(people.owner) == []


def test_an_event_for_an_account_we_do_not_know_is_ignored(fake_stripe, agency_account):
    foreign = fake_stripe.account_add()
    event = fake_stripe.event("account.updated", fake_stripe.objects[foreign], account=foreign)

    with schema_context("public"):
        services.account_event(event)

    assert not ConnectedAccount.objects.filter(stripe_id=foreign).exists()
    assert fake_stripe.calls("GET", f"/v1/accounts/{foreign}") == []


def test_a_platform_disconnected_by_the_account_marks_it_rejected(
    fake_stripe, agency_account, people
):
    event = fake_stripe.event(
        "account.application.deauthorized",
        {"id": "ca_fake", "object": "application"},
        account=agency_account.stripe_id,
    )
    with schema_context("public"):
        services.account_event(event)
        services.account_event(event)

    account = ConnectedAccount.objects.get(pk=agency_account.pk)
    assert (account.status, account.disabled_reason) == (Status.REJECTED, "deauthorized")
    assert notices(people.owner) == ["billing.payouts_rejected"]


def test_a_snapshot_of_another_account_is_refused(fake_stripe, agency_account):
    other = fake_stripe.objects[fake_stripe.account_add()]
    with pytest.raises(ValueError, match="not this account"):
        services.account_sync(agency_account, other)
