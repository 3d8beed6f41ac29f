"""An agency's choice to be on the marketplace: the API, the page and the service."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django_tenants.utils import tenant_context

from accounts.models import Membership
from marketplace.models import Gig
from marketplace.services.settings import marketplace_listing_set
from notifications.models import Notification
from tenants.models import Tenant
from tests.access.conftest import error_code, field_errors
from tests.marketplace.gigs.conftest import audits

pytestmark = pytest.mark.django_db

SETTINGS = "/api/v1/marketplace/settings/"
PAGE = "/marketplace/settings/"


def listed_now(tenant) -> bool:
    return Tenant.objects.get(pk=tenant.pk).marketplace_listed


# API ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_managers_list_and_unlist_the_agency(api_client, acme, member, role):
    manager = member(acme, role)
    client = api_client(acme, manager.user)
    assert client.get(SETTINGS).json() == {
        "listed": False,
        "always_listed": False,
        "can_change": True,
    }
    response = client.put(SETTINGS, {"listed": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["listed"] is True
    assert listed_now(acme) is True
    [entry] = audits("marketplace.listing.enabled")
    assert (entry.actor_id, entry.tenant_id, entry.target_id) == (
        manager.user_id,
        acme.pk,
        str(acme.pk),
    )
    assert client.put(SETTINGS, {"listed": True}, format="json").status_code == 200
    assert len(audits("marketplace.listing.enabled")) == 1
    assert client.put(SETTINGS, {"listed": False}, format="json").json()["listed"] is False
    assert listed_now(acme) is False
    assert len(audits("marketplace.listing.disabled")) == 1


def test_a_tutor_reads_the_setting_but_cannot_change_it(api_client, acme, member):
    client = api_client(acme, member(acme, "tutor").user)
    assert client.get(SETTINGS).json()["can_change"] is False
    response = client.put(SETTINGS, {"listed": True}, format="json")
    assert response.status_code == 403
    assert listed_now(acme) is False


@pytest.mark.parametrize("role", ["staff", "student", "parent"])
def test_other_members_are_refused(api_client, acme, member, role):
    client = api_client(acme, member(acme, role).user)
    assert client.get(SETTINGS).status_code == 403
    assert client.put(SETTINGS, {"listed": True}, format="json").status_code == 403
    assert listed_now(acme) is False


def test_bad_input_is_a_field_error(api_client, acme, owner):
    client = api_client(acme, owner.user)
    assert "listed" in field_errors(client.put(SETTINGS, {"listed": "maybe"}, format="json"))
    assert "listed" in field_errors(client.put(SETTINGS, {}, format="json"))
    assert listed_now(acme) is False


def test_the_marketplace_is_always_listed(api_client, marketplace, member):
    client = api_client(marketplace, member(marketplace, "owner").user)
    assert client.get(SETTINGS).json() == {
        "listed": True,
        "always_listed": True,
        "can_change": False,
    }
    response = client.put(SETTINGS, {"listed": False}, format="json")
    assert response.status_code == 409
    assert error_code(response) == "marketplace_always_listed"


def test_another_agencys_owner_changes_nothing(api_client, acme, globex, member):
    stranger = member(globex, "owner")
    response = api_client(acme, stranger.user).put(SETTINGS, {"listed": True}, format="json")
    assert response.status_code in {401, 403}
    assert listed_now(acme) is False
    with tenant_context(acme), pytest.raises(PermissionDenied):
        marketplace_listing_set(actor=stranger, listed=True)
    assert listed_now(acme) is False
    assert audits("marketplace.listing.enabled") == []


def test_unlisting_tells_the_tutors_whose_gigs_leave(listed, owner, teacher, gig_factory):
    theo, theo_profile = teacher(listed)
    olga, olga_profile = teacher(listed, email="olga@acme.test", first_name="Olga")
    _, idle_profile = teacher(listed, email="ida@acme.test", first_name="Ida")
    gig_factory(theo_profile)
    gig_factory(theo_profile, title="A second one")
    gig_factory(olga_profile)
    gig_factory(idle_profile, status=Gig.Status.DRAFT)
    with tenant_context(listed):
        marketplace_listing_set(actor=owner, listed=False)
        told = sorted(
            Notification.objects.filter(event="marketplace.listing.disabled").values_list(
                "user_id", flat=True
            )
        )
    assert told == sorted([theo.user_id, olga.user_id])
    assert Membership.objects.get(pk=owner.pk).tenant.marketplace_listed is False


# The page ----------------------------------------------------------------------------------


def test_an_owner_lists_the_agency_on_its_page(web_client, acme, owner):
    browser = web_client(acme, owner.user)
    page = browser.get(PAGE)
    assert page.status_code == 200
    assert "is not on the marketplace" in page.content.decode()
    response = browser.post(PAGE, {"listed": "on"})
    assert response.status_code == 302
    assert listed_now(acme) is True
    page = browser.get(PAGE)
    assert "lists its tutors' published gigs" in page.content.decode()
    browser.post(PAGE, {})
    assert listed_now(acme) is False
    assert len(audits("marketplace.listing.disabled")) == 1


@pytest.mark.parametrize("role", ["tutor", "staff", "student", "parent"])
def test_only_managers_open_the_page(web_client, acme, member, role):
    browser = web_client(acme, member(acme, role).user)
    assert browser.get(PAGE).status_code == 403
    assert browser.post(PAGE, {"listed": "on"}).status_code == 403
    assert listed_now(acme) is False


def test_the_marketplaces_page_says_it_is_always_listed(web_client, marketplace, member):
    browser = web_client(marketplace, member(marketplace, "owner").user)
    assert "always listed" in browser.get(PAGE).content.decode()
    response = browser.post(PAGE, {"listed": ""})
    assert response.status_code == 409
    assert "The marketplace is always listed." in response.content.decode()


def test_managers_see_the_marketplace_link_and_tutors_the_gigs_link(web_client, acme, member):
    owner_page = web_client(acme, member(acme, "owner").user).get("/dashboard/").content.decode()
    assert 'href="/marketplace/settings/"' in owner_page
    tutor_page = web_client(acme, member(acme, "tutor").user).get("/dashboard/").content.decode()
    assert 'href="/marketplace/gigs/"' in tutor_page
    assert 'href="/marketplace/settings/"' not in tutor_page
