"""In a real browser: a tutor posts a gig, watches its preview follow the typing, and
publishes it from the list once they have weekly hours."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from crm.models import Subject
from marketplace.models import Gig
from scheduling.models import AvailabilityRule
from tests.platform.conftest import browser  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/gig-published.png"  # noqa: S108


@pytest.fixture
def agency(live_server, settings, tenant_factory, member, password):
    """A committed agency on the marketplace (dropped afterwards) with tutor Gil, who
    teaches mathematics (secondary) and has no weekly hours yet."""
    settings.SITE_PORT = str(urlsplit(live_server.url).port)
    tenant = tenant_factory("giggly", "Giggly Tutors")
    tenant.marketplace_listed = True
    tenant.save(update_fields=["marketplace_listed"])
    tutor = member(tenant, Membership.Role.TUTOR, first_name="Gil", last_name="Guide")
    try:
        with tenant_context(tenant):
            profile = crm.tutor_profile_ensure(actor=tutor)
            crm.tutor_subject_add(
                profile=profile,
                actor=tutor,
                subject_id=Subject.objects.get(slug="mathematics").pk,
                level="secondary",
                proficiency=5,
                hourly_rate_minor=4000,
                currency="GBP",
            )
    finally:
        connection.set_schema_to_public()
    return {
        "tenant": tenant,
        "profile": profile,
        "url": f"http://{tenant.slug}.localhost:{urlsplit(live_server.url).port}",
        "email": tutor.user.email,
        "password": password,
    }


def test_a_tutor_posts_previews_and_publishes_a_gig(agency, browser):  # noqa: F811
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    page.goto(f"{agency['url']}/accounts/login/")
    page.get_by_label("Email").fill(agency["email"])
    page.get_by_label("Password").fill(agency["password"])
    page.get_by_role("button", name="Sign in").click()
    # The navigation groups a tutor's pages in menus that a click outside or Escape closes.
    nav = page.get_by_role("navigation", name="Main")
    nav.get_by_text("Money").click()
    expect(nav.get_by_role("link", name="Wallet")).to_be_visible()
    page.mouse.click(600, 600)  # anywhere outside the menu
    expect(nav.get_by_role("link", name="Wallet")).to_be_hidden()
    nav.get_by_text("Teaching").click()
    expect(nav.get_by_role("link", name="Availability")).to_be_visible()
    page.keyboard.press("Escape")
    expect(nav.get_by_role("link", name="Availability")).to_be_hidden()
    nav.get_by_text("Teaching").click()
    nav.get_by_role("link", name="Gigs").click()
    page.get_by_role("button", name="Post a gig").click()

    preview = page.get_by_test_id("gig-preview")
    page.get_by_label("Title").fill("Quadratics without tears")
    expect(preview).to_contain_text("Quadratics without tears")
    page.get_by_label("Languages").fill("en, es")
    expect(preview).to_contain_text("Taught in English, Spanish")
    page.get_by_label("Price per session").fill("35")
    page.get_by_label("Package 1: sessions").fill("4")
    page.get_by_label("Package 1: total price").fill("120")
    expect(preview).to_contain_text("4 weekly sessions for GBP 120.00")
    expect(preview).to_contain_text("save GBP 20.00")
    page.get_by_label("Description").fill("Factorising, completing the square, the formula.")
    page.get_by_role("button", name="Save as draft").click()
    expect(page.get_by_test_id("gig-status")).to_have_text("Draft")

    page.get_by_role("link", name="Your gigs").click()
    row = page.get_by_test_id("gigs").locator("tbody tr").first
    row.get_by_role("button", name="Publish").click()
    expect(row.get_by_test_id("gig-error")).to_have_text("Add your weekly availability first.")

    try:
        with tenant_context(agency["tenant"]):
            AvailabilityRule.objects.create(
                tutor=agency["profile"], weekday=2, start_time=dt.time(16), end_time=dt.time(19)
            )
    finally:
        connection.set_schema_to_public()
    row.get_by_role("button", name="Publish").click()
    expect(row).to_contain_text("Published")
    page.screenshot(path=SCREENSHOT, full_page=True)
    expect(row.get_by_role("button", name="Pause")).to_be_visible()

    # Playwright's greenlet has a database connection of its own: close it when done, or
    # it keeps the test database from being dropped.
    try:
        with tenant_context(agency["tenant"]):
            gig = Gig.objects.get()
            assert (gig.status, gig.price_minor) == ("published", 3500)
            assert [(p.sessions, p.price_minor) for p in gig.packages.all()] == [(4, 12000)]
    finally:
        connection.close()
