"""Reconciliation: the ledger against Stripe's balance transactions of the platform.

Every ledger movement that touched the platform's Stripe balance names its Stripe object
(``LedgerTransaction.stripe_object``). Its effect on that balance is what left or entered
the platform through the outside world and the payees' wallets: a charge adds the amount,
a transfer or a refund takes it, a reversal gives it back; releases of the platform's
fee and payouts from connected accounts do not touch it. Stripe's balance transactions
of the same window are summed per source object (gross ``amount``; Stripe's processing
fees are its ``fee`` and not part of the comparison), and every object whose two sides
differ is reported.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, Sum
from django_tenants.utils import get_public_schema_name, tenant_context

from billing.models import LedgerEntry
from connect import gateway
from tenants.models import Tenant

__all__ = ["Difference", "Report", "reconcile"]

# Stripe objects the platform's ledger books.
BOOKED_PREFIXES = ("ch_", "py_", "tr_", "trr_", "re_", "pyr_", "dp_")
# Ledger is read a day either side of the window, so a movement booked a little before or
# after Stripe dated it is still found.
SLACK = dt.timedelta(days=1)


@dataclass(frozen=True)
class Difference:
    stripe_object: str
    ledger_minor: int | None
    stripe_minor: int | None
    tenant: str

    def __str__(self) -> str:
        if self.ledger_minor is None:
            return f"{self.stripe_object}: at Stripe ({self.stripe_minor}), not in the ledger"
        if self.stripe_minor is None:
            return (
                f"{self.stripe_object}: in the ledger of {self.tenant} "
                f"({self.ledger_minor}), not at Stripe"
            )
        return (
            f"{self.stripe_object}: ledger of {self.tenant} says {self.ledger_minor}, "
            f"Stripe says {self.stripe_minor}"
        )


@dataclass
class Report:
    start: dt.datetime
    end: dt.datetime
    matched: int = 0
    differences: list[Difference] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.differences


def _ledger_effects(start: dt.datetime, end: dt.datetime) -> dict[str, tuple[int, str, bool]]:
    """stripe object → (effect on the platform balance, tenant, booked inside the window)."""
    effects: dict[str, tuple[int, str, bool]] = {}
    tenants = Tenant.objects.exclude(schema_name=get_public_schema_name()).order_by("pk")
    for tenant in tenants:
        with tenant_context(tenant):
            rows = (
                LedgerEntry.objects.filter(
                    transaction__created_at__gte=start - SLACK,
                    transaction__created_at__lt=end + SLACK,
                )
                .exclude(transaction__stripe_object="")
                .filter(Q(account__startswith="wallet:") | Q(account__startswith="external:"))
                .values("transaction__stripe_object", "transaction__created_at")
                .annotate(total=Sum("amount_minor"))
            )
            for row in rows:
                key = row["transaction__stripe_object"]
                inside = start <= row["transaction__created_at"] < end
                total, _, was_inside = effects.get(key, (0, tenant.schema_name, False))
                effects[key] = (total - row["total"], tenant.schema_name, was_inside or inside)
    return effects


def reconcile(*, start: dt.datetime, end: dt.datetime) -> Report:
    report = Report(start=start, end=end)
    at_stripe: dict[str, int] = defaultdict(int)
    for row in gateway.balance_transactions(
        created_gte=int(start.timestamp()), created_lt=int(end.timestamp())
    ):
        source = row.get("source") or ""
        if isinstance(source, dict):
            source = source.get("id", "")
        if source.startswith(BOOKED_PREFIXES):
            at_stripe[source] += int(row["amount"])
    booked = _ledger_effects(start, end)
    for source, amount in sorted(at_stripe.items()):
        if source not in booked:
            report.differences.append(Difference(source, None, amount, ""))
            continue
        effect, tenant, _ = booked[source]
        if effect != amount:
            report.differences.append(Difference(source, effect, amount, tenant))
        else:
            report.matched += 1
    for source, (effect, tenant, inside) in sorted(booked.items()):
        if source not in at_stripe and inside and effect != 0:
            report.differences.append(Difference(source, effect, None, tenant))
    return report
