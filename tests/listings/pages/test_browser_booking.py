"""In a real browser: a visitor in Tokyo finds a London tutor's gig on the marketplace, sees
its free times in their own zone, signs in, books for their child and lands on the class
on the agency's site."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from crm.models import ParentalConsent, Subject
from listings.indexing import tutor_refresh
from listings.models import Listing
from marketplace.models import Gig
from scheduling.models import AvailabilityRule, Session
from tests.factories import UserFactory
from tests.platform.conftest import browser  # noqa: F401 (fixture)
from tests.scheduling.conftest import dob_for

pytestmark = pytest.mark.browser

TOKYO = zoneinfo.ZoneInfo("Asia/Tokyo")


@pytest.fixture
def market(live_server, settings, tenant_factory, member, password):
    """A committed agency on the marketplace (dropped afterwards): tutor Tia in London with
    a maths gig, free 09:00-12:00 her time every day; and Pam, a parent in Tokyo with a
    root account only."""
    settings.SITE_PORT = str(urlsplit(live_server.url).port)
    tenant = tenant_factory("gigbook", "Gigbook Tutors")
    tenant.marketplace_listed = True
    tenant.save(update_fields=["marketplace_listed"])
    tutor = member(tenant, Membership.Role.TUTOR, first_name="Tia", last_name="Tutor")
    try:
        with tenant_context(tenant):
            profile = crm.tutor_profile_ensure(actor=tutor)
            maths = Subject.objects.get(slug="mathematics")
            crm.tutor_subject_add(
                profile=profile,
                actor=tutor,
                subject_id=maths.pk,
                level="secondary",
                proficiency=5,
                hourly_rate_minor=4000,
                currency="GBP",
            )
            for weekday in range(7):
                AvailabilityRule.objects.create(
                    tutor=profile, weekday=weekday, start_time=dt.time(9), end_time=dt.time(12)
                )
            gig = Gig.objects.create(
                tutor=profile,
                title="Fractions for ten-year-olds",
                subject=maths,
                level="primary",
                languages=["en"],
                price_minor=2500,
                currency="GBP",
                duration_minutes=60,
                status=Gig.Status.PUBLISHED,
                published_at=timezone.now(),
            )
    finally:
        connection.set_schema_to_public()
    tutor_refresh(tenant=tenant, profile_id=profile.pk)
    parent = UserFactory(
        email="pam@example.test", first_name="Pam", last_name="Parent", time_zone="Asia/Tokyo"
    )
    return {
        "tenant": tenant,
        "listing": Listing.objects.get(tenant=tenant, gig_id=gig.pk),
        "root": live_server.url,
        "tenant_url": f"http://{tenant.slug}.localhost:{urlsplit(live_server.url).port}",
        "email": parent.email,
        "password": password,
    }


def test_a_visitor_sees_times_in_their_zone_signs_in_and_books_for_their_child(
    market,
    browser,  # noqa: F811
):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Asia/Tokyo")
    page = context.new_page()
    page.set_default_timeout(15_000)

    # Not signed in: the page asks the browser for its zone and shows Tokyo times.
    page.goto(f"{market['root']}/marketplace/gigs/{market['listing'].pk}/")
    expect(page.get_by_role("heading", name="Fractions for ten-year-olds")).to_be_visible()
    expect(page.get_by_test_id("slots-zone")).to_have_text("Asia/Tokyo")
    today = timezone.now().astimezone(TOKYO).date()

    # The next week comes in place.
    page.get_by_test_id("next-week").click()
    week_on = today + dt.timedelta(days=7)
    first_day = page.get_by_test_id("slot-day").first
    expect(first_day).to_have_attribute("data-date", week_on.isoformat())
    slot = first_day.get_by_test_id("slot").first
    starts_at = dt.datetime.fromisoformat(slot.get_attribute("data-starts-at"))
    assert starts_at.utcoffset() == dt.timedelta(hours=9)
    # 09:00 in London is 17:00 or 18:00 in Tokyo.
    assert starts_at.hour in (17, 18)
    expect(slot).to_have_text(f"{starts_at:%H:%M}")
    slot.click()

    # Signing in leads back to the chosen time.
    page.get_by_label("Email").fill(market["email"])
    page.get_by_label("Password").fill(market["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("booking-when")).to_contain_text(f"{starts_at:%H:%M}")
    expect(page.get_by_test_id("booking-when")).to_contain_text("Asia/Tokyo")

    # The child's fields appear once "for my child" is chosen.
    child_fields = page.get_by_test_id("child-fields")
    expect(child_fields).to_be_hidden()
    page.get_by_label("For my child").check()
    expect(child_fields).to_be_visible()
    page.get_by_label("Child's first name").fill("Kit")
    page.get_by_label("Child's last name").fill("Parent")
    page.get_by_label("Child's date of birth").fill(dob_for(10).isoformat())
    page.get_by_role("button", name="Send booking request").click()

    # Under 13 without the box ticked: the form says why and keeps what was typed.
    expect(page.get_by_test_id("consent")).to_contain_text("A child under 13 needs your consent")
    expect(page.get_by_test_id("consent-statement")).to_contain_text("Kit Parent")
    page.get_by_label("I agree").check()
    page.get_by_role("button", name="Send booking request").click()

    # Off to the agency's site, signed in, on the new class.
    expect(page.get_by_test_id("session-status")).to_have_text("Requested")
    assert page.url.startswith(f"{market['tenant_url']}/scheduling/sessions/")
    expect(page.get_by_test_id("session-when")).to_contain_text(f"{starts_at:%H:%M}")

    try:
        with tenant_context(market["tenant"]):
            session = Session.objects.select_related("student").get()
            assert session.starts_at == starts_at
            assert session.price_minor == 2500
            assert session.student.first_name == "Kit"
            assert ParentalConsent.objects.get().parent.email == market["email"]
    finally:
        connection.close()
