"""In a real browser: a student in New York books a London tutor's slot, the tutor accepts.

The student sees free times in their own zone (New York), not the tutor's; the tutor
answers in their inbox; the student's calendar then shows the session confirmed.
"""

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
from crm.models import Subject
from scheduling.models import AvailabilityRule, Session
from tests.scheduling.conftest import dob_for

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/booking-confirmed.png"  # noqa: S108
LONDON = zoneinfo.ZoneInfo("Europe/London")
NEW_YORK = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def site(live_server, settings) -> str:
    settings.SITE_PORT = str(urlsplit(live_server.url).port)
    return live_server.url


@pytest.fixture
def agency(site, tenant_factory, member, password):
    """A committed agency (dropped afterwards): tutor Tia in London who teaches maths every
    morning 09:00-12:00 her time, and student Sam who lives in New York."""
    tenant = tenant_factory("bookly", "Bookly Tutors")
    tutor = member(tenant, Membership.Role.TUTOR, first_name="Tia", last_name="Tutor")
    student = member(
        tenant,
        Membership.Role.STUDENT,
        first_name="Sam",
        last_name="Student",
        time_zone="America/New_York",
    )
    owner = Membership.objects.get(tenant=tenant, role=Membership.Role.OWNER)
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
            for weekday in range(7):
                AvailabilityRule.objects.create(
                    tutor=profile,
                    weekday=weekday,
                    start_time=dt.time(9),
                    end_time=dt.time(12),
                )
            crm.student_create(
                actor=owner,
                first_name="Sam",
                last_name="Student",
                email=student.user.email,
                date_of_birth=dob_for(30),
            )
    finally:
        connection.set_schema_to_public()
    port = urlsplit(site).port
    return {
        "tenant": tenant,
        "url": f"http://{tenant.slug}.localhost:{port}",
        "tutor": tutor.user.email,
        "student": student.user.email,
        "password": password,
    }


def _signed_in(browser, agency: dict, email: str):
    """A new browser context (its own cookies) signed in as ``email``."""
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{agency['url']}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(agency["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Calendar")
    return page


def test_a_student_books_a_slot_in_their_own_zone_and_the_tutor_accepts(agency, browser):
    from playwright.sync_api import expect

    # The first free time a week from today (New York's today): 09:00 in London.
    day = timezone.now().astimezone(NEW_YORK).date() + dt.timedelta(days=7)
    london = dt.datetime.combine(day, dt.time(9), tzinfo=LONDON)
    shown = london.astimezone(NEW_YORK).strftime("%H:%M")  # 04:00 (03:00 or 05:00 some weeks)
    assert shown != "09:00"

    # The student finds the tutor and a free time, shown in New York time.
    student = _signed_in(browser, agency, agency["student"])
    student.get_by_role("navigation", name="Main").get_by_role("link", name="Book a class").click()
    student.get_by_role("button", name="See free times of Tia Tutor").click()
    expect(student.get_by_test_id("booking-time-zone")).to_have_text("America/New_York")
    student.get_by_role("link", name="Next 7 days").click()
    first_day = student.locator("section").filter(
        has=student.get_by_role("heading", name=f"{day:%A} {day.day} {day:%B}")
    )
    slot = first_day.get_by_test_id("slot").first
    expect(slot).to_have_text(shown)
    slot.click()

    # One click asks for confirmation with the price and the policy, then books.
    confirm = student.get_by_test_id("booking-confirm")
    expect(confirm.get_by_test_id("booking-when")).to_contain_text(f"{shown}")
    expect(confirm.get_by_test_id("booking-when")).to_contain_text("America/New_York")
    expect(confirm.get_by_test_id("booking-price")).to_have_text("GBP 40.00")
    expect(confirm.get_by_test_id("booking-policy")).to_contain_text("Free cancellation")
    confirm.get_by_role("button", name="Send request").click()
    expect(student.get_by_test_id("booking-status")).to_have_text("requested")

    # The tutor, in a browser of their own, accepts it from the inbox.
    tutor = _signed_in(browser, agency, agency["tutor"])
    tutor.get_by_role("navigation", name="Main").get_by_role("link", name="Requests").click()
    row = tutor.get_by_test_id("request-row")
    expect(row).to_contain_text("Sam Student")
    expect(row).to_contain_text(f"{london:%H:%M}")  # the tutor's own (London) time
    row.get_by_role("button", name="Accept").click()
    expect(tutor.get_by_test_id("requests-empty")).to_be_visible()
    expect(tutor.locator(".message-success")).to_contain_text("Accepted")

    # The student's calendar shows it confirmed, at the New York time.
    student.get_by_role("navigation", name="Main").get_by_role("link", name="Calendar").click()
    expect(student.get_by_test_id("calendar-time-zone")).to_have_text("America/New_York")
    student.locator(".fc-next-button").click()
    event = student.locator('.fc-event[data-status="confirmed"]')
    expect(event).to_have_count(1)
    expect(event).to_contain_text("Mathematics with Tia Tutor")
    expect(event).to_contain_text(shown)
    student.screenshot(path=SCREENSHOT, full_page=True)

    # Playwright's greenlet gets a database connection of its own: close it when done, or
    # it keeps the test database from being dropped.
    try:
        with tenant_context(agency["tenant"]):
            session = Session.objects.get()
            assert (session.status, session.starts_at) == ("confirmed", london)
    finally:
        connection.close()
