"""Who gets what of a payment: the platform's fee, the agency's commission, the tutor's pay.

Pure arithmetic on integers of minor units. The platform's fee is a share of the
student's price (``connect.FeeTerms`` for the tenant, else ``PLATFORM_FEE_BASIS_POINTS``).
The agency's commission is either a share of the price or the difference between the
price and the tutor's pay for the class (``TutorPayRate``, pro rata); in the marketplace
there is no agency. Rounding is half up and whatever is left goes to the tutor, so the
three parts always add up to the price exactly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from billing.models import BillingSettings, TutorPayRate
from crm.models import TutorProfile

__all__ = ["Split", "allocate", "platform_fee_basis_points", "split", "split_for"]

Mode = BillingSettings.CommissionMode


@dataclass(frozen=True)
class Split:
    amount_minor: int
    platform_fee_minor: int
    agency_commission_minor: int
    tutor_earnings_minor: int
    platform_fee_basis_points: int
    payout_route: str


def _share(amount: int, basis_points: int) -> int:
    return (amount * basis_points + 5000) // 10000


def split(
    *,
    amount: int,
    platform_basis_points: int,
    has_agency: bool,
    mode: str = Mode.SHARE,
    commission_basis_points: int = 0,
    tutor_pay: int | None = None,
    payout_route: str = BillingSettings.PayoutRoute.TUTORS,
) -> Split:
    if amount < 0:
        raise ValueError("amount must not be negative")
    platform = min(_share(amount, platform_basis_points), amount)
    rest = amount - platform
    if not has_agency:
        agency = 0
    elif mode == Mode.RATE_DIFFERENCE and tutor_pay is not None:
        agency = rest - min(tutor_pay, rest)
    else:
        agency = min(_share(amount, commission_basis_points), rest)
    return Split(
        amount_minor=amount,
        platform_fee_minor=platform,
        agency_commission_minor=agency,
        tutor_earnings_minor=rest - agency,
        platform_fee_basis_points=platform_basis_points,
        payout_route=payout_route if has_agency else BillingSettings.PayoutRoute.TUTORS,
    )


def platform_fee_basis_points(tenant=None) -> int:
    """The platform's fee for ``tenant`` (the current one by default)."""
    from connect.models import FeeTerms

    tenant = tenant or connection.tenant
    terms = FeeTerms.objects.filter(tenant_id=tenant.pk).first()
    if terms is not None:
        return terms.platform_fee_basis_points
    return settings.PLATFORM_FEE_BASIS_POINTS


def split_for(*, tutor: TutorProfile, amount: int, currency: str, duration: dt.timedelta) -> Split:
    """The split of a class of ``tutor`` costing ``amount`` in the current tenant.

    A pay rate in another currency than the class's is not used (no exchange rates here):
    the agency's share then falls back to its commission share.
    """
    tenant = connection.tenant
    billing = BillingSettings.current()
    pay = None
    if billing.commission_mode == Mode.RATE_DIFFERENCE:
        rate = TutorPayRate.objects.filter(tutor=tutor, currency=currency).first()
        if rate is not None:
            minutes = int(duration.total_seconds() // 60)
            pay = (rate.hourly_pay_minor * minutes + 30) // 60
    return split(
        amount=amount,
        platform_basis_points=platform_fee_basis_points(tenant),
        has_agency=tenant.kind == tenant.Kind.AGENCY,
        mode=billing.commission_mode,
        commission_basis_points=billing.commission_basis_points,
        tutor_pay=pay,
        payout_route=billing.payout_route,
    )


def allocate(total: int, parts: list[int]) -> list[int]:
    """``total`` spread over ``parts`` in proportion (largest remainder), never above a part."""
    whole = sum(parts)
    if total > whole or total < 0:
        raise ValueError("cannot allocate more than the parts hold")
    if whole == 0:
        return [0] * len(parts)
    shares = [total * p // whole for p in parts]
    remainders = sorted(
        range(len(parts)), key=lambda i: (total * parts[i] % whole, parts[i]), reverse=True
    )
    for i in remainders[: total - sum(shares)]:
        shares[i] += 1
    return shares
