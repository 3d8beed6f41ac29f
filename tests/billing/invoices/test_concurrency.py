"""Issuers racing, each on its own database connection, still number without gaps or
repeats, and a payment raced by several issuers gets one receipt.

These tests commit (each thread's transaction must be visible to the others); the
tenant_factory drops the agencies they made.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection, transaction
from django_tenants.utils import tenant_context

from billing.models import BillingSettings, Invoice
from billing.services.invoices import invoice_issue_receipt

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 8
# Each issuer keeps its transaction open this long after taking a number, so the others
# must queue behind its lock rather than finish one by one by chance.
HOLD = 0.05


def _race(tenant, attempts: list[Callable[[], object]]) -> list[tuple[str, object]]:
    """Run every attempt at once, each in its own thread and connection.

    Returns ("done", result) or ("error", repr) per attempt.
    """
    barrier = threading.Barrier(len(attempts))
    outcomes: list[tuple[str, object]] = []
    lock = threading.Lock()

    def run(attempt) -> None:
        try:
            with tenant_context(tenant):
                barrier.wait(timeout=60)
                outcome = ("done", attempt())
        except Exception as error:  # any failure is what we look for
            outcome = ("error", repr(error))
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run, args=(attempt,)) for attempt in attempts]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def _issue(payment_pk: int, *, fail: bool = False):
    def attempt():
        from billing.models import Payment

        with transaction.atomic():
            receipt = invoice_issue_receipt(Payment.objects.get(pk=payment_pk))
            time.sleep(HOLD)
            if fail:
                raise RuntimeError("the payment's transaction failed")
        return (receipt.pk, receipt.number)

    return attempt


def test_simultaneous_payments_get_consecutive_numbers_without_repeats(acme, paid):
    with tenant_context(acme):
        BillingSettings.objects.filter(pk=1).delete()  # made by the first issuer to lock it
    payments = [paid() for _ in range(RACERS)]

    outcomes = _race(acme, [_issue(p.pk) for p in payments])

    assert [kind for kind, _ in outcomes] == ["done"] * RACERS, outcomes
    assert sorted(number for _, (_, number) in outcomes) == list(range(1, RACERS + 1))
    with tenant_context(acme):
        assert BillingSettings.objects.get(pk=1).invoice_next_number == RACERS + 1
        assert Invoice.objects.count() == RACERS


def test_a_payment_raced_by_several_issuers_gets_one_receipt(acme, paid):
    payment = paid()

    outcomes = _race(acme, [_issue(payment.pk) for _ in range(4)])

    assert [kind for kind, _ in outcomes] == ["done"] * 4, outcomes
    assert len({result for _, result in outcomes}) == 1
    with tenant_context(acme):
        assert list(Invoice.objects.values_list("number", flat=True)) == [1]
        assert BillingSettings.objects.get(pk=1).invoice_next_number == 2


def test_issuers_that_roll_back_leave_no_gap(acme, paid):
    payments = [paid() for _ in range(RACERS)]
    failing = {p.pk for p in payments[::2]}

    outcomes = _race(acme, [_issue(p.pk, fail=p.pk in failing) for p in payments])

    assert sorted(kind for kind, _ in outcomes) == ["done"] * 4 + ["error"] * 4, outcomes
    with tenant_context(acme):
        issued = Invoice.objects.order_by("number")
        assert [i.number for i in issued] == [1, 2, 3, 4]
        assert {i.payment_id for i in issued}.isdisjoint(failing)
        assert BillingSettings.objects.get(pk=1).invoice_next_number == 5
