"""Agency sign-up, by page and by API: new owners verify their email first."""

from __future__ import annotations

from unittest import mock

import pytest
from django_tenants.utils import schema_exists

from accounts.models import Membership, User
from accounts.ratelimits import rate_limit_consume
from tenants.models import Tenant
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# Ten seconds into an hour: the rate-limit window cannot roll over during a test.
WINDOW_START = 1_800_000_000 // 3600 * 3600 + 10

NEW_OWNER = {
    "agency_name": "Bright Minds",
    "slug": "bright-minds",
    "time_zone": "Europe/Paris",
    "first_name": "Bea",
    "last_name": "Bright",
    "email": "Bea@Bright.test",
    "password": "Sunny-Days-42",
}


def test_signup_page_creates_agency_owner_and_sends_verification(
    web_client, public_tenant, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = web_client().post("/signup/agency/", NEW_OWNER)
    assert response.status_code == 200
    assert b"Bright Minds is ready" in response.content
    tenant = Tenant.objects.get(slug="bright-minds")
    assert tenant.time_zone == "Europe/Paris"
    assert schema_exists("bright_minds")
    owner = User.objects.get(email="bea@bright.test")
    assert not owner.is_email_verified
    assert Membership.objects.get(tenant=tenant, user=owner).role == Membership.Role.OWNER
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["bea@bright.test"]
    assert "http://localhost/accounts/verify/" in mailoutbox[0].body


def test_signup_page_shows_field_errors_and_creates_nothing(web_client, public_tenant):
    response = web_client().post(
        "/signup/agency/", {**NEW_OWNER, "slug": "admin", "password": "short"}
    )
    assert response.status_code == 200
    content = response.content.decode()
    assert "This address is reserved" in content
    assert "at least 8 characters" in content
    assert not Tenant.objects.filter(name="Bright Minds").exists()
    assert not User.objects.filter(email="bea@bright.test").exists()


def test_signed_in_user_signs_up_an_agency_as_its_owner(web_client, public_tenant):
    person = UserFactory()
    response = web_client(user=person).post(
        "/signup/agency/", {"agency_name": "Solo Studio", "slug": "solo", "time_zone": "UTC"}
    )
    assert response.status_code == 200
    tenant = Tenant.objects.get(slug="solo")
    assert Membership.objects.get(tenant=tenant).user == person


def test_signup_page_is_not_served_on_agency_hosts(web_client, acme):
    assert web_client(acme).get("/signup/agency/").status_code == 404


def test_api_signup_creates_the_agency(api_client, public_tenant):
    response = api_client().post("/api/v1/agencies/", NEW_OWNER, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["slug"] == "bright-minds"
    assert body["url"] == "http://bright-minds.localhost/"
    assert Tenant.objects.filter(slug="bright-minds", kind=Tenant.Kind.AGENCY).exists()


def test_api_signup_with_a_taken_slug_is_a_field_error(api_client, acme):
    response = api_client().post("/api/v1/agencies/", {**NEW_OWNER, "slug": "acme"}, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["fields"]["slug"] == ["This address is already taken."]
    assert not User.objects.filter(email="bea@bright.test").exists()


def test_api_signup_without_owner_details_names_the_missing_fields(api_client, public_tenant):
    response = api_client().post(
        "/api/v1/agencies/", {"agency_name": "X", "slug": "xyz-co"}, format="json"
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert set(fields) >= {"email", "password", "first_name"}


def test_api_signup_is_only_on_the_root_domain(api_client, acme):
    response = api_client(acme).post("/api/v1/agencies/", NEW_OWNER, format="json")
    assert response.status_code == 404


def test_signup_is_rate_limited_per_ip(api_client, public_tenant):
    """The 21st sign-up from one address within the hour is refused.

    Each sign-up provisions a schema, so the first 18 of the address's allowance
    (``register``, per IP: 20 an hour) are spent directly; the 19th and 20th must still
    go through, each counting one, and the 21st must not.
    """
    ip = "203.0.113.7"
    with mock.patch("accounts.ratelimits.time", mock.Mock(time=lambda: WINDOW_START)):
        for _ in range(18):
            rate_limit_consume("register", ip=ip)
        client = api_client()
        statuses = [
            client.post(
                "/api/v1/agencies/",
                {**NEW_OWNER, "slug": f"agency-{n}", "email": f"o{n}@x.test"},
                format="json",
                REMOTE_ADDR=ip,
            ).status_code
            for n in range(3)
        ]
    assert statuses == [201, 201, 429]
    assert Tenant.objects.filter(slug__startswith="agency-").count() == 2
