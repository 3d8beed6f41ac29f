"""The booking page: sign in first, choose for whom, then off to the tenant's host."""

from __future__ import annotations

import re
import zoneinfo
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm.models import ParentalConsent, StudentProfile
from marketplace.models import GigBooking, GigPackage
from scheduling.models import Session
from tests.factories import MembershipFactory, UserFactory
from tests.listings.pages.conftest import london
from tests.scheduling.conftest import dob_for, in_tenant_of

pytestmark = pytest.mark.django_db

NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def customer(public_tenant):
    return UserFactory(email="cara@example.test", first_name="Cara", time_zone="America/New_York")


def _url(listing, starts_at=None) -> str:
    start = (starts_at or london(2, 10)).isoformat()
    return f"/marketplace/gigs/{listing.pk}/book/?{urlencode({'start': start})}"


def _post(client, listing, starts_at=None, **fields):
    data = {"start": (starts_at or london(2, 10)).isoformat(), "for_whom": "me", **fields}
    return client.post(f"/marketplace/gigs/{listing.pk}/book/", data)


def _errors(response) -> str:
    html = response.content.decode()
    return " ".join(re.findall(r'class="(?:field-error|form-errors)"[^>]*>(.*?)</', html, re.S))


def test_signing_in_comes_first_and_leads_back_to_the_chosen_time(web_client, gig_listing):
    url = _url(gig_listing)
    response = web_client(None).get(url)
    assert response.status_code == 302
    target = urlsplit(response["Location"])
    assert target.path == "/accounts/login/"
    assert parse_qs(target.query)["next"] == [url]


def test_the_form_shows_the_time_in_the_users_zone_and_asks_for_what_is_needed(
    web_client, gig_listing, customer
):
    response = web_client(None, customer).get(_url(gig_listing))
    assert response.status_code == 200
    html = response.content.decode()
    start = london(2, 10).astimezone(NEW_YORK)
    assert f"{start:%A} {start.day} {start:%B %Y}, {start:%H:%M}" in html
    assert "(America/New_York)" in html
    assert 'name="date_of_birth"' in html
    assert 'name="child_first_name"' in html
    assert 'data-testid="consent-statement"' in html
    assert "I consent to EduConnect Marketplace keeping their profile" in html


def test_booking_for_oneself_sends_the_browser_to_the_session_on_the_tenants_host(
    web_client, gig_listing, customer, marketplace
):
    response = _post(web_client(None, customer), gig_listing, date_of_birth="1990-05-01")

    assert response.status_code == 302, _errors(response)
    with tenant_context(marketplace):
        session = Session.objects.get()
        assert session.student.user == customer
        assert session.price_minor == 3000
    handoff = urlsplit(response["Location"])
    assert handoff.netloc.split(":")[0] == "marketplace.localhost"
    assert handoff.path == "/accounts/handoff/"
    assert parse_qs(handoff.query)["next"] == [f"/scheduling/sessions/{session.pk}/"]

    landed = web_client(marketplace).get(f"{handoff.path}?{handoff.query}")
    assert landed.status_code == 302
    assert landed["Location"] == f"/scheduling/sessions/{session.pk}/"


def test_a_parent_books_for_a_child_under_13_with_the_consent_box(
    web_client, gig_listing, customer, marketplace
):
    response = _post(
        web_client(None, customer),
        gig_listing,
        for_whom="child",
        child_first_name="Kit",
        child_last_name="Client",
        child_date_of_birth=dob_for(9).isoformat(),
        consent="on",
    )
    assert response.status_code == 302, _errors(response)
    assert Membership.objects.get(user=customer).role == "parent"
    with tenant_context(marketplace):
        assert ParentalConsent.objects.get().parent == customer


def test_without_the_box_the_form_comes_back_with_the_reason_and_nothing_is_written(
    web_client, gig_listing, customer, marketplace
):
    response = _post(
        web_client(None, customer),
        gig_listing,
        for_whom="child",
        child_first_name="Kit",
        child_date_of_birth=dob_for(9).isoformat(),
    )
    assert response.status_code == 400
    assert "A child under 13 needs your consent" in _errors(response)
    assert 'value="Kit"' in response.content.decode()
    assert "I am a parent or legal guardian of Kit." in response.content.decode()
    assert not Membership.objects.filter(user=customer).exists()
    with tenant_context(marketplace):
        assert not StudentProfile.objects.exists()


def test_someone_under_18_is_told_a_parent_books_for_them(web_client, gig_listing, customer):
    response = _post(web_client(None, customer), gig_listing, date_of_birth=dob_for(16).isoformat())
    assert response.status_code == 400
    assert "a parent or guardian books for anyone younger" in _errors(response)


def test_a_time_taken_meanwhile_comes_back_as_an_error_on_the_page(
    web_client, gig_listing, customer, marketplace
):
    someone = UserFactory(email="someone@example.test")
    first = _post(web_client(None, someone), gig_listing, date_of_birth="1980-01-01")
    assert first.status_code == 302

    response = _post(web_client(None, customer), gig_listing, date_of_birth="1990-05-01")

    assert response.status_code == 400
    assert _errors(response)
    assert not Membership.objects.filter(user=customer).exists()
    with tenant_context(marketplace):
        assert Session.objects.count() == 1


def test_a_missing_or_made_up_time_is_refused(web_client, gig_listing, customer):
    client = web_client(None, customer)
    missing = client.get(f"/marketplace/gigs/{gig_listing.pk}/book/")
    made_up = client.get(f"/marketplace/gigs/{gig_listing.pk}/book/?start=soon")
    posted = _post(client, gig_listing, start="2031-01-01T10:00")  # no offset
    for response in (missing, made_up):
        assert response.status_code == 400
        assert "Choose a time from the gig&#x27;s free times." in response.content.decode()
    assert posted.status_code == 400


def test_the_tutor_of_that_tenant_is_refused_before_filling_anything(
    web_client, gig_listing, freelancer
):
    client = web_client(None, freelancer.user)
    page = client.get(_url(gig_listing))
    posted = _post(client, gig_listing, date_of_birth="1990-05-01")
    for response in (page, posted):
        assert response.status_code == 403
        assert "You are a tutor here; book with another account." in response.content.decode()
        assert 'data-testid="booking-form"' not in response.content.decode()


def test_a_student_there_already_books_for_themself_only_and_gives_no_birth_date(
    web_client, gig_listing, customer, marketplace
):
    _post(web_client(None, customer), gig_listing, date_of_birth="1990-05-01")
    page = web_client(None, customer).get(_url(gig_listing, london(3, 10)))
    html = page.content.decode()
    assert 'name="date_of_birth"' not in html
    assert 'value="child"' not in html
    again = _post(web_client(None, customer), gig_listing, london(3, 10))
    assert again.status_code == 302, _errors(again)


def test_someone_whose_access_was_ended_cannot_book(web_client, gig_listing, customer, marketplace):
    MembershipFactory(tenant=marketplace, user=customer, role="parent", is_active=False)
    response = web_client(None, customer).get(_url(gig_listing))
    assert response.status_code == 403
    assert "was ended" in response.content.decode()


def test_a_package_is_chosen_on_the_form(
    web_client, customer, marketplace, freelancer_profile, gig_factory, listed
):
    gig = gig_factory(freelancer_profile)
    with in_tenant_of(freelancer_profile):
        GigPackage.objects.create(gig=gig, sessions=3, price_minor=8500)
    listing = listed(gig)
    client = web_client(None, customer)
    page = client.get(_url(listing)).content.decode()
    assert "3 weekly sessions, GBP 85.00 (GBP 28.33 a session)" in page

    response = _post(client, listing, date_of_birth="1990-05-01", package="3")

    assert response.status_code == 302, _errors(response)
    with tenant_context(marketplace):
        assert GigBooking.objects.filter(package__sessions=3).count() == 3
        assert set(Session.objects.values_list("price_minor", flat=True)) == {2833}


def test_an_unknown_package_is_a_field_error(web_client, gig_listing, customer):
    client = web_client(None, customer)
    response = _post(client, gig_listing, date_of_birth="1990-05-01", package="7")
    assert response.status_code == 400
    assert "Select a valid choice" in _errors(response)


def test_the_page_is_not_found_once_the_gig_leaves_the_index(web_client, gig_listing, customer):
    gig_listing.delete()
    assert web_client(None, customer).get(_url(gig_listing)).status_code == 404
