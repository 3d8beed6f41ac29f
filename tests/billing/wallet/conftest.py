"""Wallets for the withdrawal tests: earnings put straight into the ledger, and payout
accounts at the fake Stripe holding the money the ledger says they hold.

Each released class of Theo (``tutor``) puts 28.00 GBP in his wallet and 8.00 GBP in
the agency's (a 40.00 class: 10 % platform, 20 % agency).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from connect.models import ConnectedAccount

EARNINGS = 2800
COMMISSION = 800


@pytest.fixture
def earned(tutor_profile, student_profile, booked, payment_in):
    """``earned(status="released")`` → a payment of a new class of Theo's with Sam."""
    made = []

    def make(status: str = "released"):
        start = timezone.now().replace(microsecond=0) - dt.timedelta(days=30 - len(made))
        session = booked(tutor_profile, student_profile, start, status="completed")
        made.append(payment_in(session, status))
        return made[-1]

    return make


@pytest.fixture
def payout_account(fake_stripe):
    """``payout_account(user=… | tenant=…, enabled=True, funds=0)`` → a ConnectedAccount
    (public schema) and its twin at the fake Stripe, holding ``funds``."""

    def make(*, user=None, tenant=None, enabled: bool = True, funds: int = 0):
        stripe_id = fake_stripe.account_add(complete=enabled)
        fake_stripe.connected_balance[stripe_id] += funds
        status = ConnectedAccount.Status.ENABLED if enabled else ConnectedAccount.Status.ONBOARDING
        return ConnectedAccount.objects.create(
            user=user,
            tenant=tenant,
            stripe_id=stripe_id,
            country="US",
            status=status,
            details_submitted=enabled,
            charges_enabled=enabled,
            payouts_enabled=enabled,
        )

    return make
