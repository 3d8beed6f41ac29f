"""Booking a gig through the root domain's API."""

from __future__ import annotations

import zoneinfo

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm.models import StudentProfile
from scheduling.models import Session
from tests.factories import UserFactory
from tests.scheduling.conftest import dob_for

from .conftest import london

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


def _body(**changes) -> dict:
    body = {
        "starts_at": london(2, 10).isoformat(),
        "message": "Quadratics, please.",
        "student": {"for": "me", "date_of_birth": "1990-05-01"},
    }
    body.update(changes)
    return body


def _post(client, listing, body):
    return client.post(f"/api/v1/marketplace/listings/{listing.pk}/bookings/", body, format="json")


def test_a_signed_in_user_books_and_gets_the_session_on_the_tenants_site(
    api_client, customer, gig_listing, marketplace
):
    response = _post(api_client(None, customer), gig_listing, _body())

    assert response.status_code == 201, response.json()
    body = response.json()
    with tenant_context(marketplace):
        session = Session.objects.get()
        assert session.request_message == "Quadratics, please."
    assert body["tenant"]["slug"] == marketplace.slug
    assert body["tenant"]["url"] == marketplace.absolute_url("/")
    assert body["role"] == "student"
    assert body["student_id"] == session.student_id
    assert body["url"] == marketplace.absolute_url(f"/scheduling/sessions/{session.pk}/")
    [booked] = body["sessions"]
    assert booked["id"] == session.pk
    assert (booked["price_minor"], booked["currency"], booked["status"]) == (
        3000,
        "GBP",
        "requested",
    )
    # In the user's own zone (New York).
    assert booked["starts_at"] == london(2, 10).astimezone(NEW_YORK).isoformat()


def test_a_parent_books_for_a_child(api_client, customer, gig_listing, marketplace):
    child = {
        "for": "child",
        "first_name": "Kit",
        "last_name": "Client",
        "date_of_birth": dob_for(8).isoformat(),
        "consent": True,
    }
    response = _post(api_client(None, customer), gig_listing, _body(student=child))
    assert response.status_code == 201, response.json()
    assert response.json()["role"] == "parent"


def test_without_a_token_it_is_401(api_client, gig_listing):
    assert _post(api_client(None), gig_listing, _body()).status_code == 401


def test_a_tenants_token_does_not_work_on_the_root_domain(
    api_client, customer, gig_listing, marketplace, member
):
    parent = member(marketplace, "parent")
    client = api_client(marketplace, parent.user)
    client.defaults["HTTP_HOST"] = "localhost"
    response = _post(client, gig_listing, _body())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "wrong_tenant"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"starts_at": "2031-01-01T10:00:00"}, "starts_at"),
        ({"starts_at": "soon"}, "starts_at"),
        ({"package_sessions": 1}, "package_sessions"),
        ({"package_sessions": 4}, "package_sessions"),  # not one of the gig's packages
        ({"message": "x" * 2001}, "message"),
        ({"student": {}}, "student.for"),
        ({"student": {"for": "someone"}}, "student.for"),
        ({"student": {"for": "me", "date_of_birth": "May 1990"}}, "student.date_of_birth"),
        ({"student": {"for": "me"}}, "student.date_of_birth"),
        ({"student": {"for": "child", "date_of_birth": "2019-01-01"}}, "student.first_name"),
        ({"student": {"for": "me", "consent": "maybe"}}, "student.consent"),
    ],
)
def test_bad_input_is_a_400_on_the_field_and_nothing_is_written(
    api_client, customer, gig_listing, marketplace, changes, field
):
    response = _post(api_client(None, customer), gig_listing, _body(**changes))

    assert response.status_code == 400, response.json()
    assert field in response.json()["error"]["fields"]
    assert not Membership.objects.filter(user=customer).exists()
    with tenant_context(marketplace):
        assert not StudentProfile.objects.exists()


def test_a_taken_time_is_a_400_on_starts_at_and_nothing_is_written(
    api_client, customer, gig_listing, marketplace
):
    someone = UserFactory(email="someone@example.test")
    assert _post(api_client(None, someone), gig_listing, _body()).status_code == 201

    response = _post(api_client(None, customer), gig_listing, _body())

    assert response.status_code == 400
    assert "starts_at" in response.json()["error"]["fields"]
    assert not Membership.objects.filter(user=customer).exists()
    with tenant_context(marketplace):
        assert Session.objects.count() == 1


def test_the_tutor_of_that_tenant_gets_a_409(api_client, freelancer, gig_listing):
    response = _post(api_client(None, freelancer.user), gig_listing, _body())
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "role_conflict"


def test_an_unknown_listing_is_404(api_client, customer):
    response = api_client(None, customer).post(
        "/api/v1/marketplace/listings/999999/bookings/", _body(), format="json"
    )
    assert response.status_code == 404
