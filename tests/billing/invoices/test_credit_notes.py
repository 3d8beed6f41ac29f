"""A refund that went through gets a credit note: next number, refers to the receipt."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from billing.models import Invoice
from config.errors import ApplicationError

pytestmark = pytest.mark.django_db


def test_a_refund_gets_a_credit_note_numbered_after_the_receipt(acme, paid, issue):
    payment = paid(price_minor=4000)
    receipt = issue.receipt(payment)
    refund = issue.refund(payment, amount=1500)

    note = issue.credit_note(refund)

    assert note.kind == Invoice.Kind.CREDIT_NOTE
    assert note.number == receipt.number + 1
    assert note.refund_id == refund.pk
    assert note.payment_id == payment.pk
    assert (note.amount_minor, note.currency) == (1500, "GBP")
    assert note.description == f"Refund for INV-000001: {receipt.description}"
    assert (note.billed_to_name, note.billed_to_email) == (
        receipt.billed_to_name,
        receipt.billed_to_email,
    )


def test_issuing_a_credit_note_twice_returns_the_first(paid, issue):
    payment = paid()
    issue.receipt(payment)
    refund = issue.refund(payment)

    first = issue.credit_note(refund)
    again = issue.credit_note(refund)

    assert again.pk == first.pk
    assert issue.numbers() == [1, 2]


def test_each_partial_refund_gets_its_own_credit_note(paid, issue):
    payment = paid(price_minor=4000)
    issue.receipt(payment)

    notes = [issue.credit_note(issue.refund(payment, amount=1000)) for _ in range(2)]

    assert [n.number for n in notes] == [2, 3]


def test_a_refund_without_a_receipt_gets_the_receipt_first(acme, paid, issue):
    payment = paid()
    refund = issue.refund(payment)

    note = issue.credit_note(refund)

    with tenant_context(acme):
        receipt = Invoice.objects.get(payment=payment, kind=Invoice.Kind.RECEIPT)
    assert (receipt.number, note.number) == (1, 2)


@pytest.mark.parametrize("status", ["pending", "failed"])
def test_a_refund_that_has_not_gone_through_gets_no_credit_note(paid, issue, status):
    payment = paid()
    issue.receipt(payment)

    with pytest.raises(ApplicationError) as refused:
        issue.credit_note(issue.refund(payment, status=status))

    assert refused.value.code == "refund_not_succeeded"
    assert issue.numbers() == [1]
