"""Starting onboarding: who may, one Express account per owner, a fresh link each time."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from config.errors import ApplicationError
from connect import services
from connect.models import ConnectedAccount
from tenants.selectors import host_for_slug
from tests.billing.connect.conftest import account_creates, in_tenant, route
from tests.billing.fake_stripe import nest

pytestmark = pytest.mark.django_db


def test_an_owner_starts_the_agencys_account_and_gets_a_stripe_onboarding_link(
    fake_stripe, acme, people
):
    url = in_tenant(people.owner, services.account_start, owner="agency")

    account = ConnectedAccount.objects.get(tenant=acme)
    assert account.user_id is None
    assert account.status == ConnectedAccount.Status.ONBOARDING
    assert account.requirements_due == ["external_account", "individual.dob.day"]
    assert url.startswith(f"{fake_stripe.url}/setup/e/{account.stripe_id}/")
    (created,) = account_creates(fake_stripe)
    assert created.headers["idempotency-key"] == f"acct:tenant:{acme.pk}"
    form = nest(created.form)
    assert form["controller"]["stripe_dashboard"]["type"] == "express"
    assert form["email"] == people.owner.user.email
    (link,) = fake_stripe.calls("POST", "/v1/account_links")
    link = nest(link.form)
    assert link["account"] == account.stripe_id
    assert link["type"] == "account_onboarding"
    for name, path in (
        ("return_url", "/billing/connect/return/"),
        ("refresh_url", "/billing/connect/refresh/"),
    ):
        parts = urlsplit(link[name])
        assert parts.netloc.split(":")[0] == host_for_slug("acme")
        assert parts.path == path
        assert parse_qs(parts.query) == {"owner": ["agency"]}
    assert AuditEntry.objects.filter(action="connect.account.created", tenant=acme).count() == 1


def test_starting_twice_makes_one_account_and_two_links_with_their_own_keys(
    fake_stripe, acme, people
):
    first = in_tenant(people.owner, services.account_start, owner="agency")
    second = in_tenant(people.admin, services.account_start, owner="agency")

    assert first != second
    assert ConnectedAccount.objects.filter(tenant=acme).count() == 1
    assert len(account_creates(fake_stripe)) == 1
    keys = [r.headers["idempotency-key"] for r in fake_stripe.calls("POST", "/v1/account_links")]
    assert len(keys) == len(set(keys)) == 2


def test_a_marketplace_tutor_starts_their_own_account(fake_stripe, freelancer):
    url = in_tenant(freelancer, services.account_start, owner="me")

    account = ConnectedAccount.objects.get(user=freelancer.user)
    assert account.tenant_id is None
    assert url.startswith(f"{fake_stripe.url}/setup/e/{account.stripe_id}/")
    (created,) = account_creates(fake_stripe)
    assert created.headers["idempotency-key"] == f"acct:user:{freelancer.user_id}"


def test_an_agency_tutor_has_an_own_account_only_when_the_agency_pays_tutors_directly(
    fake_stripe, acme, people
):
    with pytest.raises(PermissionDenied, match="pays its tutors itself"):
        in_tenant(people.tutor, services.account_start, owner="me")
    assert not ConnectedAccount.objects.exists()

    route(acme, "tutors")
    in_tenant(people.tutor, services.account_start, owner="me")
    assert ConnectedAccount.objects.filter(user=people.tutor.user).count() == 1


def test_one_person_has_one_account_across_the_tenants_that_pay_them_directly(
    fake_stripe, acme, people, marketplace
):
    from tests.factories import MembershipFactory

    route(acme, "tutors")
    in_marketplace = MembershipFactory(tenant=marketplace, role="tutor", user=people.tutor.user)
    in_tenant(people.tutor, services.account_start, owner="me")
    in_tenant(in_marketplace, services.account_start, owner="me")

    assert ConnectedAccount.objects.filter(user=people.tutor.user).count() == 1
    assert len(account_creates(fake_stripe)) == 1


@pytest.mark.parametrize(
    ("who", "which"),
    [
        ("staff", "agency"),
        ("tutor", "agency"),
        ("student", "agency"),
        ("parent", "agency"),
        ("owner", "me"),
        ("admin", "me"),
        ("student", "me"),
    ],
)
def test_other_roles_are_refused_before_stripe_is_called(fake_stripe, people, who, which):
    with pytest.raises(PermissionDenied):
        in_tenant(getattr(people, who), services.account_start, owner=which)
    with pytest.raises(PermissionDenied):
        in_tenant(getattr(people, who), services.login_link, owner=which)
    assert fake_stripe.requests == []
    assert not ConnectedAccount.objects.exists()


def test_the_marketplace_has_no_agency_account(fake_stripe, marketplace, member):
    manager = member(marketplace, "owner")
    with pytest.raises(PermissionDenied, match="marketplace"):
        in_tenant(manager, services.account_start, owner="agency")


def test_an_unknown_owner_is_a_field_error(fake_stripe, people):
    with pytest.raises(ValidationError) as caught:
        in_tenant(people.owner, services.account_start, owner="tenant")
    assert set(caught.value.message_dict) == {"owner"}


def test_a_membership_of_another_tenant_is_refused(fake_stripe, acme, globex, people):
    with tenant_context(globex), pytest.raises(PermissionDenied):
        services.account_start(actor=people.owner, owner="agency")
    assert not ConnectedAccount.objects.exists()


def test_without_stripe_keys_onboarding_is_refused_clearly(fake_stripe, settings, people):
    settings.STRIPE_SECRET_KEY = ""
    with pytest.raises(ApplicationError) as caught:
        in_tenant(people.owner, services.account_start, owner="agency")
    assert (caught.value.code, caught.value.status) == ("payments_not_configured", 409)


def test_a_stripe_failure_creates_nothing_and_a_retry_makes_the_account(fake_stripe, acme, people):
    fake_stripe.fail("POST", "/v1/accounts", 500)
    with pytest.raises(ApplicationError) as caught:
        in_tenant(people.owner, services.account_start, owner="agency")
    assert caught.value.status == 502
    assert not ConnectedAccount.objects.exists()

    in_tenant(people.owner, services.account_start, owner="agency")
    assert ConnectedAccount.objects.filter(tenant=acme).count() == 1


def test_the_dashboard_link_opens_only_after_onboarding(fake_stripe, acme, people):
    in_tenant(people.owner, services.account_start, owner="agency")
    with pytest.raises(ApplicationError) as caught:
        in_tenant(people.owner, services.login_link, owner="agency")
    assert caught.value.code == "account_not_ready"
    assert fake_stripe.calls("POST", "/login_links") == []

    account = ConnectedAccount.objects.get(tenant=acme)
    fake_stripe.account_complete(account.stripe_id)
    services.account_sync(account)
    url = in_tenant(people.admin, services.login_link, owner="agency")
    assert url == f"{fake_stripe.url}/express/{account.stripe_id}"


def test_a_rejected_account_gets_no_new_onboarding_link(fake_stripe, acme, people):
    in_tenant(people.owner, services.account_start, owner="agency")
    account = ConnectedAccount.objects.get(tenant=acme)
    fake_stripe.objects[account.stripe_id]["requirements"]["disabled_reason"] = "rejected.fraud"
    services.account_sync(account)

    with pytest.raises(ApplicationError) as caught:
        in_tenant(people.owner, services.account_start, owner="agency")
    assert caught.value.code == "account_rejected"
    assert len(fake_stripe.calls("POST", "/v1/account_links")) == 1
