"""Wallets: whose a wallet is (``payee_of``), its balances from the ledger, withdrawals.

A tutor's wallet is their own (``wallet:tutor:<id>``), the agency's (``wallet:agency``)
is managed by its owners and admins. Available money is what the ledger has in the
wallet less withdrawals asked for but not yet sent (``withdrawals_in_flight``).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.db import connection
from django.db.models import Q, QuerySet, Sum

from accounts.models import Membership
from billing import ledger
from billing.models import LedgerEntry, Transfer, Withdrawal
from connect.models import ConnectedAccount
from connect.selectors import account_of_tenant, account_of_user
from crm.models import TutorProfile

__all__ = [
    "Payee",
    "TutorWallet",
    "WalletBalance",
    "payee_of",
    "tutor_wallets",
    "wallet_balances",
    "withdrawal_list",
    "withdrawals_in_flight",
]

Role = Membership.Role
Recipient = Transfer.Recipient


@dataclass(frozen=True)
class Payee:
    """Who a wallet belongs to: a tutor (their own account) or the agency."""

    kind: str  # Withdrawal.payee: "tutor" or "agency"
    tutor: TutorProfile | None = None

    @property
    def account_name(self) -> str:
        """The ledger account of the money in the payee's connected account."""
        return ledger.wallet_tutor(self.tutor.pk) if self.tutor else ledger.WALLET_AGENCY

    @property
    def label(self) -> str:
        return self.tutor.full_name if self.tutor else connection.tenant.name

    def connected_account(self) -> ConnectedAccount | None:
        if self.tutor is not None:
            return account_of_user(self.tutor.user_id) if self.tutor.user_id else None
        return account_of_tenant(connection.tenant.pk)

    def withdrawals(self) -> QuerySet[Withdrawal]:
        return Withdrawal.objects.filter(payee=self.kind, tutor=self.tutor)


def payee_of(viewer: Membership) -> Payee | None:
    """The wallet ``viewer`` manages: a tutor their own, an owner or admin the agency's."""
    if viewer.role == Role.TUTOR:
        profile = TutorProfile.objects.filter(user_id=viewer.user_id).select_related("user").first()
        return Payee(kind=Recipient.TUTOR, tutor=profile) if profile else None
    if viewer.is_manager:
        return Payee(kind=Recipient.AGENCY)
    return None


@dataclass(frozen=True)
class WalletBalance:
    currency: str
    pending_minor: int  # earned on classes whose money is still held
    available_minor: int  # in the connected account, less withdrawals not yet sent
    in_flight_minor: int  # asked for, not yet sent to Stripe
    paid_out_minor: int


def withdrawals_in_flight(payee: Payee) -> dict[str, int]:
    """Per currency: what the payee asked to withdraw that is not yet in the ledger."""
    rows = (
        payee.withdrawals()
        .filter(status=Withdrawal.Status.REQUESTED)
        .values("currency")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )
    return {row["currency"]: row["total"] for row in rows}


def wallet_balances(payee: Payee) -> list[WalletBalance]:
    """The payee's wallet, one row per currency, from the ledger (two queries)."""
    in_flight = withdrawals_in_flight(payee)
    wallets = ledger.wallet_for(tutor_id=payee.tutor.pk if payee.tutor else None)
    return [
        WalletBalance(
            currency=w.currency,
            pending_minor=w.pending_minor,
            available_minor=w.available_minor - in_flight.get(w.currency, 0),
            in_flight_minor=in_flight.get(w.currency, 0),
            paid_out_minor=w.paid_out_minor,
        )
        for w in wallets
    ]


def withdrawal_list(*, payee: Payee) -> QuerySet[Withdrawal]:
    """The payee's withdrawals, newest first."""
    return payee.withdrawals().select_related("requested_by").order_by("-created_at", "-id")


@dataclass(frozen=True)
class TutorWallet:
    tutor: TutorProfile
    currency: str
    pending_minor: int
    available_minor: int


def tutor_wallets() -> list[TutorWallet]:
    """Each tutor's pending and available earnings in this tenant (two queries), for the
    agency's managers where tutors are paid to their own accounts."""
    rows = (
        LedgerEntry.objects.filter(
            Q(account__startswith="held:tutor:") | Q(account__startswith="wallet:tutor:")
        )
        .values("account", "currency")
        .annotate(total=Sum("amount_minor"))
        .order_by()
    )
    totals: dict[tuple[int, str], list[int]] = defaultdict(lambda: [0, 0])
    for row in rows:
        kind, _, tutor_id = row["account"].rpartition(":")
        slot = 0 if kind.startswith("held:") else 1
        totals[(int(tutor_id), row["currency"])][slot] += row["total"]
    tutors = TutorProfile.objects.select_related("user").in_bulk({key[0] for key in totals})
    found = [
        TutorWallet(tutors[tutor_id], currency, pending, available)
        for (tutor_id, currency), (pending, available) in totals.items()
        if tutor_id in tutors and (pending or available)
    ]
    return sorted(found, key=lambda w: (w.tutor.full_name.lower(), w.tutor.pk, w.currency))
