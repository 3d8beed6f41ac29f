"""Agency sign-up through the API, and what the new owner's tokens open."""

from __future__ import annotations

import pytest

from accounts.models import Membership
from tenants.models import Tenant
from tests.access.conftest import error_code, field_errors, move_to
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

SIGNUP = "/api/v1/agencies/"


def test_a_signed_in_person_starts_an_agency_and_owns_it(api_client, public_tenant):
    person = UserFactory(email="founder@example.test")
    response = api_client(None, person).post(
        SIGNUP, {"agency_name": "Bright Minds", "slug": "bright-minds", "time_zone": "UTC"}
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["slug"], body["kind"]) == ("bright-minds", "agency")
    assert body["url"] == "http://bright-minds.localhost/"
    tenant = Tenant.objects.get(slug="bright-minds")
    assert Membership.objects.get(tenant=tenant, user=person).role == "owner"


def test_the_root_token_of_a_new_owner_does_not_open_the_new_agency(
    api_client, public_tenant, password
):
    person = UserFactory(email="founder@example.test")
    client = api_client(None, person)
    client.post(SIGNUP, {"agency_name": "Bright Minds", "slug": "bright-minds"})
    tenant = Tenant.objects.get(slug="bright-minds")

    move_to(client, tenant)
    refused = client.get("/api/v1/team/members/")
    assert refused.status_code == 401
    assert error_code(refused) == "wrong_tenant"

    fresh = api_client(tenant)
    pair = fresh.post("/api/v1/auth/token/", {"email": person.email, "password": password})
    assert pair.status_code == 200
    fresh.credentials(HTTP_AUTHORIZATION=f"Bearer {pair.json()['access']}")
    assert fresh.get("/api/v1/team/members/").json()["count"] == 1


def test_a_taken_or_reserved_address_is_a_field_error(api_client, acme):
    client = api_client(None, UserFactory())
    for slug in ("acme", "admin"):
        fields = field_errors(client.post(SIGNUP, {"agency_name": "Copy", "slug": slug}))
        assert "slug" in fields
    assert Tenant.objects.filter(kind="agency").count() == 1


def test_agency_sign_up_is_not_served_on_an_agency_host(api_client, acme, owner):
    response = api_client(acme, owner.user).post(
        SIGNUP, {"agency_name": "Nested", "slug": "nested"}
    )
    assert response.status_code == 404
    assert not Tenant.objects.filter(slug="nested").exists()


def test_the_root_domain_memberships_list_needs_a_root_token(api_client, public_tenant):
    response = api_client(None).get("/api/v1/me/memberships/")
    assert response.status_code == 401
    assert error_code(response) == "not_authenticated"
