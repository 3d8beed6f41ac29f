"""A confirmed class of acme's tutor with its student, payout accounts ready at the fake."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.models import BillingSettings, Payment
from billing.services import payments
from connect.models import ConnectedAccount

START = timezone.now().replace(microsecond=0) + dt.timedelta(days=5)


def account(fake, **owner) -> ConnectedAccount:
    return ConnectedAccount.objects.create(
        stripe_id=fake.account_add(),
        country="US",
        status=ConnectedAccount.Status.ENABLED,
        details_submitted=True,
        charges_enabled=True,
        payouts_enabled=True,
        **owner,
    )


@pytest.fixture
def accounts(fake_stripe, acme, tutor_profile):
    return {
        "agency": account(fake_stripe, tenant=acme),
        "tutor": account(fake_stripe, user=tutor_profile.user),
    }


@pytest.fixture
def route(acme):
    def set_route(value: str) -> None:
        with tenant_context(acme):
            BillingSettings.objects.update_or_create(pk=1, defaults={"payout_route": value})

    return set_route


@pytest.fixture
def lesson(acme, booked, tutor_profile, student_profile):
    return booked(tutor_profile, student_profile, START)


@pytest.fixture
def opened(acme, lesson, fake_stripe) -> Payment:
    with tenant_context(acme):
        return payments.payment_open(lesson)


@pytest.fixture
def pay(acme, student, fake_stripe, django_capture_on_commit_callbacks):
    """``pay(payment)``: the student checks out, the card succeeds, the return page syncs."""

    def run(payment: Payment) -> Payment:
        with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
            checkout = payments.payment_checkout(actor=student, payment=payment)
            intent_id = checkout["client_secret"].split("_secret_")[0]
            fake_stripe.intent_succeed(intent_id)
            return payments.payment_sync(payment.pk)

    return run
