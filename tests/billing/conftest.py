"""Billing tests run the real ``stripe`` library against ``FakeStripe`` on a local port,
with the scheduling people (a tutor, a student, a parent with a child) of acme."""

from __future__ import annotations

import pytest

from tests.billing.fake_stripe import SECRET_KEY, WEBHOOK_SECRET, FakeStripe
from tests.scheduling.conftest import (  # noqa: F401 (fixtures)
    booked,
    child,
    learner,
    maths,
    parent,
    student,
    student_pair,
    student_profile,
    teacher,
    tutor,
    tutor_pair,
    tutor_profile,
    weekly,
)


@pytest.fixture(scope="session")
def fake_stripe_server():
    server = FakeStripe()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def fake_stripe(fake_stripe_server, settings):
    """Stripe for this test: the fake, reset, with the platform's keys pointing at it."""
    fake_stripe_server.reset()
    settings.STRIPE_API_BASE = fake_stripe_server.url
    settings.STRIPE_SECRET_KEY = SECRET_KEY
    settings.STRIPE_PUBLISHABLE_KEY = "pk_test_fake"
    settings.STRIPE_WEBHOOK_SECRETS = [WEBHOOK_SECRET]
    settings.STRIPE_NETWORK_RETRIES = 0
    yield fake_stripe_server
    assert not fake_stripe_server.problems, fake_stripe_server.problems


@pytest.fixture
def payment_in():
    """``payment_in(session, status="held")`` → a Payment of ``session`` written straight to
    the database with the ledger rows its status implies (for tests of what reads them:
    history, wallet, invoices). Split: 10% platform, 20% agency, the rest to the tutor.
    """
    import datetime as dt

    from django.utils import timezone

    from billing import ledger
    from billing.models import Payment
    from tests.scheduling.conftest import in_tenant_of

    def make(session, status: str = Payment.Status.HELD, *, payout_route: str = "tutors"):
        amount = session.price_minor
        platform, agency = amount // 10, amount // 5
        tutor_share = amount - platform - agency
        with in_tenant_of(session.tutor):
            payment = Payment.objects.create(
                session=session,
                tutor=session.tutor,
                student=session.student,
                status=status,
                amount_minor=amount,
                currency=session.currency,
                platform_fee_minor=platform,
                agency_commission_minor=agency,
                tutor_earnings_minor=tutor_share,
                platform_fee_basis_points=1000,
                payout_route=payout_route,
                transfer_group=f"test-session-{session.pk}",
            )
            if status == Payment.Status.AWAITING:
                return payment
            payment.payment_intent_id = f"pi_test{payment.pk}"
            payment.charge_id = f"ch_test{payment.pk}"
            payment.payer = session.student.user
            payment.paid_at = timezone.now() - dt.timedelta(days=2)
            tutor_account = ledger.held_tutor(session.tutor_id)
            ledger.post(
                kind="charge",
                key=f"charge:{payment.charge_id}",
                currency=payment.currency,
                payment=payment,
                stripe_object=payment.charge_id,
                entries=[
                    (ledger.EXTERNAL_PAYER, -amount),
                    (ledger.HELD_PLATFORM, platform),
                    (ledger.HELD_AGENCY, agency),
                    (tutor_account, tutor_share),
                ],
            )
            if status == Payment.Status.RELEASED:
                payment.released_at = timezone.now() - dt.timedelta(days=1)
                ledger.post(
                    kind="release",
                    key=f"release:test{payment.pk}",
                    currency=payment.currency,
                    payment=payment,
                    entries=[
                        (ledger.HELD_PLATFORM, -platform),
                        (ledger.PLATFORM_REVENUE, platform),
                        (ledger.HELD_AGENCY, -agency),
                        (ledger.WALLET_AGENCY, agency),
                        (tutor_account, -tutor_share),
                        (ledger.wallet_tutor(session.tutor_id), tutor_share),
                    ],
                )
            payment.save()
            return payment

    return make
