"""Reconciliation: the ledger agrees with Stripe's balance after real movements, and a
movement made behind the ledger's back is reported."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tenants.utils import tenant_context

from billing.reconcile import reconcile
from billing.services import payments
from scheduling.models import Session

pytestmark = pytest.mark.django_db


def _window():
    now = timezone.now()
    return {"start": now - dt.timedelta(hours=1), "end": now + dt.timedelta(hours=1)}


@pytest.fixture
def history(acme, opened, pay, owner, accounts, django_capture_on_commit_callbacks):
    """A class paid, released, then refunded in part (a reversal and a refund)."""
    payment = pay(opened)
    with tenant_context(acme), django_capture_on_commit_callbacks(execute=True):
        Session.objects.filter(pk=payment.session_id).update(status=Session.Status.COMPLETED)
        payments.payment_release(payment.pk)
        payments.refund_manual(actor=owner, payment=payment, amount=1000, reason="Short class")
    return payment


def test_the_ledger_matches_stripe_after_pay_release_and_refund(history, fake_stripe):
    report = reconcile(**_window())
    assert report.ok, [str(d) for d in report.differences]
    # The charge, the transfer, its reversal and the refund.
    assert report.matched == 4


def test_a_refund_made_at_stripe_only_is_reported(history, fake_stripe):
    fake_stripe._ledger("refund", -500, "re_dashboard")
    report = reconcile(**_window())
    assert [(d.stripe_object, d.ledger_minor, d.stripe_minor) for d in report.differences] == [
        ("re_dashboard", None, -500)
    ]


def test_an_amount_that_differs_is_reported(history, fake_stripe):
    charge = next(row for row in fake_stripe.balance if row["type"] == "charge")
    charge["amount"] += 1
    (difference,) = reconcile(**_window()).differences
    assert (difference.ledger_minor, difference.stripe_minor) == (4000, 4001)
    assert difference.tenant == "acme"


def test_the_command_exits_with_1_on_a_difference(history, fake_stripe, capsys):
    fake_stripe._ledger("transfer", -700, "tr_manual")
    with pytest.raises(SystemExit) as ended:
        call_command("billing_reconcile", "--days", "1")
    assert ended.value.code == 1
    assert "tr_manual" in capsys.readouterr().out


def test_the_command_reports_a_clean_window(history, fake_stripe, capsys):
    call_command("billing_reconcile", "--days", "1")
    assert "4 matched, 0 different" in capsys.readouterr().out
