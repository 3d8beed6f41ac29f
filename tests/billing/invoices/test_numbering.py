"""Receipts and credit notes share one gapless sequence per tenant, and each payment or
refund gets its document once."""

from __future__ import annotations

import pytest
from django.db import transaction
from django_tenants.utils import tenant_context

from audit.models import AuditEntry
from billing.models import BillingSettings, Invoice
from billing.services.invoices import invoice_issue_receipt
from config.errors import ApplicationError

pytestmark = pytest.mark.django_db


def test_receipts_are_numbered_one_after_another_from_the_settings_counter(acme, paid, issue):
    with tenant_context(acme):
        BillingSettings.objects.filter(pk=1).delete()  # a tenant that never saved settings

    receipts = [issue.receipt(paid()) for _ in range(3)]

    assert [r.number for r in receipts] == [1, 2, 3]
    assert [r.display_number for r in receipts] == ["INV-000001", "INV-000002", "INV-000003"]
    with tenant_context(acme):
        assert BillingSettings.objects.get(pk=1).invoice_next_number == 4


def test_numbering_continues_from_the_prefix_and_number_the_agency_set(acme, paid, issue):
    with tenant_context(acme):
        BillingSettings.current()
        BillingSettings.objects.filter(pk=1).update(invoice_prefix="ACME", invoice_next_number=500)

    first, second = issue.receipt(paid()), issue.receipt(paid())

    assert (first.display_number, second.display_number) == ("ACME-000500", "ACME-000501")


def test_a_counter_set_back_below_a_used_number_does_not_reuse_it(acme, paid, issue):
    issue.receipt(paid())
    issue.receipt(paid())
    with tenant_context(acme):
        BillingSettings.objects.filter(pk=1).update(invoice_next_number=1)

    assert issue.receipt(paid()).number == 3


def test_a_payment_transaction_that_rolls_back_gives_its_number_back(acme, paid, issue):
    first, lost, next_payment = paid(), paid(), paid()
    issue.receipt(first)

    def failing_payment_transaction():
        with transaction.atomic():
            invoice_issue_receipt(lost)
            raise RuntimeError("the payment's transaction failed after the receipt")

    with tenant_context(acme):
        with pytest.raises(RuntimeError):
            failing_payment_transaction()
        assert not Invoice.objects.filter(payment=lost).exists()

    assert issue.receipt(next_payment).number == 2
    assert issue.receipt(lost).number == 3
    assert issue.numbers() == [1, 2, 3]


def test_issuing_a_receipt_twice_returns_the_first(acme, paid, issue):
    payment = paid()

    first = issue.receipt(payment)
    again = issue.receipt(payment)

    assert again.pk == first.pk
    assert issue.numbers() == [1]
    with tenant_context(acme):
        assert AuditEntry.objects.filter(action="billing.invoice.issued").count() == 1


def test_a_receipt_says_who_paid_for_what_and_when_in_the_agencys_zone(
    acme, paid, issue, student, maths
):
    receipt = issue.receipt(paid(price_minor=4550))

    assert receipt.kind == Invoice.Kind.RECEIPT
    assert (receipt.amount_minor, receipt.currency) == (4550, "GBP")
    assert receipt.billed_to_email == student.user.email
    assert receipt.billed_to_name == student.user.get_full_name()
    # 14:00 UTC on 3 March 2025 is 14:00 GMT in London (acme's zone).
    assert receipt.description == "Mathematics with Theo Turner, Mon 3 Mar 2025, 14:00 GMT"
    assert receipt.prefix == "INV"
    assert receipt.issued_at is not None


def test_the_description_follows_the_agencys_time_zone(acme, paid, issue):
    acme.time_zone = "Asia/Tokyo"
    acme.save(update_fields=["time_zone"])

    receipt = issue.receipt(paid())

    assert receipt.description.endswith("Mon 3 Mar 2025, 23:00 JST")


def test_a_parent_who_paid_is_billed_rather_than_the_student(acme, paid, issue, parent):
    payment = paid()
    with tenant_context(acme):
        payment.payer = parent.user
        payment.save(update_fields=["payer"])

    receipt = issue.receipt(payment)

    assert (receipt.billed_to_name, receipt.billed_to_email) == (
        "Pat Parent",
        parent.user.email,
    )


def test_a_child_without_an_account_is_billed_through_the_linked_parent(
    acme, paid, issue, child, parent
):
    payment = paid(student=child)
    with tenant_context(acme):
        payment.payer = None
        payment.save(update_fields=["payer"])

    receipt = issue.receipt(payment)

    assert receipt.billed_to_email == parent.user.email


def test_a_payment_not_yet_made_gets_no_receipt(acme, paid, issue):
    payment = paid(status="awaiting_payment")

    with pytest.raises(ApplicationError) as refused:
        issue.receipt(payment)

    assert refused.value.code == "payment_not_paid"
    assert issue.numbers() == []
