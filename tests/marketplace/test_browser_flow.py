"""The product's core flow in a real browser, on the demo's data.

Fran, the demo's freelancer, posts a gig; Alex, a student with an account and no
memberships, finds it on the marketplace by its filters and requests a time; Fran accepts;
the meeting is created; Alex pays (the local Stripe fake); the class is held and confirmed;
Fran's earnings are transferred to her payout account; Alex's review shows on Fran's
public page. Every step goes through the pages a person would use; the one thing the test
does behind the browser's back is to move the class into the past once it is paid, since a
class cannot be held before it starts.
"""

from __future__ import annotations

import datetime as dt
import re
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership, User
from billing.models import Payment, Transfer
from connect.models import ConnectedAccount
from demo.seed import DEMO_PASSWORD, demo_seed
from listings.models import ListedReview, Listing, TutorListing
from marketplace.models import Gig, GigBooking, Review
from meetings.models import Meeting
from scheduling.models import Session
from tenants.models import Tenant
from tests.billing.conftest import fake_stripe, fake_stripe_server  # noqa: F401 (fixtures)
from tests.platform.conftest import browser  # noqa: F401 (fixture)

pytestmark = pytest.mark.browser

GIG_TITLE = "Business Spanish for meetings and email"
REVIEW = "Fran prepared role plays from my real meetings; I now run them in Spanish."


@pytest.fixture
def demo(live_server, settings, fake_stripe):  # noqa: F811
    """The demo, committed (the schemas are dropped after the test by the harness)."""
    port = urlsplit(live_server.url).port
    settings.SITE_PORT = str(port)
    settings.STRIPE_JS_URL = f"{fake_stripe.url}/v3/"
    demo_seed()
    fran = User.objects.get(email="freelancer@educonnect.test")
    # Fran has finished Stripe's onboarding: her earnings can be transferred.
    ConnectedAccount.objects.create(
        user=fran,
        stripe_id=fake_stripe.account_add(),
        country="DE",
        status=ConnectedAccount.Status.ENABLED,
        details_submitted=True,
        charges_enabled=True,
        payouts_enabled=True,
    )
    return {
        "root": live_server.url,
        "market": f"http://marketplace.localhost:{port}",
        "marketplace": Tenant.objects.get(slug="marketplace"),
        "fran": fran,
        "alex": User.objects.get(email="alex@educonnect.test"),
    }


def _sign_in(page, url: str, email: str) -> None:
    page.goto(url)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def _in_marketplace(demo, read):
    try:
        with tenant_context(demo["marketplace"]):
            return read()
    finally:
        connection.set_schema_to_public()


def test_a_gig_is_posted_found_booked_paid_held_released_and_reviewed(demo, browser):  # noqa: F811
    try:
        _walk(demo, browser)
    finally:
        # The ORM calls above ran beside Playwright's event loop, on a connection of their
        # own that the harness does not see; closing it lets the test database go.
        connection.close()


def _walk(demo, browser) -> None:  # noqa: F811
    from playwright.sync_api import expect

    fran_context = browser.new_context(viewport={"width": 1280, "height": 900})
    fran = fran_context.new_page()
    fran.set_default_timeout(20_000)
    alex_context = browser.new_context(
        viewport={"width": 1280, "height": 900}, timezone_id="Europe/London"
    )
    alex = alex_context.new_page()
    alex.set_default_timeout(20_000)

    # 1. Fran posts a gig on the marketplace's host and publishes it.
    _sign_in(fran, f"{demo['market']}/accounts/login/", demo["fran"].email)
    fran.goto(f"{demo['market']}/marketplace/gigs/new/")
    fran.get_by_label("Title").fill(GIG_TITLE)
    fran.get_by_label("Subject").select_option(label="Spanish")
    fran.get_by_label("Level").select_option("adult")
    fran.get_by_label("Languages").fill("es, en")
    fran.get_by_label("Description").fill(
        "Vocabulary, phrases and role plays for the meetings and emails of your own job."
    )
    fran.get_by_label("Price per session").fill("42")
    fran.get_by_label("Currency").select_option("EUR")
    fran.get_by_label("Length of a session").select_option("60")
    fran.get_by_role("button", name="Save as draft").click()
    expect(fran.get_by_test_id("gig-status")).to_have_text("Draft")
    fran.get_by_role("button", name="Publish").click()
    expect(fran.get_by_test_id("gig-status")).to_have_text("Published")
    listing = Listing.objects.get(title=GIG_TITLE)  # indexed after the commit
    assert (listing.price_minor, listing.currency, listing.verified) == (4200, "EUR", True)

    # 2. Alex finds it by its filters on the root domain, then asks for the first free time.
    alex.goto(f"{demo['root']}/marketplace/search/")
    alex.get_by_label("Subject").select_option("spanish")
    alex.get_by_label("Language").select_option("es")
    alex.get_by_label("Verified tutors only").check()
    alex.get_by_label("Currency").fill("EUR")
    alex.get_by_label("Price up to").fill("45")
    alex.get_by_label("Price up to").press("Enter")
    result = alex.get_by_role("link", name=GIG_TITLE)
    expect(result).to_be_visible()
    # Fran's older Spanish gig costs 35.00 EUR and is found too; nothing above 45 is.
    expect(alex.get_by_role("link", name="Conversational Spanish for adults")).to_be_visible()
    expect(alex.get_by_role("link", name="First-year university physics")).to_have_count(0)
    result.click()
    expect(alex.get_by_role("heading", name=GIG_TITLE)).to_be_visible()
    slot = alex.get_by_test_id("slot").first
    starts_at = dt.datetime.fromisoformat(slot.get_attribute("data-starts-at"))
    slot.click()
    alex.get_by_label("Email").fill(demo["alex"].email)
    alex.get_by_label("Password").fill(DEMO_PASSWORD)
    alex.get_by_role("button", name="Sign in").click()
    expect(alex.get_by_test_id("booking-when")).to_contain_text(f"{starts_at:%H:%M}")
    alex.get_by_label("Your date of birth").fill("1996-04-12")
    alex.get_by_label("Message to the tutor").fill("I have a meeting in Madrid next month.")
    alex.get_by_role("button", name="Send booking request").click()

    # The request lands in the marketplace's schema; Alex is now a student there.
    expect(alex).to_have_url(re.compile(rf"^{demo['market']}/scheduling/sessions/\d+/$"))
    expect(alex).to_have_url(f"{demo['market']}/scheduling/sessions/{_session_id(demo)}/")
    membership = Membership.objects.get(user=demo["alex"], tenant=demo["marketplace"])
    assert membership.role == Membership.Role.STUDENT
    session_id = _session_id(demo)
    session = _in_marketplace(demo, lambda: Session.objects.get(pk=session_id))
    assert (session.status, session.price_minor, session.currency) == ("requested", 4200, "EUR")
    assert session.starts_at == starts_at

    # 3. Fran accepts; the meeting is created and the payment opened.
    fran.goto(f"{demo['market']}/scheduling/sessions/{session_id}/")
    fran.get_by_test_id("accept").click()
    expect(fran.get_by_test_id("meeting-status")).not_to_have_text("—")
    meeting = _in_marketplace(demo, lambda: Meeting.objects.get(session_id=session_id))
    assert meeting.status == Meeting.Status.READY

    # 4. Alex pays in the payment element; the platform holds the money.
    alex.goto(f"{demo['market']}/scheduling/sessions/{session_id}/")
    panel = alex.get_by_test_id("payment-panel")
    expect(panel).to_contain_text("Awaiting payment")
    panel.get_by_test_id("pay-now").click()
    expect(alex.get_by_test_id("fee-breakdown")).to_contain_text("42.00")
    alex.get_by_test_id("pay-button").click()
    expect(alex.get_by_test_id("payment-panel")).to_contain_text("Held")

    # 5. The class takes place (moved into the past), Fran marks it held, Alex confirms.
    def into_the_past():
        Session.objects.filter(pk=session_id).update(
            starts_at=timezone.now() - dt.timedelta(hours=2),
            ends_at=timezone.now() - dt.timedelta(hours=1),
        )

    _in_marketplace(demo, into_the_past)
    fran.goto(f"{demo['market']}/scheduling/sessions/{session_id}/")
    fran.get_by_test_id("completion-mark-held").click()
    expect(fran.get_by_test_id("completion-mark-held")).to_have_count(0)
    alex.goto(f"{demo['market']}/scheduling/sessions/{session_id}/")
    alex.get_by_test_id("completion-confirm").click()
    expect(alex.get_by_test_id("completion-confirm")).to_have_count(0)

    # 6. Fran's earnings are released to her own account, once.
    def money():
        payment = Payment.objects.get(session_id=session_id)
        return payment, list(Transfer.objects.filter(payment=payment))

    payment, transfers = _in_marketplace(demo, money)
    assert payment.status == Payment.Status.RELEASED
    assert payment.agency_commission_minor == 0
    assert [(t.destination, t.amount_minor) for t in transfers] == [
        (ConnectedAccount.objects.get(user=demo["fran"]).stripe_id, payment.tutor_earnings_minor)
    ]

    # 7. Alex reviews the class; the review is on Fran's public page.
    alex.goto(f"{demo['market']}/scheduling/sessions/{session_id}/")
    alex.get_by_test_id("leave-review").click()
    alex.get_by_label("5 stars").check()
    alex.get_by_label("Your review").fill(REVIEW)
    alex.get_by_role("button", name="Publish the review").click()
    expect(alex.get_by_test_id("review-panel")).to_contain_text(REVIEW)
    tutor = TutorListing.objects.get(user=demo["fran"])
    alex.goto(f"{demo['root']}/marketplace/tutors/{tutor.pk}/")
    expect(alex.get_by_text(REVIEW)).to_be_visible()
    assert ListedReview.objects.filter(tutor=tutor, text=REVIEW, rating=5).exists()
    tutor.refresh_from_db()
    assert tutor.rating_count == 3  # the demo's two, and Alex's
    assert _in_marketplace(
        demo,
        lambda: (
            Review.objects.get(session_id=session_id).gig.title,
            GigBooking.objects.get(session_id=session_id).gig.status,
        ),
    ) == (GIG_TITLE, Gig.Status.PUBLISHED)


def _session_id(demo) -> int:
    return _in_marketplace(
        demo,
        lambda: GigBooking.objects.get(gig__title=GIG_TITLE, booked_by=demo["alex"]).session_id,
    )
