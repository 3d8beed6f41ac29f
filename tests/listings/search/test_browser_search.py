"""In a real browser: changing a filter swaps the results in place and pushes the URL."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django.utils import timezone

from listings.models import Listing, TutorListing
from tests.factories import UserFactory
from tests.platform.conftest import browser, page

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/marketplace-search.png"  # noqa: S108

__all__ = ["browser", "page"]


@pytest.fixture
def site(live_server, settings, public_tenant) -> str:
    """The root domain of a live server, with three listings written straight to the index
    (the search reads nothing else)."""
    settings.SITE_PORT = str(urlsplit(live_server.url).port)
    now = timezone.now()
    gigs = [
        ("Ada", "GCSE maths, step by step", "mathematics", "Mathematics", 3000),
        ("Ben", "Calculus for university", "mathematics", "Mathematics", 5500),
        ("Cleo", "Physics for beginners", "physics", "Physics", 2500),
    ]
    for n, (name, title, slug, subject, price) in enumerate(gigs, start=1):
        user = UserFactory(first_name=name, last_name="Tutor")
        tutor = TutorListing.objects.create(
            tenant=public_tenant,
            profile_id=n,
            user=user,
            display_name=f"{name} Tutor",
            indexed_at=now,
        )
        Listing.objects.create(
            tutor=tutor,
            tenant=public_tenant,
            gig_id=n,
            title=title,
            subject_slug=slug,
            subject_name=subject,
            level="secondary",
            languages=["en"],
            price_minor=price,
            currency="GBP",
            duration_minutes=60,
            tutor_name=f"{name} Tutor",
            quality=4.0 - n / 10,
            published_at=now,
            indexed_at=now,
        )
    return f"http://localhost:{urlsplit(live_server.url).port}"


def test_a_subject_chip_on_the_home_page_opens_its_search(site, page):
    from playwright.sync_api import expect

    page.goto(f"{site}/marketplace/")
    page.screenshot(path="/tmp/marketplace-home.png", full_page=True)  # noqa: S108
    page.get_by_test_id("subject-chips").get_by_role("link", name="Physics").click()
    expect(page.get_by_label("Subject")).to_have_value("physics")
    expect(page.get_by_test_id("search-results").locator("article")).to_have_count(1)


def test_a_filter_updates_the_results_without_a_reload(site, page):
    from playwright.sync_api import expect

    page.goto(f"{site}/marketplace/search/")
    results = page.get_by_test_id("search-results")
    expect(results.locator("article")).to_have_count(3)
    page.screenshot(path=SCREENSHOT, full_page=True)
    page.evaluate("window.notReloaded = true")

    page.get_by_label("Subject").select_option("physics")
    page.wait_for_url(lambda url: "subject=physics" in url)
    expect(results.locator("article")).to_have_count(1)
    expect(results).to_contain_text("Physics for beginners")
    assert page.evaluate("window.notReloaded") is True

    page.get_by_label("Subject").select_option("")
    page.wait_for_url(lambda url: "subject=" not in url)
    expect(results.locator("article")).to_have_count(3)
    page.get_by_role("searchbox", name="Search").fill("calculus")
    page.wait_for_url(lambda url: "q=calculus" in url)
    expect(results.locator("article")).to_have_count(1)
    expect(results).to_contain_text("Calculus for university")
    assert page.evaluate("window.notReloaded") is True

    page.go_back()  # the pushed URLs make the back button step through the searches
    page.wait_for_url(lambda url: "q=calculus" not in url)
