"""The ledger: balanced movements only, each posted once, never deleted; wallets are sums."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import tenant_context

from billing import ledger
from billing.models import LedgerEntry, LedgerTransaction

pytestmark = pytest.mark.django_db(transaction=False)


def _charge(key: str, tutor_id: int = 7, amount: int = 5000) -> LedgerTransaction:
    return ledger.post(
        kind="charge",
        key=key,
        currency="GBP",
        entries=[
            (ledger.EXTERNAL_PAYER, -amount),
            (ledger.held_tutor(tutor_id), amount - 500),
            (ledger.HELD_PLATFORM, 500),
        ],
    )


def test_posting_the_same_movement_twice_writes_it_once(acme):
    with tenant_context(acme):
        first = _charge("charge:ch_1")
        again = _charge("charge:ch_1")
        assert again.pk == first.pk
        assert LedgerEntry.objects.count() == 3


def test_an_unbalanced_movement_is_refused_before_writing(acme):
    with tenant_context(acme), pytest.raises(ValueError, match="Unbalanced"):
        ledger.post(kind="charge", key="x", currency="GBP", entries=[(ledger.EXTERNAL_PAYER, -5)])


def test_the_database_refuses_to_commit_an_unbalanced_movement(acme):
    with tenant_context(acme):
        movement = LedgerTransaction.objects.create(kind="charge", key="raw")
        with transaction.atomic():
            LedgerEntry.objects.create(
                transaction=movement, account="held:platform", amount_minor=10, currency="GBP"
            )
            # The deferred trigger runs when the constraints are checked (at commit).
            with connection.cursor() as cursor, pytest.raises(IntegrityError, match="balance"):
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            transaction.set_rollback(True)


def test_ledger_entries_cannot_be_deleted(acme):
    with tenant_context(acme):
        _charge("charge:ch_2")
        with pytest.raises(IntegrityError, match="never changed or deleted"), transaction.atomic():
            LedgerEntry.objects.all().delete()


def test_a_wallet_is_the_sum_of_its_entries(acme):
    with tenant_context(acme):
        _charge("charge:a", amount=5000)
        _charge("charge:b", amount=3000)
        ledger.post(
            kind="release",
            key="transfer:tr_1",
            currency="GBP",
            entries=[(ledger.held_tutor(7), -4500), (ledger.wallet_tutor(7), 4500)],
        )
        ledger.post(
            kind="payout",
            key="payout:po_1",
            currency="GBP",
            entries=[(ledger.wallet_tutor(7), -1000), (ledger.EXTERNAL_BANK, 1000)],
        )
        (wallet,) = ledger.wallet_for(tutor_id=7)
        assert (wallet.pending_minor, wallet.available_minor, wallet.paid_out_minor) == (
            2500,
            3500,
            1000,
        )
        assert ledger.wallet_for(tutor_id=8) == []
