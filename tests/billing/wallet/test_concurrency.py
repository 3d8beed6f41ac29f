"""Two withdrawals asked for at once, each on its own connection, cannot spend the same
money: the second waits for the first and sees what is left.

These tests commit (each thread's transaction must be visible to the other); the
tenant_factory drops the agencies they made.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django_tenants.utils import tenant_context

from billing.models import Withdrawal
from billing.services import wallet
from tests.billing.wallet.conftest import EARNINGS

pytestmark = pytest.mark.django_db(transaction=True)


def test_simultaneous_withdrawals_cannot_overdraw(
    acme, tutor, earned, payout_account, fake_stripe, monkeypatch
):
    earned()
    payout_account(user=tutor.user, funds=EARNINGS)
    read_balances = wallet.wallet_balances

    def slow_balances(payee):
        # Widen the window between reading the balance and writing the withdrawal, so
        # without the payee's lock both requests would read the same balance.
        balances = read_balances(payee)
        time.sleep(0.5)
        return balances

    monkeypatch.setattr(wallet, "wallet_balances", slow_balances)
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def withdraw() -> None:
        try:
            with tenant_context(acme):
                barrier.wait(timeout=30)
                wallet.withdrawal_request(actor=tutor, amount_minor=2000, currency="GBP")
                outcome = "done"
        except ValidationError as error:
            outcome = f"refused: {error.message_dict['amount_minor'][0]}"
        except Exception as error:  # anything else is what we look for
            outcome = f"error: {error!r}"
        finally:
            connection.close()
        outcomes.append(outcome)

    threads = [threading.Thread(target=withdraw) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(outcomes) == ["done", "refused: At most GBP 8.00 is available."], outcomes
    with tenant_context(acme):
        (withdrawal,) = Withdrawal.objects.all()
        assert withdrawal.status == Withdrawal.Status.PENDING
    assert len(fake_stripe.calls("POST", "/v1/payouts")) == 1
