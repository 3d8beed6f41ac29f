"""The root domain's API for a listing (with its free times) and a tutor (with reviews)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_tenants.utils import tenant_context

from listings.models import TutorListing
from marketplace.models import Gig, GigPackage
from tests.factories import UserFactory
from tests.listings.pages.conftest import london
from tests.scheduling.conftest import in_tenant_of

pytestmark = pytest.mark.django_db

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


def _listing(client, listing, **query):
    return client.get(f"/api/v1/marketplace/listings/{listing.pk}/", query)


def test_anyone_reads_a_listing_with_its_packages_and_free_times(
    api_client, freelancer_profile, gig_factory, listed, marketplace
):
    gig = gig_factory(freelancer_profile)
    with in_tenant_of(freelancer_profile):
        GigPackage.objects.create(gig=gig, sessions=4, price_minor=10002)
    listing = listed(gig)

    response = _listing(api_client(None), listing, tz="Asia/Tokyo")

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["id"] == listing.pk
    assert body["title"] == "GCSE maths, step by step"
    assert (body["price_minor"], body["currency"], body["duration_minutes"]) == (3000, "GBP", 60)
    assert body["packages"] == [{"sessions": 4, "price_minor": 10002, "per_session_minor": 2501}]
    assert body["tutor"]["name"] == "Fay Freeman"
    assert body["agency"] == marketplace.name
    assert body["bookable"] is True
    assert body["time_zone"] == "Asia/Tokyo"
    today = timezone.now().astimezone(TOKYO).date()
    assert body["slots_from"] == today.isoformat()
    assert body["slots_to"] == (today + dt.timedelta(days=13)).isoformat()
    assert london(2, 10).astimezone(TOKYO).isoformat() in [s["starts_at"] for s in body["slots"]]
    assert all(s["starts_at"].endswith("+09:00") for s in body["slots"])


def test_the_range_and_zone_are_the_callers(api_client, gig_listing):
    viewer = UserFactory(time_zone="America/New_York")
    day = london(3, 0).date()

    body = _listing(
        api_client(None, viewer), gig_listing, **{"from": day.isoformat(), "to": day.isoformat()}
    ).json()

    assert body["time_zone"] == "America/New_York"
    assert {s["starts_at"][:10] for s in body["slots"]} == {day.isoformat()}
    assert all(s["starts_at"].endswith(("-05:00", "-04:00")) for s in body["slots"])


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"tz": "Mars/Olympus"}, "tz"),
        ({"from": "tomorrow"}, "from"),
        ({"from": "2031-01-10", "to": "2031-01-01"}, "to"),
        ({"from": "2031-01-01", "to": "2031-06-01"}, "to"),
        ({"to": "9999-12-31"}, "to"),
    ],
)
def test_bad_parameters_are_field_errors(api_client, gig_listing, query, field):
    response = _listing(api_client(None), gig_listing, **query)
    assert response.status_code == 400
    assert field in response.json()["error"]["fields"]


def test_dates_at_the_end_of_the_calendar_are_answered_not_a_crash(api_client, gig_listing):
    response = _listing(api_client(None), gig_listing, **{"from": "9999-12-31"})
    assert response.status_code == 200
    assert response.json()["slots"] == []


def test_a_listing_gone_from_the_marketplace_is_not_found(api_client, gig_listing):
    assert api_client(None).get("/api/v1/marketplace/listings/999999/").status_code == 404
    gig_listing.delete()
    assert _listing(api_client(None), gig_listing).status_code == 404


def test_a_paused_gig_says_it_is_not_bookable(api_client, marketplace, gig_listing):
    with tenant_context(marketplace):
        Gig.objects.filter(pk=gig_listing.gig_id).update(status=Gig.Status.PAUSED)
    body = _listing(api_client(None), gig_listing).json()
    assert body["bookable"] is False
    assert body["slots"] == []


def test_the_listing_is_served_on_the_root_domain_only(api_client, marketplace, gig_listing):
    response = api_client(marketplace).get(f"/api/v1/marketplace/listings/{gig_listing.pk}/")
    assert response.status_code == 404


def test_anyone_reads_a_tutor_with_ratings_and_a_page_of_visible_reviews(
    api_client, gig_listing, listed_review
):
    tutor = gig_listing.tutor
    TutorListing.objects.filter(pk=tutor.pk).update(
        rating_average="4.50", rating_count=2, rating_distribution={"5": 1, "4": 1}
    )
    for number in range(30):
        listed_review(tutor, text=f"Review {number}")
    listed_review(tutor, text="Hidden", hidden_at=timezone.now(), hidden_reason="Spam")

    response = api_client(None).get(
        f"/api/v1/marketplace/tutors/{tutor.pk}/", {"page_size": 10, "page": 2, "tz": "Asia/Tokyo"}
    )

    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["name"] == "Fay Freeman"
    assert body["rating"] == {
        "average": 4.5,
        "count": 2,
        "distribution": {"1": 0, "2": 0, "3": 0, "4": 1, "5": 1},
    }
    assert body["reviews"]["count"] == 30
    assert len(body["reviews"]["results"]) == 10
    assert "page=3" in body["reviews"]["next"]
    assert "Hidden" not in [r["text"] for r in body["reviews"]["results"]]
    assert [g["id"] for g in body["gigs"]] == [gig_listing.pk]
    assert body["free_windows"]
    assert all(w["starts_at"].endswith("+09:00") for w in body["free_windows"])
    assert body["reviews"]["results"][0]["created_at"].endswith("+09:00")


def test_reading_a_tutor_costs_the_same_queries_whatever_the_page_size(
    api_client, gig_listing, listed_review
):
    tutor = gig_listing.tutor
    for _ in range(40):
        listed_review(tutor, reply="Thanks")
    client = api_client(None)
    url = f"/api/v1/marketplace/tutors/{tutor.pk}/"
    client.get(url)  # warm-up: sessions, caches
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"page_size": 2})
    with CaptureQueriesContext(connection) as large:
        response = client.get(url, {"page_size": 40})
    assert len(response.json()["reviews"]["results"]) == 40
    assert len(large) == len(small) <= 12


def test_an_unknown_tutor_is_not_found(api_client):
    assert api_client(None).get("/api/v1/marketplace/tutors/999999/").status_code == 404
