"""In a real browser: a tutor walks every step of the profile wizard and reaches 100 %."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm.models import TutorProfile
from tenants.models import Tenant
from tests.crm.credentials.conftest import PDF

pytestmark = pytest.mark.browser

SCREENSHOT = "/tmp/tutor-wizard-complete.png"  # noqa: S108


@pytest.fixture
def site(live_server, settings, tmp_path) -> str:
    settings.SITE_PORT = str(urlsplit(live_server.url).port)
    settings.PROTECTED_MEDIA_ROOT = str(tmp_path / "protected")
    return live_server.url


@pytest.fixture
def tutor_account(site, tenant_factory, member, password) -> tuple[Tenant, str, str, str]:
    """A committed agency (dropped afterwards) with a tutor who has not started a profile."""
    agency = tenant_factory("wizardly", "Wizardly Tutors")
    tutor = member(agency, Membership.Role.TUTOR, first_name="Tia", last_name="Tutor")
    port = urlsplit(site).port
    return agency, f"http://{agency.slug}.localhost:{port}", tutor.user.email, password


def test_a_tutor_completes_every_wizard_step_and_sees_100_percent(tutor_account, page, tmp_path):
    from playwright.sync_api import expect

    tenant, agency, email, password = tutor_account
    certificate = tmp_path / "teaching-certificate.pdf"
    certificate.write_bytes(PDF)
    percent = page.get_by_test_id("completion-percent")

    page.goto(f"{agency}/accounts/login/")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_test_id("tutor-dashboard")).to_be_visible()
    page.get_by_role("button", name="Complete your tutor profile").click()

    # Basics
    expect(page).to_have_url(f"{agency}/crm/profile/basics/")
    expect(percent).to_have_text("0 %")
    page.get_by_label("Headline").fill("Patient maths and physics tutor")
    page.get_by_label("Years of experience").fill("7")
    page.get_by_label("Languages").fill("en, pt-BR")
    page.get_by_label("Who sees your basics").select_option("public")
    page.get_by_role("button", name="Save and continue").click()

    # Subjects with proficiency
    expect(page).to_have_url(f"{agency}/crm/profile/subjects/")
    expect(percent).to_have_text("20 %")
    page.get_by_label(re.compile(r"^Subject\b")).select_option(label="Mathematics")
    page.get_by_label("Level").select_option("secondary")
    page.get_by_label("Difficulty").select_option("advanced")
    page.get_by_label("Proficiency").select_option("5")
    page.get_by_role("button", name="Add subject").click()
    expect(page.get_by_role("cell", name="Mathematics")).to_be_visible()
    expect(percent).to_have_text("40 %")
    page.get_by_label("Who sees your subjects").select_option("public")  # saved by htmx
    page.get_by_role("button", name="Next").click()

    # Rate per subject
    expect(page).to_have_url(f"{agency}/crm/profile/rates/")
    page.get_by_label(re.compile(r"^Mathematics, Secondary")).fill("45.50")
    page.get_by_role("button", name="Save and continue").click()

    # Availability summary
    expect(page).to_have_url(f"{agency}/crm/profile/availability/")
    expect(percent).to_have_text("55 %")
    page.get_by_label("When you can teach").fill("Weekday evenings after 6 pm; Saturday mornings")
    page.get_by_role("button", name="Save and continue").click()

    # Credentials: a real PDF, sent with the upload progress bar
    expect(page).to_have_url(f"{agency}/crm/profile/credentials/")
    expect(percent).to_have_text("70 %")
    page.get_by_label("Kind").select_option("certificate")
    page.get_by_label("Title").fill("PGCE Secondary Mathematics")
    page.get_by_label("Issuer").fill("University of Leeds")
    page.get_by_label("Issued on").fill("2018-07-01")
    page.get_by_label(re.compile(r"^File\b")).set_input_files(str(certificate))
    with page.expect_request(lambda r: r.method == "POST" and r.resource_type == "xhr"):
        page.get_by_role("button", name="Upload credential").click()  # by XHR, for progress
    expect(page.get_by_role("cell", name="teaching-certificate.pdf")).to_be_visible()
    expect(page.get_by_role("cell", name="Pending review")).to_be_visible()
    expect(percent).to_have_text("80 %")
    page.get_by_role("button", name="Next").click()

    # Bio and introduction video
    expect(page).to_have_url(f"{agency}/crm/profile/bio/")
    page.get_by_role("textbox", name="Bio", exact=True).fill(
        "I have taught GCSE and A-level maths for seven years."
    )
    page.get_by_label("Introduction video link").fill("https://video.example/tia")
    page.get_by_label("Who sees your bio").select_option("agency")
    page.get_by_role("button", name="Save", exact=True).click()

    expect(page.locator(".message-success")).to_contain_text("Saved")
    expect(percent).to_have_text("100 %")
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Playwright's greenlet gets a database connection of its own: close it when done, or
    # it keeps the test database from being dropped.
    try:
        with tenant_context(tenant):
            profile = TutorProfile.objects.get(user__email=email)
            assert profile.subjects_visibility == "public"  # the htmx-saved selector
            assert profile.subjects.get().hourly_rate_minor == 4550
            assert profile.credentials.get().document.content_type == "application/pdf"
    finally:
        connection.close()
