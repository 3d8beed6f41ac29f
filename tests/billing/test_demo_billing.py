"""The demo has a paid-and-released class, a held one, one awaiting payment and a refunded
cancellation, with a ledger that adds up and invoices for each payment."""

from __future__ import annotations

import pytest
from django.db.models import Sum
from django_tenants.utils import tenant_context

from billing import ledger
from billing.models import Invoice, LedgerEntry, Payment
from demo.seed import demo_seed
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def test_demo_payments_cover_every_state_and_the_books_balance():
    demo_seed()
    demo_seed()  # nothing below is doubled
    with tenant_context(Tenant.objects.get(slug="acme")):
        states = sorted(Payment.objects.values_list("status", flat=True))
        assert states == ["awaiting_payment", "awaiting_payment", "held", "refunded", "released"]
        released = Payment.objects.get(status="released")
        assert released.session.status == "completed"
        assert LedgerEntry.objects.aggregate(total=Sum("amount_minor"))["total"] == 0
        (wallet,) = ledger.wallet_for()
        held = Payment.objects.get(status="held")
        assert wallet.available_minor == (
            released.tutor_earnings_minor + released.agency_commission_minor
        )
        assert wallet.pending_minor == held.agency_commission_minor
        kinds = sorted(Invoice.objects.values_list("kind", flat=True))
        assert kinds == ["credit_note", "receipt", "receipt", "receipt"]
        numbers = sorted(Invoice.objects.values_list("number", flat=True))
        assert numbers == [1, 2, 3, 4]
