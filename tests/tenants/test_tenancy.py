"""Routing by host, provisioning agencies, and the rules on their addresses."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import schema_exists

from accounts.models import Membership
from tenants.models import Domain, Tenant
from tenants.services import agency_provision
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_root_domain_serves_the_public_pages(web_client, public_tenant):
    response = web_client(public_tenant).get("/")
    assert response.status_code == 200
    assert b"Start an agency" in response.content


def test_agency_subdomain_serves_the_tenant_pages(web_client, acme):
    response = web_client(acme).get("/accounts/login/")
    assert response.status_code == 200
    assert b"Sign in to Acme Tutoring" in response.content


def test_unknown_subdomain_gets_a_404_page_not_a_server_error(public_tenant):
    from django.test import Client

    response = Client(HTTP_HOST="nobody-here.localhost").get("/")
    assert response.status_code == 404
    assert b"couldn't find that page" in response.content


def test_provisioning_creates_schema_domain_and_owner_membership(public_tenant):
    owner = UserFactory()
    tenant = agency_provision(name="Bright Minds", slug="bright-minds", owner=owner)
    assert tenant.kind == Tenant.Kind.AGENCY
    assert tenant.schema_name == "bright_minds"
    assert schema_exists("bright_minds")
    assert Domain.objects.get(tenant=tenant).domain == "bright-minds.localhost"
    membership = Membership.objects.get(tenant=tenant, user=owner)
    assert membership.role == Membership.Role.OWNER
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM information_schema.tables "
            "WHERE table_schema = 'bright_minds' AND table_name = 'notifications_notification'"
        )
        assert cursor.fetchone()[0] == 1


@pytest.mark.parametrize("slug", ["www", "api", "admin", "public", "marketplace", "pg-data"])
def test_reserved_slugs_are_refused(public_tenant, slug):
    tenants_before = Tenant.objects.count()
    with pytest.raises(ValidationError) as error:
        agency_provision(name="Sneaky", slug=slug, owner=UserFactory())
    assert "reserved" in error.value.message_dict["slug"][0]
    assert Tenant.objects.count() == tenants_before


@pytest.mark.parametrize(
    "slug", ["ab", "-acme", "acme-", "ac--me", "9lives", "a_b", "x" * 41, "acmé"]
)
def test_badly_formed_slugs_are_refused(public_tenant, slug):
    with pytest.raises(ValidationError) as error:
        agency_provision(name="Bad", slug=slug, owner=UserFactory())
    assert "slug" in error.value.message_dict


def test_a_taken_slug_is_refused_and_nothing_is_half_written(acme):
    schemas_before = Tenant.objects.count()
    with pytest.raises(ValidationError) as error:
        agency_provision(name="Copycat", slug="acme", owner=UserFactory())
    assert error.value.message_dict["slug"] == ["This address is already taken."]
    assert Tenant.objects.count() == schemas_before


def test_a_failure_after_the_schema_is_made_leaves_no_schema_behind(public_tenant, monkeypatch):
    from django.db import transaction

    import tenants.services

    def explode(**kwargs):
        raise RuntimeError("mail server down")

    monkeypatch.setattr(tenants.services, "membership_create", explode)
    with pytest.raises(RuntimeError), transaction.atomic():
        agency_provision(name="Doomed", slug="doomed", owner=UserFactory())
    assert not Tenant.objects.filter(slug="doomed").exists()
    assert not schema_exists("doomed")


def test_bad_time_zone_is_a_field_error(public_tenant):
    with pytest.raises(ValidationError) as error:
        agency_provision(name="Zoned", slug="zoned", owner=UserFactory(), time_zone="Mars/Base")
    assert "time_zone" in error.value.message_dict


def test_exactly_one_marketplace_tenant_exists_after_setup(marketplace):
    from tenants.services import marketplace_tenant_ensure

    assert marketplace_tenant_ensure() == marketplace
    assert Tenant.objects.filter(kind=Tenant.Kind.MARKETPLACE).count() == 1
    assert marketplace.primary_domain_name == "marketplace.localhost"


def test_slug_is_normalised_to_lower_case(public_tenant):
    tenant = agency_provision(name="Shouty", slug="  Shouty-Tutors ", owner=UserFactory())
    assert tenant.slug == "shouty-tutors"
    assert tenant.primary_domain_name == "shouty-tutors.localhost"


def test_provisioning_retires_its_database_connection_after_commit(
    public_tenant, django_capture_on_commit_callbacks
):
    import time

    with django_capture_on_commit_callbacks(execute=True):
        agency_provision(name="Fresh", slug="fresh", owner=UserFactory())
    # Django closes it at the end of the request: a backend that created many schemas
    # makes every later clone slower.
    assert connection.close_at is not None
    assert connection.close_at <= time.monotonic()
