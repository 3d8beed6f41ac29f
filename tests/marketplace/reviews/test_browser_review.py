"""In a real browser: a student reviews a finished class from its page, the tutor replies
in the page's review panel (htmx), a refused reply is shown in place."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from crm.models import Subject
from marketplace.models import Review
from scheduling.models import Session
from tests.platform.conftest import browser  # noqa: F401 (fixture)
from tests.scheduling.conftest import dob_for

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/review-panel.png"  # noqa: S108
FORM_SCREENSHOT = "/tmp/review-form.png"  # noqa: S108


@pytest.fixture
def agency(live_server, settings, tenant_factory, member, password):
    """A committed agency (dropped afterwards) with a class Tia taught Sam two days ago."""
    settings.SITE_PORT = str(urlsplit(live_server.url).port)
    tenant = tenant_factory("revu", "Revu Tutors")
    tutor = member(tenant, Membership.Role.TUTOR, first_name="Tia", last_name="Tutor")
    student = member(tenant, Membership.Role.STUDENT, first_name="Sam", last_name="Student")
    owner = Membership.objects.get(tenant=tenant, role=Membership.Role.OWNER)
    try:
        with tenant_context(tenant):
            profile = crm.tutor_profile_ensure(actor=tutor)
            learner = crm.student_create(
                actor=owner,
                first_name="Sam",
                last_name="Student",
                email=student.user.email,
                date_of_birth=dob_for(30),
            )
            start = (timezone.now() - dt.timedelta(days=2)).replace(minute=0, second=0)
            session = Session.objects.create(
                tutor=profile,
                student=learner,
                subject=Subject.objects.get(slug="mathematics"),
                starts_at=start,
                ends_at=start + dt.timedelta(hours=1),
                status=Session.Status.COMPLETED,
                price_minor=0,
                currency="GBP",
                requested_by=student.user,
            )
    finally:
        connection.set_schema_to_public()
    return {
        "tenant": tenant,
        "url": f"http://{tenant.slug}.localhost:{urlsplit(live_server.url).port}",
        "session": session.pk,
        "tutor": tutor.user.email,
        "student": student.user.email,
        "password": password,
    }


def _signed_in(chromium, agency: dict, email: str):
    from playwright.sync_api import expect

    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{agency['url']}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(agency["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("navigation", name="Main")).to_contain_text("Calendar")
    return page


def test_a_student_reviews_a_class_and_the_tutor_replies_in_the_panel(agency, browser):  # noqa: F811
    from playwright.sync_api import expect

    session_page = f"{agency['url']}/scheduling/sessions/{agency['session']}/"

    student = _signed_in(browser, agency, agency["student"])
    student.goto(session_page)
    panel = student.get_by_test_id("review-panel")
    panel.get_by_role("button", name="Leave a review").click()
    student.get_by_label("4 stars").check()
    student.get_by_label("Your review").fill("Short")
    student.get_by_role("button", name="Publish the review").click()
    expect(student.locator(".field-error")).to_contain_text("at least 10 characters")
    student.screenshot(path=FORM_SCREENSHOT, full_page=True)
    student.get_by_label("Your review").fill("Patient and clear, the fractions finally make sense.")
    student.get_by_role("button", name="Publish the review").click()
    expect(student.locator(".message-success")).to_contain_text("your review is published")
    expect(student.get_by_test_id("review-panel")).to_contain_text("fractions finally make sense")
    expect(student.get_by_role("img", name="4 out of 5 stars")).to_be_visible()

    tutor = _signed_in(browser, agency, agency["tutor"])
    tutor.goto(session_page)
    panel = tutor.get_by_test_id("review-panel")
    # An empty reply is refused in place, without leaving the page.
    panel.get_by_role("button", name="Publish the reply").click()
    expect(panel.locator(".field-error")).to_contain_text("This field is required.")
    panel.get_by_label("Your reply").fill("Thank you, Sam! Decimals next.")
    panel.get_by_role("button", name="Publish the reply").click()
    expect(tutor.get_by_test_id("review-reply")).to_contain_text("Decimals next.")
    expect(tutor.get_by_test_id("reply-form")).to_have_count(0)
    assert tutor.url == session_page
    tutor.screenshot(path=SCREENSHOT, full_page=True)

    try:
        with tenant_context(agency["tenant"]):
            review = Review.objects.get()
            assert (review.rating, review.reply) == (4, "Thank you, Sam! Decimals next.")
    finally:
        connection.close()
