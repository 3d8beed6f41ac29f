"""Posting movements to the double-entry ledger and reading balances from it.

A movement is posted once: its ``key`` is unique, so posting it again (a webhook and a
redirect both reporting one payment, a retried task) returns the first posting and
writes nothing. Entries must sum to zero per currency; the database checks it again at
commit (``billing/migrations/0002``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Q, Sum

from billing.models import LedgerEntry, LedgerTransaction, Payment

__all__ = [
    "EXTERNAL_BANK",
    "EXTERNAL_PAYER",
    "HELD_AGENCY",
    "HELD_PLATFORM",
    "PLATFORM_REVENUE",
    "WALLET_AGENCY",
    "Wallet",
    "held_tutor",
    "payment_held",
    "post",
    "wallet_for",
    "wallet_tutor",
]

EXTERNAL_PAYER = "external:payer"
EXTERNAL_BANK = "external:bank"
HELD_AGENCY = "held:agency"
HELD_PLATFORM = "held:platform"
WALLET_AGENCY = "wallet:agency"
PLATFORM_REVENUE = "platform:revenue"


def held_tutor(tutor_id: int) -> str:
    return f"held:tutor:{tutor_id}"


def wallet_tutor(tutor_id: int) -> str:
    return f"wallet:tutor:{tutor_id}"


def post(
    *,
    kind: str,
    key: str,
    currency: str,
    entries: list[tuple[str, int]],
    payment: Payment | None = None,
    stripe_object: str = "",
    memo: str = "",
) -> LedgerTransaction:
    """Post one balanced movement (once per ``key``); zero entries are left out."""
    lines = [(account, amount) for account, amount in entries if amount]
    if sum(amount for _, amount in lines) != 0:
        raise ValueError(f"Unbalanced ledger movement {key}: {lines}")
    existing = LedgerTransaction.objects.filter(key=key).first()
    if existing is not None:
        return existing
    try:
        with transaction.atomic():
            movement = LedgerTransaction.objects.create(
                kind=kind, key=key, payment=payment, stripe_object=stripe_object, memo=memo
            )
            LedgerEntry.objects.bulk_create(
                LedgerEntry(transaction=movement, account=a, amount_minor=n, currency=currency)
                for a, n in lines
            )
    except IntegrityError:
        return LedgerTransaction.objects.get(key=key)
    return movement


def payment_held(payment: Payment) -> dict[str, int]:
    """What of ``payment`` is still held on the platform, by ``held:*`` account."""
    rows = (
        LedgerEntry.objects.filter(transaction__payment=payment, account__startswith="held:")
        .values("account")
        .annotate(total=Sum("amount_minor"))
    )
    return {row["account"]: row["total"] for row in rows if row["total"]}


@dataclass(frozen=True)
class Wallet:
    currency: str
    pending_minor: int  # earned on classes still held (not yet released)
    available_minor: int  # released to the connected account, not yet paid out
    paid_out_minor: int


def wallet_for(*, tutor_id: int | None = None) -> list[Wallet]:
    """A tutor's wallet (``tutor_id``) or the agency's, one per currency; one query."""
    if tutor_id is not None:
        held, wallet = held_tutor(tutor_id), wallet_tutor(tutor_id)
    else:
        held, wallet = HELD_AGENCY, WALLET_AGENCY
    rows = (
        LedgerEntry.objects.filter(account__in=(held, wallet))
        .values("currency")
        .annotate(
            pending=Sum("amount_minor", filter=Q(account=held), default=0),
            available=Sum("amount_minor", filter=Q(account=wallet), default=0),
            paid_out=Sum(
                "amount_minor",
                filter=Q(account=wallet, amount_minor__lt=0, transaction__kind="payout"),
                default=0,
            ),
        )
        .order_by("currency")
    )
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for row in rows:
        totals[row["currency"]] = [row["pending"], row["available"], -row["paid_out"]]
    return [Wallet(c, *values) for c, values in sorted(totals.items())]
