"""The bank's answer, as Stripe's ``payout.paid`` / ``payout.failed`` events: each applied
once, in any order, replays harmless; a failed payout's money returns to the wallet."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from billing import ledger
from billing.models import LedgerTransaction, Withdrawal
from billing.selectors.wallet import payee_of, wallet_balances
from billing.services import wallet
from notifications.models import Notification
from tests.billing.wallet.conftest import EARNINGS

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(acme, tutor, earned, payout_account, fake_stripe):
    """A withdrawal of 20.00 of Theo's 28.00, sent: its payout is pending at Stripe."""
    earned()
    account = payout_account(user=tutor.user, funds=EARNINGS)
    with tenant_context(acme):
        withdrawal = wallet.withdrawal_request(actor=tutor, amount_minor=2000, currency="GBP")
        withdrawal = wallet.withdrawal_send(withdrawal_id=withdrawal.pk)
    return withdrawal, account


def _event(fake_stripe, account, payout_id: str, kind: str) -> dict:
    """The event as Stripe would send it: the payout as it was when the event happened."""
    snapshot = dict(fake_stripe.objects[payout_id])
    snapshot["status"] = kind.split(".")[1]
    return fake_stripe.event(kind, snapshot, account=account.stripe_id)


def _state(acme, tutor, withdrawal):
    with tenant_context(acme):
        withdrawal.refresh_from_db()
        (balance,) = wallet_balances(payee_of(tutor))
        returned = LedgerTransaction.objects.filter(kind="payout_failed").count()
        return withdrawal.status, balance.available_minor, returned


def test_a_paid_payout_marks_the_withdrawal_paid(acme, tutor, sent, fake_stripe):
    withdrawal, account = sent
    fake_stripe.payout_settle(withdrawal.stripe_id, "paid")
    event = _event(fake_stripe, account, withdrawal.stripe_id, "payout.paid")
    wallet.payout_event(event)
    wallet.payout_event(event)  # replayed
    assert _state(acme, tutor, withdrawal) == (Withdrawal.Status.PAID, EARNINGS - 2000, 0)


def test_a_failed_payout_returns_the_money_once_and_tells_the_tutor(acme, tutor, sent, fake_stripe):
    withdrawal, account = sent
    fake_stripe.payout_settle(withdrawal.stripe_id, "failed")
    event = _event(fake_stripe, account, withdrawal.stripe_id, "payout.failed")
    wallet.payout_event(event)
    wallet.payout_event(event)
    assert _state(acme, tutor, withdrawal) == (Withdrawal.Status.FAILED, EARNINGS, 1)
    with tenant_context(acme):
        assert "bank account has been closed" in withdrawal.failure_message
        movement = LedgerTransaction.objects.get(key=f"payout_failed:{withdrawal.stripe_id}")
        assert sorted(movement.entries.values_list("account", "amount_minor")) == [
            (ledger.EXTERNAL_BANK, -2000),
            (ledger.wallet_tutor(withdrawal.tutor_id), 2000),
        ]
        assert (
            Notification.objects.filter(user=tutor.user, event="billing.withdrawal_failed").count()
            == 1
        )


def test_a_late_paid_event_does_not_undo_a_failure(acme, tutor, sent, fake_stripe):
    withdrawal, account = sent
    paid = _event(fake_stripe, account, withdrawal.stripe_id, "payout.paid")
    fake_stripe.payout_settle(withdrawal.stripe_id, "failed")
    failed = _event(fake_stripe, account, withdrawal.stripe_id, "payout.failed")
    wallet.payout_event(failed)
    wallet.payout_event(paid)  # delivered late
    assert _state(acme, tutor, withdrawal) == (Withdrawal.Status.FAILED, EARNINGS, 1)


def test_events_in_reverse_order_end_in_stripes_state(acme, tutor, sent, fake_stripe):
    withdrawal, account = sent
    fake_stripe.payout_settle(withdrawal.stripe_id, "failed")
    failed = _event(fake_stripe, account, withdrawal.stripe_id, "payout.failed")
    paid = _event(fake_stripe, account, withdrawal.stripe_id, "payout.paid")
    wallet.payout_event(paid)  # says paid, but Stripe now says failed
    assert _state(acme, tutor, withdrawal) == (Withdrawal.Status.FAILED, EARNINGS, 1)
    wallet.payout_event(failed)
    assert _state(acme, tutor, withdrawal) == (Withdrawal.Status.FAILED, EARNINGS, 1)


def test_a_payout_paid_then_returned_by_the_bank_fails(acme, tutor, sent, fake_stripe):
    withdrawal, account = sent
    fake_stripe.payout_settle(withdrawal.stripe_id, "paid")
    wallet.payout_event(_event(fake_stripe, account, withdrawal.stripe_id, "payout.paid"))
    assert _state(acme, tutor, withdrawal)[0] == Withdrawal.Status.PAID
    fake_stripe.payout_settle(withdrawal.stripe_id, "failed")
    wallet.payout_event(_event(fake_stripe, account, withdrawal.stripe_id, "payout.failed"))
    assert _state(acme, tutor, withdrawal) == (Withdrawal.Status.FAILED, EARNINGS, 1)


def test_an_event_still_pending_at_stripe_changes_nothing(acme, tutor, sent, fake_stripe):
    withdrawal, account = sent
    wallet.payout_event(_event(fake_stripe, account, withdrawal.stripe_id, "payout.paid"))
    assert _state(acme, tutor, withdrawal) == (Withdrawal.Status.PENDING, EARNINGS - 2000, 0)


def test_someone_elses_payout_is_ignored(fake_stripe, public_tenant):
    payout = {"id": "po_elsewhere", "object": "payout", "status": "paid", "metadata": {}}
    assert wallet.payout_event(fake_stripe.event("payout.paid", payout, account="acct_x")) is None


def test_a_payout_of_ours_not_recorded_yet_is_retried_later(fake_stripe, public_tenant):
    payout = {
        "id": "po_soon",
        "object": "payout",
        "status": "paid",
        "metadata": {"tenant": "acme", "withdrawal": "7"},
    }
    with pytest.raises(LookupError):
        wallet.payout_event(fake_stripe.event("payout.paid", payout, account="acct_x"))
