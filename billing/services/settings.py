"""The agency's billing settings and its tutors' pay rates (owners and admins of an agency).

How the agency is paid (its own account, or each tutor's), its commission (a share of
each payment, or the difference between the price and the tutor's pay), how its
invoices are numbered and branded. The marketplace has no agency, so no commission and
no settings. Changes apply to payments opened afterwards: each payment keeps the split
it was opened with, each invoice the prefix it was issued with.
"""

from __future__ import annotations

import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction

from accounts.models import Membership
from audit.services import audit_record
from billing.fees import Split, platform_fee_basis_points, split
from billing.models import BillingSettings, TutorPayRate
from crm.guards import require_manager
from crm.models import TutorProfile
from crm.validation import UNSET
from tenants.models import Tenant

__all__ = [
    "DETAILS_LIMIT",
    "PAY_LIMIT_MINOR",
    "PREFIX_LIMIT",
    "billing_settings_update",
    "billing_split_example",
    "pay_rate_delete",
    "pay_rate_set",
]

PREFIX_LIMIT = 12
# Uppercase letters, digits and inner dashes: numbers print as ``<prefix>-000042``.
PREFIX_PATTERN = re.compile(r"^[A-Z0-9](?:[A-Z0-9-]{0,10}[A-Z0-9])?$")
COLOR_PATTERN = re.compile(r"^#[0-9a-fA-F]{6}$")
CURRENCY_PATTERN = re.compile(r"^[A-Z]{3}$")
DETAILS_LIMIT = 2000
# An hour's pay, in minor units: room for zero-decimal currencies, far below the column's.
PAY_LIMIT_MINOR = 100_000_000

Route = BillingSettings.PayoutRoute
Mode = BillingSettings.CommissionMode


def _require_agency_manager(actor: Membership | None) -> Membership:
    actor = require_manager(actor)
    if actor.tenant.kind != Tenant.Kind.AGENCY:
        raise PermissionDenied("Only agencies have billing settings.")
    return actor


def _choice(errors: dict, field: str, value: Any, choices) -> str:
    if not isinstance(value, str) or value not in choices.values:
        errors[field] = [f"Choose one of: {', '.join(choices.values)}."]
        return ""
    return value


def _commission(errors: dict, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10000:
        errors["commission_basis_points"] = [
            "Enter a whole number of basis points from 0 to 10000 (0 % to 100 %)."
        ]
        return 0
    platform = platform_fee_basis_points()
    if value + platform > 10000:
        most = (10000 - platform) / 100
        message = (
            f"With the platform's fee of {platform / 100:g} %, the agency's share can be at "
            f"most {most:g} %."
        )
        errors["commission_basis_points"] = [message]
    return value


def _prefix(errors: dict, value: Any) -> str:
    text = value.strip().upper() if isinstance(value, str) else ""
    if not PREFIX_PATTERN.match(text):
        message = (
            f"Use 1 to {PREFIX_LIMIT} uppercase letters, digits and dashes, "
            "starting and ending with a letter or digit."
        )
        errors["invoice_prefix"] = [message]
    return text


def _color(errors: dict, value: Any) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not COLOR_PATTERN.match(text):
        errors["brand_color"] = ["Enter a colour as #rrggbb, for example #1f4e79."]
    return text.lower()


def _details(errors: dict, value: Any) -> str:
    if not isinstance(value, str) or len(value) > DETAILS_LIMIT:
        errors["invoice_details"] = [f"At most {DETAILS_LIMIT} characters."]
        return ""
    return value.strip()


@transaction.atomic
def billing_settings_update(
    *,
    actor: Membership,
    payout_route: str = UNSET,
    commission_mode: str = UNSET,
    commission_basis_points: int = UNSET,
    invoice_prefix: str = UNSET,
    brand_color: str = UNSET,
    invoice_details: str = UNSET,
    request=None,
) -> BillingSettings:
    """Change the fields given (owners and admins of an agency); the others stay as they are."""
    actor = _require_agency_manager(actor)
    checks = {
        "payout_route": lambda errors, v: _choice(errors, "payout_route", v, Route),
        "commission_mode": lambda errors, v: _choice(errors, "commission_mode", v, Mode),
        "commission_basis_points": _commission,
        "invoice_prefix": _prefix,
        "brand_color": _color,
        "invoice_details": _details,
    }
    values = {
        "payout_route": payout_route,
        "commission_mode": commission_mode,
        "commission_basis_points": commission_basis_points,
        "invoice_prefix": invoice_prefix,
        "brand_color": brand_color,
        "invoice_details": invoice_details,
    }
    BillingSettings.current()
    row = BillingSettings.objects.select_for_update().get(pk=1)
    errors: dict[str, list[str]] = {}
    changes = {
        field: checks[field](errors, value) for field, value in values.items() if value is not UNSET
    }
    if errors:
        raise ValidationError(errors)
    changed = [field for field, value in changes.items() if getattr(row, field) != value]
    if changed:
        for field in changed:
            setattr(row, field, changes[field])
        row.save(update_fields=[*changed, "updated_at"])
        audit_record(
            action="billing.settings.updated",
            actor=actor.user,
            tenant=actor.tenant,
            target=row,
            data={"changes": {field: changes[field] for field in sorted(changed)}},
            request=request,
        )
    return row


def _tutor_here(tutor: TutorProfile) -> TutorProfile:
    found = TutorProfile.objects.filter(pk=getattr(tutor, "pk", None)).first()
    if found is None:
        raise ValidationError({"tutor": ["No such tutor in this agency."]})
    return found


@transaction.atomic
def pay_rate_set(
    *,
    actor: Membership,
    tutor: TutorProfile,
    hourly_pay_minor: int,
    currency: str = "",
    request=None,
) -> TutorPayRate:
    """Set what ``tutor`` is paid an hour (in minor units), for rate-difference commission."""
    actor = _require_agency_manager(actor)
    tutor = _tutor_here(tutor)
    errors: dict[str, list[str]] = {}
    if (
        isinstance(hourly_pay_minor, bool)
        or not isinstance(hourly_pay_minor, int)
        or not 0 <= hourly_pay_minor <= PAY_LIMIT_MINOR
    ):
        errors["hourly_pay_minor"] = [f"Enter a whole number from 0 to {PAY_LIMIT_MINOR}."]
    code = (currency or actor.tenant.default_currency) if isinstance(currency, str) else ""
    code = code.strip().upper()
    if not CURRENCY_PATTERN.match(code):
        errors["currency"] = ["Enter a three-letter ISO currency code, for example GBP."]
    if errors:
        raise ValidationError(errors)
    row = TutorPayRate.objects.select_for_update().filter(tutor=tutor).first()
    before = (row.hourly_pay_minor, row.currency) if row else None
    if row is None:
        row = TutorPayRate(tutor=tutor)
    row.hourly_pay_minor = hourly_pay_minor
    row.currency = code
    if before != (hourly_pay_minor, code):
        row.save()
        audit_record(
            action="billing.pay_rate.set",
            actor=actor.user,
            tenant=actor.tenant,
            target=row,
            data={"tutor": tutor.pk, "from": before, "to": [hourly_pay_minor, code]},
            request=request,
        )
    return row


@transaction.atomic
def pay_rate_delete(*, actor: Membership, tutor: TutorProfile, request=None) -> bool:
    """Remove ``tutor``'s pay rate (their classes then fall back to the share); True if one was."""
    actor = _require_agency_manager(actor)
    tutor = _tutor_here(tutor)
    row = TutorPayRate.objects.select_for_update().filter(tutor=tutor).first()
    if row is None:
        return False
    audit_record(
        action="billing.pay_rate.deleted",
        actor=actor.user,
        tenant=actor.tenant,
        target=row,
        data={"tutor": tutor.pk, "from": [row.hourly_pay_minor, row.currency]},
        request=request,
    )
    row.delete()
    return True


def billing_split_example(*, amount_minor: int, tutor_pay_minor: int | None = None) -> Split:
    """How a payment of ``amount_minor`` would be split under the current settings.

    ``tutor_pay_minor`` is the tutor's pay for that class (rate-difference commission);
    without it the agency's share applies, as it does for a tutor with no pay rate.
    """
    tenant = connection.tenant
    row = BillingSettings.current()
    return split(
        amount=amount_minor,
        platform_basis_points=platform_fee_basis_points(tenant),
        has_agency=tenant.kind == Tenant.Kind.AGENCY,
        mode=row.commission_mode,
        commission_basis_points=row.commission_basis_points,
        tutor_pay=tutor_pay_minor,
        payout_route=row.payout_route,
    )
