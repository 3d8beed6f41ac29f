"""The marketplace's home and search pages (htmx and plain), and the search API."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse as _reverse

from listings.models import Listing
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def reverse(name: str, args=None) -> str:
    return _reverse(name, args=args, urlconf="config.urls_public")


SEARCH = "/marketplace/search/"
API = "/api/v1/marketplace/listings/"


def _listing(gig) -> Listing:
    """The listing of a marketplace gig."""
    return Listing.objects.get(gig_id=gig.pk, tenant__kind="marketplace")


# Pages -------------------------------------------------------------------------------------


def test_the_home_page_shows_subjects_top_rated_and_soonest(catalogue, web_client):
    response = web_client().get("/marketplace/")
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="home-search"' in page
    assert f"{reverse('listings:search')}?subject=mathematics" in page
    assert "Exam chemistry" in page.split('data-testid="top-rated"')[1].split("</section>")[0]
    assert "GCSE maths" in page.split('data-testid="soonest"')[1]
    assert 'href="/marketplace/">Marketplace</a>' in page  # the root domain's nav


def test_the_search_page_lists_results_with_links(catalogue, web_client):
    response = web_client().get(SEARCH, {"q": "maths"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "<html" in page
    assert 'data-testid="search-form"' in page
    listing = _listing(catalogue.maths)
    assert reverse("listings:gig", args=[listing.pk]) in page
    assert reverse("listings:tutor", args=[listing.tutor_id]) in page
    assert "GBP 30.00" in page
    assert "Physics for beginners" not in page
    assert "HX-Request" in response["Vary"]


def test_a_filter_change_from_htmx_gets_only_the_results(catalogue, web_client):
    response = web_client().get(
        SEARCH, {"subject": "physics", "q": "", "level": ""}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert response["HX-Push-Url"] == f"{SEARCH}?subject=physics"
    page = response.content.decode()
    assert "<html" not in page
    assert 'data-testid="search-form"' not in page
    assert "Physics for beginners" in page
    assert "GCSE maths" not in page
    assert "1 gig" in page


def test_a_signed_in_visitor_searches_too(catalogue, web_client):
    user = UserFactory(time_zone="Asia/Tokyo")
    response = web_client(None, user).get(SEARCH, {"sort": "price_asc"})
    assert response.status_code == 200
    page = response.content.decode()
    assert page.index("Physics for beginners") < page.index("Calculus for university")
    assert "your time zone (Asia/Tokyo)" in page


def test_bad_filters_are_a_400_with_the_field_named(catalogue, web_client):
    client = web_client()
    response = client.get(SEARCH, {"price_min": "20"})
    assert response.status_code == 400
    assert "Choose the currency of the price range." in response.content.decode()
    assert 'data-testid="search-form"' in response.content.decode()

    partial = client.get(SEARCH, {"language": "xx"}, HTTP_HX_REQUEST="true")
    assert partial.status_code == 400
    body = partial.content.decode()
    assert 'data-testid="search-errors"' in body
    assert "Language:" in body


def test_pages_keep_the_filters(catalogue, web_client):
    client = web_client()
    first = client.get(SEARCH, {"currency": "GBP", "page_size": "2"}).content.decode()
    assert "page=2" in first
    assert "currency=GBP&amp;page_size=2&amp;page=2" in first
    second = client.get(SEARCH, {"currency": "GBP", "page_size": "2", "page": "2"})
    body = second.content.decode()
    assert "Calculus for university" in body
    assert "page_size=2&amp;page=1" in body


def test_an_empty_search_says_so(catalogue, web_client):
    response = web_client().get(SEARCH, {"q": "underwater basket weaving"})
    assert response.status_code == 200
    assert "No gigs match." in response.content.decode()


# API ---------------------------------------------------------------------------------------


def test_anyone_can_search_through_the_api(catalogue, api_client):
    response = api_client().get(API, {"subject": "mathematics", "tz": "Asia/Tokyo"})
    assert response.status_code == 200
    body = response.json()
    assert (body["count"], body["count_exact"], body["page"], body["pages"]) == (2, True, 1, 1)
    assert body["next"] is None
    assert body["previous"] is None
    first = body["results"][0]
    listing = _listing(catalogue.maths)
    assert first["id"] == listing.pk
    assert first["title"] == "GCSE maths, step by step"
    assert (first["price_minor"], first["currency"]) == (3000, "GBP")
    assert first["url"].endswith(reverse("listings:gig", args=[listing.pk]))
    assert first["next_free_at"].endswith("+09:00")
    tutor = first["tutor"]
    assert tutor["id"] == listing.tutor_id
    assert tutor["name"] == "Fay Freeman"
    assert (tutor["rating_average"], tutor["rating_count"], tutor["verified"]) == (4.0, 1, False)
    assert tutor["url"].endswith(reverse("listings:tutor", args=[listing.tutor_id]))


def test_api_pages(catalogue, api_client):
    client = api_client()
    body = client.get(API, {"page_size": 3}).json()
    assert (body["count"], body["pages"], len(body["results"])) == (4, 2, 3)
    assert "page=2" in body["next"]
    assert "page_size=3" in body["next"]
    second = client.get(body["next"]).json()
    assert [r["title"] for r in second["results"]] == ["Calculus for university"]
    assert "page=" not in second["previous"]
    assert second["next"] is None


def test_api_sort_and_filters(catalogue, api_client):
    client = api_client()
    body = client.get(API, {"sort": "price_desc", "currency": "GBP", "price_max": "50"}).json()
    assert [r["title"] for r in body["results"]] == ["Exam chemistry", "GCSE maths, step by step"]
    body = client.get(API, {"verified_only": "true"}).json()
    assert [r["tutor"]["name"] for r in body["results"]] == ["Nina Novak"]


def test_api_bad_input_is_a_400_with_fields(catalogue, api_client):
    response = api_client().get(
        API,
        {"price_min": "10", "sort": "cheap", "available_to": "soon", "page_size": "0"},
    )
    assert response.status_code == 400
    fields = response.json()["error"]["fields"]
    assert {"currency", "sort", "available_to", "page_size"} <= set(fields)


def test_api_answers_in_the_signed_in_user_zone(catalogue, api_client):
    user = UserFactory(time_zone="America/New_York")
    body = api_client(None, user).get(API, {"subject": "physics"}).json()
    assert body["results"][0]["next_free_at"][-6:] in {"-05:00", "-04:00"}


def test_an_api_search_costs_two_queries(catalogue, api_client):
    client = api_client()
    with CaptureQueriesContext(connection) as context:
        assert client.get(API, {"q": "maths or physics", "page_size": 1}).status_code == 200
    # Besides the host's lookup (the middleware) and django-tenants' SET search_path.
    statements = [
        q["sql"]
        for q in context.captured_queries
        if not q["sql"].startswith("SET ") and "tenants_domain" not in q["sql"]
    ]
    assert len(statements) == 2


def test_the_search_is_not_on_tenant_hosts(catalogue, api_client, acme):
    assert api_client(acme).get(API).status_code == 404
