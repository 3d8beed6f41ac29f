"""In a real browser: a student opens a confirmed class, presses Pay now, pays in the
payment element and comes back to a held payment. Stripe.js and Stripe's API are the
local fake (its ``/v3/`` script confirms the PaymentIntent as Stripe.js would)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from billing.models import Invoice, Payment
from billing.services.payments import payment_open
from crm import services as crm
from crm.models import Subject
from scheduling.models import Session
from tests.platform.conftest import browser  # noqa: F401 (fixture)
from tests.scheduling.conftest import dob_for

pytestmark = pytest.mark.browser


@pytest.fixture
def site(live_server, settings) -> str:
    settings.SITE_PORT = str(urlsplit(live_server.url).port)
    return live_server.url


@pytest.fixture
def payable(site, fake_stripe, settings, tenant_factory, member, password):
    settings.STRIPE_JS_URL = f"{fake_stripe.url}/v3/"
    tenant = tenant_factory("payly", "Payly Tutors")
    tutor = member(tenant, Membership.Role.TUTOR, first_name="Tia", last_name="Tutor")
    student = member(tenant, Membership.Role.STUDENT, first_name="Sam", last_name="Student")
    owner = Membership.objects.get(tenant=tenant, role=Membership.Role.OWNER)
    try:
        with tenant_context(tenant):
            profile = crm.tutor_profile_ensure(actor=tutor)
            pupil = crm.student_create(
                actor=owner,
                first_name="Sam",
                last_name="Student",
                email=student.user.email,
                date_of_birth=dob_for(30),
            )
            starts_at = (timezone.now() + dt.timedelta(days=3)).replace(microsecond=0)
            session = Session.objects.create(
                tutor=profile,
                student=pupil,
                subject=Subject.objects.get(slug="mathematics"),
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(hours=1),
                status=Session.Status.CONFIRMED,
                price_minor=4000,
                currency="GBP",
                requested_by=student.user,
            )
            payment = payment_open(session)
    finally:
        connection.set_schema_to_public()
    return {
        "tenant": tenant,
        "url": f"http://{tenant.slug}.localhost:{urlsplit(site).port}",
        "student": student.user,
        "password": password,
        "session_id": session.pk,
        "payment_id": payment.pk,
    }


def _sign_in(page, payable) -> None:
    page.goto(f"{payable['url']}/accounts/login/")
    page.get_by_label("Email").fill(payable["student"].email)
    page.get_by_label("Password").fill(payable["password"])
    page.get_by_role("button", name="Sign in").click()


def test_a_student_pays_for_a_confirmed_class_and_the_money_is_held(payable, browser):  # noqa: F811
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    _sign_in(page, payable)
    page.goto(f"{payable['url']}/scheduling/sessions/{payable['session_id']}/")
    panel = page.get_by_test_id("payment-panel")
    expect(panel).to_contain_text("Awaiting payment")
    panel.get_by_test_id("pay-now").click()

    expect(page.get_by_test_id("fee-breakdown")).to_contain_text("40.00")
    expect(page.get_by_test_id("fake-card")).to_be_visible()
    page.get_by_test_id("pay-button").click()

    expect(page).to_have_url(f"{payable['url']}/scheduling/sessions/{payable['session_id']}/")
    expect(page.get_by_test_id("payment-panel")).to_contain_text("Held")
    try:
        with tenant_context(payable["tenant"]):
            payment = Payment.objects.get(pk=payable["payment_id"])
            assert payment.status == Payment.Status.HELD
            assert payment.payer_id == payable["student"].pk
            assert Invoice.objects.filter(payment=payment, kind="receipt").exists()
    finally:
        connection.close()


def test_a_declined_card_shows_stripes_message_and_nothing_is_held(payable, browser):  # noqa: F811
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.set_default_timeout(15_000)
    _sign_in(page, payable)
    page.goto(f"{payable['url']}/billing/payments/{payable['payment_id']}/pay/")
    page.get_by_test_id("fake-card").fill("4000 0000 0000 0002")
    page.get_by_test_id("pay-button").click()
    expect(page.get_by_test_id("payment-message")).to_have_text("Your card was declined.")
    expect(page.get_by_test_id("pay-button")).to_be_enabled()
    try:
        with tenant_context(payable["tenant"]):
            assert Payment.objects.get(pk=payable["payment_id"]).status == "awaiting_payment"
    finally:
        connection.close()
