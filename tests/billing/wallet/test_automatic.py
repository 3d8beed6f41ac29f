"""Automatic payouts: released earnings go to the bank once they are
``PAYOUT_DELAY_HOURS`` old (run hourly: paid out within one to two delays)."""

from __future__ import annotations

import datetime as dt
import logging

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.models import LedgerTransaction, Withdrawal
from billing.services import wallet
from billing.tasks_wallet import payouts_run
from tests.billing.wallet.conftest import COMMISSION, EARNINGS

pytestmark = pytest.mark.django_db


def _age(acme, payment, hours: float) -> None:
    """Make the release of ``payment`` ``hours`` old."""
    with tenant_context(acme):
        LedgerTransaction.objects.filter(payment=payment, kind="release").update(
            created_at=timezone.now() - dt.timedelta(hours=hours)
        )


def _run(acme, now=None) -> list[Withdrawal]:
    with tenant_context(acme):
        return wallet.payouts_automatic(now=now)


def test_fresh_releases_wait_for_the_delay(acme, tutor, earned, payout_account, settings):
    settings.PAYOUT_DELAY_HOURS = 24
    earned()
    payout_account(user=tutor.user, funds=EARNINGS)
    assert _run(acme) == []
    later = timezone.now() + dt.timedelta(hours=24, minutes=5)
    (withdrawal,) = _run(acme, now=later)
    assert (withdrawal.payee, withdrawal.amount_minor, withdrawal.automatic) == (
        "tutor",
        EARNINGS,
        True,
    )
    assert withdrawal.requested_by is None


def test_only_the_releases_old_enough_are_paid_out(acme, tutor, earned, payout_account):
    old, _fresh = earned(), earned()
    _age(acme, old, 30)
    payout_account(user=tutor.user, funds=2 * EARNINGS)
    (withdrawal,) = _run(acme)
    assert withdrawal.amount_minor == EARNINGS
    assert _run(acme) == []  # the first is still in flight; the fresh one waits


def test_a_payout_is_sent_and_not_made_again_by_the_next_run(
    acme, tutor, earned, payout_account, fake_stripe, django_capture_on_commit_callbacks
):
    _age(acme, earned(), 30)
    payout_account(user=tutor.user, funds=EARNINGS)
    with django_capture_on_commit_callbacks(execute=True):
        (withdrawal,) = _run(acme)
    with tenant_context(acme):
        withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PENDING
    assert _run(acme) == []
    assert len(fake_stripe.calls("POST", "/v1/payouts")) == 1


def test_payees_without_an_enabled_account_are_skipped_and_logged(
    acme, tutor, earned, payout_account, caplog
):
    _age(acme, earned(), 30)
    payout_account(user=tutor.user, enabled=False)
    with caplog.at_level(logging.INFO, logger="billing.services.wallet"):
        assert _run(acme) == []
    assert "Theo Turner (GBP): no enabled payout account" in caplog.text
    assert "Acme Tutoring (GBP): no enabled payout account" in caplog.text


def test_the_agency_is_paid_its_commission(acme, earned, payout_account):
    _age(acme, earned(), 30)
    payout_account(tenant=acme, funds=COMMISSION)
    (withdrawal,) = _run(acme)
    assert (withdrawal.payee, withdrawal.amount_minor) == ("agency", COMMISSION)


def test_after_a_failed_payout_automatic_ones_stop_until_the_payee_withdraws(
    acme, tutor, earned, payout_account
):
    _age(acme, earned(), 30)
    payout_account(user=tutor.user, funds=EARNINGS)
    (first,) = _run(acme)
    with tenant_context(acme):
        Withdrawal.objects.filter(pk=first.pk).update(status=Withdrawal.Status.FAILED)
    assert _run(acme) == []


def test_the_task_runs_in_the_tenant_it_was_queued_in(acme, tutor, earned, payout_account):
    _age(acme, earned(), 30)
    payout_account(user=tutor.user, funds=EARNINGS)
    assert payouts_run.delay().get() == 0  # queued in the public schema: nothing to do
    with tenant_context(acme):
        assert payouts_run.delay().get() == 1
        assert Withdrawal.objects.filter(automatic=True).count() == 1
