"""Two clicks at once, each on its own database connection, make one Stripe account.

These tests commit (each thread's transaction must be visible to the other); the
tenant_factory drops the agencies they made.
"""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django_tenants.utils import tenant_context

from connect import services
from connect.models import ConnectedAccount
from tests.billing.connect.conftest import account_creates, route

pytestmark = pytest.mark.django_db(transaction=True)

RACERS = 4


def _race(membership, owner: str) -> list[tuple[str, object]]:
    barrier = threading.Barrier(RACERS)
    outcomes: list[tuple[str, object]] = []
    lock = threading.Lock()

    def run() -> None:
        try:
            with tenant_context(membership.tenant):
                barrier.wait(timeout=60)
                outcome = ("done", services.account_start(actor=membership, owner=owner))
        except Exception as error:  # any failure is what we look for
            outcome = ("error", repr(error))
        finally:
            connection.close()
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=run) for _ in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def test_simultaneous_starts_for_an_agency_create_one_account(fake_stripe, acme, owner):
    try:
        outcomes = _race(owner, "agency")

        assert [kind for kind, _ in outcomes] == ["done"] * RACERS, outcomes
        assert ConnectedAccount.objects.filter(tenant=acme).count() == 1
        # The owner's lock, not only Stripe's idempotency, kept it to one creation.
        assert len(account_creates(fake_stripe)) == 1
        assert len({url for _, url in outcomes}) == RACERS
    finally:
        ConnectedAccount.objects.filter(tenant=acme).delete()


def test_simultaneous_starts_of_a_tutor_create_one_account(fake_stripe, acme, tutor):
    route(acme, "tutors")
    try:
        outcomes = _race(tutor, "me")

        assert [kind for kind, _ in outcomes] == ["done"] * RACERS, outcomes
        assert ConnectedAccount.objects.filter(user=tutor.user).count() == 1
        assert len(account_creates(fake_stripe)) == 1
    finally:
        ConnectedAccount.objects.filter(user=tutor.user).delete()
