"""In a real browser: sign up an agency, confirm the email, sign in on its own address."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from django.db import connection

from tenants.models import Tenant

pytestmark = pytest.mark.browser

SLUG = "brightminds"
EMAIL = "maya@brightminds.test"
PASSWORD = "Violet-Harbour-58"
SCREENSHOT = "/tmp/signup-dashboard.png"  # noqa: S108


@pytest.fixture
def site(live_server, public_tenant, settings) -> Iterator[str]:
    """The live server's root URL, with generated links and emails pointing at it.

    The agency the browser signs up is committed, so its schema is dropped afterwards.
    """
    settings.SITE_PORT = str(urlsplit(live_server.url).port)
    settings.EMAIL_BACKEND = "notifications.outbox.OutboxEmailBackend"
    try:
        yield live_server.url
    finally:
        connection.set_schema_to_public()
        for tenant in Tenant.objects.filter(slug=SLUG):
            tenant.delete(force_drop=True)


def test_an_agency_owner_signs_up_confirms_their_email_and_reaches_the_dashboard(site, page):
    from playwright.sync_api import expect

    port = urlsplit(site).port

    page.goto(f"{site}/signup/agency/")
    page.get_by_label("Agency name").fill("Bright Minds")
    page.get_by_label("Web address").fill(SLUG)
    page.get_by_label("Time zone").select_option("Europe/London")
    page.get_by_label("Your first name").fill("Maya")
    page.get_by_label("Your last name").fill("Patel")
    page.get_by_label("Your email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create agency").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Bright Minds is ready")
    expect(page.get_by_role("status")).to_contain_text(EMAIL)

    page.goto(f"{site}/dev/outbox/")
    page.get_by_role("link", name="Confirm your email address").click()
    expect(page.get_by_text(f"To: {EMAIL}")).to_be_visible()
    confirm = page.get_by_role("link", name="Confirm my email address")
    assert confirm.get_attribute("href").startswith(f"http://localhost:{port}/accounts/verify/")
    confirm.click()

    expect(page).to_have_url(f"{site}/accounts/login/")
    expect(page.locator(".message-success")).to_contain_text(f"{EMAIL} is confirmed")

    agency = f"http://{SLUG}.localhost:{port}"
    page.goto(f"{agency}/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in to Bright Minds")
    page.get_by_label("Email").fill(EMAIL)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(agency)}/dashboard/$"))
    expect(page.get_by_test_id("agency-dashboard")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Agency dashboard")
    page.screenshot(path=SCREENSHOT, full_page=True)
