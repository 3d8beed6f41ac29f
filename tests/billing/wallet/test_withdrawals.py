"""Asking for a withdrawal and sending it as a Stripe payout: at most what is available,
only to an enabled payout account, and one payout however often the task runs."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django_tenants.utils import tenant_context

from billing import ledger
from billing.models import LedgerTransaction, Withdrawal
from billing.selectors.wallet import payee_of, wallet_balances
from billing.services import wallet
from billing.tasks_wallet import withdrawal_send_run
from config.errors import ApplicationError
from connect import gateway
from notifications.models import Notification
from tenants.models import ExternalRoute
from tests.billing.wallet.conftest import COMMISSION, EARNINGS

pytestmark = pytest.mark.django_db


def _request(tenant, actor, amount, currency="GBP"):
    with tenant_context(tenant):
        return wallet.withdrawal_request(actor=actor, amount_minor=amount, currency=currency)


def _payouts(fake_stripe) -> list[dict]:
    return [obj for obj in fake_stripe.objects.values() if obj["object"] == "payout"]


def _available(tenant, actor) -> int:
    with tenant_context(tenant):
        (balance,) = wallet_balances(payee_of(actor))
        return balance.available_minor


def test_a_tutor_withdraws_and_the_payout_is_sent_after_commit(
    *, acme, tutor, earned, payout_account, fake_stripe, django_capture_on_commit_callbacks
):
    earned()
    account = payout_account(user=tutor.user, funds=EARNINGS)
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal = _request(acme, tutor, 2000)
    (payout,) = _payouts(fake_stripe)
    (call,) = fake_stripe.calls("POST", "/v1/payouts")
    assert call.headers["stripe-account"] == account.stripe_id
    assert call.headers["idempotency-key"] == withdrawal.idempotency_key
    assert payout["amount"] == 2000
    assert payout["metadata"] == {"tenant": "acme", "withdrawal": str(withdrawal.pk)}
    with tenant_context(acme):
        withdrawal.refresh_from_db()
        assert withdrawal.status == Withdrawal.Status.PENDING
        assert withdrawal.stripe_id == payout["id"]
        movement = LedgerTransaction.objects.get(key=f"payout:{payout['id']}")
        assert sorted(movement.entries.values_list("account", "amount_minor")) == [
            (ledger.EXTERNAL_BANK, 2000),
            (ledger.wallet_tutor(tutor_profile_id(tutor)), -2000),
        ]
        (balance,) = wallet_balances(payee_of(tutor))
        assert (balance.available_minor, balance.paid_out_minor) == (EARNINGS - 2000, 2000)
    route = ExternalRoute.objects.get(provider="stripe", external_id=payout["id"])
    assert route.tenant_id == acme.pk


def tutor_profile_id(tutor) -> int:
    return payee_of(tutor).tutor.pk


def test_the_agency_withdraws_its_commission(
    *, acme, owner, earned, payout_account, fake_stripe, django_capture_on_commit_callbacks
):
    earned()
    payout_account(tenant=acme, funds=COMMISSION)
    with django_capture_on_commit_callbacks(execute=True):
        withdrawal = _request(acme, owner, COMMISSION)
    assert withdrawal.payee == "agency"
    assert withdrawal.tutor is None
    with tenant_context(acme):
        withdrawal.refresh_from_db()
        assert withdrawal.status == Withdrawal.Status.PENDING
        assert ledger.wallet_for()[0].available_minor == 0


def test_more_than_is_available_is_refused_on_the_amount(acme, tutor, earned, payout_account):
    earned()
    payout_account(user=tutor.user)
    with pytest.raises(ValidationError) as refused:
        _request(acme, tutor, EARNINGS + 1)
    assert "At most GBP 28.00 is available." in refused.value.message_dict["amount_minor"]


def test_money_still_held_is_not_available(acme, tutor, earned, payout_account):
    earned("held")
    payout_account(user=tutor.user)
    with pytest.raises(ValidationError) as refused:
        _request(acme, tutor, 100)
    assert refused.value.message_dict["amount_minor"] == ["Nothing is available to withdraw yet."]


def test_requested_withdrawals_count_until_they_are_sent(acme, tutor, earned, payout_account):
    earned()
    payout_account(user=tutor.user)
    _request(acme, tutor, 2000)  # not sent: the test's transaction never commits
    assert _available(acme, tutor) == EARNINGS - 2000
    with pytest.raises(ValidationError):
        _request(acme, tutor, 1000)
    _request(acme, tutor, 800)
    assert _available(acme, tutor) == 0


@pytest.mark.parametrize(
    ("amount", "currency", "field"),
    [
        (0, "GBP", "amount_minor"),
        (-5, "GBP", "amount_minor"),
        (100, "EUR", "currency"),
        (100, "pounds", "currency"),
        ("100", "GBP", "amount_minor"),
    ],
)
def test_bad_amounts_and_currencies_are_field_errors(
    *, acme, tutor, earned, payout_account, amount, currency, field
):
    earned()
    payout_account(user=tutor.user)
    with pytest.raises(ValidationError) as refused:
        _request(acme, tutor, amount, currency)
    assert field in refused.value.message_dict


@pytest.mark.parametrize("enabled", [False, None])
def test_without_an_enabled_payout_account_it_is_a_409(
    acme, tutor, earned, payout_account, enabled
):
    earned()
    if enabled is not None:
        payout_account(user=tutor.user, enabled=enabled)
    with pytest.raises(ApplicationError) as refused:
        _request(acme, tutor, 100)
    assert refused.value.status == 409
    assert refused.value.code == "payout_account_not_ready"


@pytest.mark.parametrize("role", ["student", "parent", "staff"])
def test_people_without_a_wallet_cannot_withdraw(acme, member, role):
    with pytest.raises(PermissionDenied):
        _request(acme, member(acme, role), 100)


def test_a_member_of_another_tenant_cannot_withdraw_here(globex, tutor):
    with pytest.raises(PermissionDenied):
        _request(globex, tutor, 100)


def test_the_payout_is_sent_once_even_if_the_task_runs_twice(
    acme, tutor, earned, payout_account, fake_stripe
):
    earned()
    payout_account(user=tutor.user, funds=EARNINGS)
    withdrawal = _request(acme, tutor, 2000)
    with tenant_context(acme):
        withdrawal_send_run.delay(withdrawal.pk)
        withdrawal_send_run.delay(withdrawal.pk)
        wallet.withdrawal_send(withdrawal_id=withdrawal.pk)
        assert LedgerTransaction.objects.filter(kind="payout").count() == 1
    assert len(fake_stripe.calls("POST", "/v1/payouts")) == 1
    assert len(_payouts(fake_stripe)) == 1


def test_a_send_that_died_after_stripe_answered_is_finished_with_the_same_payout(
    acme, tutor, earned, payout_account, fake_stripe
):
    earned()
    account = payout_account(user=tutor.user, funds=EARNINGS)
    withdrawal = _request(acme, tutor, 2000)
    # The first run reached Stripe, then the worker died before writing anything.
    first = gateway.payout_create(
        key=withdrawal.idempotency_key,
        account=account.stripe_id,
        amount=2000,
        currency="GBP",
        metadata={"tenant": "acme", "withdrawal": str(withdrawal.pk)},
    )
    with tenant_context(acme):
        withdrawal = wallet.withdrawal_send(withdrawal_id=withdrawal.pk)
    assert withdrawal.stripe_id == first["id"]
    assert len(_payouts(fake_stripe)) == 1
    assert fake_stripe.connected_balance[account.stripe_id] == EARNINGS - 2000


def test_stripe_trouble_is_retried_with_the_same_key(
    acme, tutor, earned, payout_account, fake_stripe
):
    earned()
    payout_account(user=tutor.user, funds=EARNINGS)
    withdrawal = _request(acme, tutor, 2000)
    fake_stripe.fail("POST", "/v1/payouts", 500)
    with tenant_context(acme):
        withdrawal_send_run.apply(args=[withdrawal.pk], throw=False)
        withdrawal.refresh_from_db()
    calls = fake_stripe.calls("POST", "/v1/payouts")
    assert len(calls) == 2
    assert {c.headers["idempotency-key"] for c in calls} == {withdrawal.idempotency_key}
    assert withdrawal.status == Withdrawal.Status.PENDING
    assert len(_payouts(fake_stripe)) == 1


def test_a_payout_stripe_refuses_fails_and_the_payee_is_told(
    acme, tutor, earned, payout_account, fake_stripe
):
    earned()
    account = payout_account(user=tutor.user, funds=EARNINGS)
    fake_stripe.objects[account.stripe_id]["payouts_enabled"] = False
    withdrawal = _request(acme, tutor, 2000)
    with tenant_context(acme):
        withdrawal_send_run.delay(withdrawal.pk)
        withdrawal.refresh_from_db()
        assert withdrawal.status == Withdrawal.Status.FAILED
        assert "not enabled" in withdrawal.failure_message
        assert not LedgerTransaction.objects.filter(kind="payout").exists()
        note = Notification.objects.get(user=tutor.user, event="billing.withdrawal_failed")
        assert "GBP 20.00" in note.title
    assert _available(acme, tutor) == EARNINGS
    assert not ExternalRoute.objects.exists()


def test_resending_picks_up_withdrawals_left_requested(
    acme, tutor, earned, payout_account, fake_stripe
):
    import datetime as dt

    from django.utils import timezone

    earned()
    payout_account(user=tutor.user, funds=EARNINGS)
    withdrawal = _request(acme, tutor, 2000)
    with tenant_context(acme):
        assert wallet.withdrawals_resend() == 0  # too recent: its own task may still run
        later = timezone.now() + dt.timedelta(minutes=11)
        assert wallet.withdrawals_resend(now=later) == 1
        withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.PENDING


def test_withdrawals_older_than_stripes_key_memory_are_not_resent(
    acme, tutor, earned, payout_account, fake_stripe
):
    import datetime as dt

    from django.utils import timezone

    earned()
    payout_account(user=tutor.user, funds=EARNINGS)
    withdrawal = _request(acme, tutor, 2000)
    with tenant_context(acme):
        assert wallet.withdrawals_resend(now=timezone.now() + dt.timedelta(hours=25)) == 0
        withdrawal.refresh_from_db()
    assert withdrawal.status == Withdrawal.Status.REQUESTED
    assert fake_stripe.calls("POST", "/v1/payouts") == []
