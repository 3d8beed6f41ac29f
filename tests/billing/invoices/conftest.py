"""Receipts and credit notes of Theo's classes with Sam, in acme.

``paid()`` makes a paid class (a payment with its ledger rows, ``payment_in``), each an
hour after the last; ``issue`` runs the invoice services inside acme; ``people`` is
everyone around Theo and Sam and some who are not.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django_tenants.utils import tenant_context
from weasyprint.formatting_structure import boxes

from accounts.models import Membership
from billing.models import Invoice, Payment, Refund
from billing.services.invoices import invoice_issue_credit_note, invoice_issue_receipt
from crm.models import ParentLink

# A Monday at 14:00 in London, long past.
FIRST_CLASS = dt.datetime(2025, 3, 3, 14, 0, tzinfo=dt.UTC)


@pytest.fixture
def paid(acme, tutor_profile, student_profile, booked, payment_in):
    """``paid(student=Sam, status="held", **session_fields)`` → a Payment of a new class."""
    made = []

    def make(student=None, status: str = Payment.Status.HELD, **fields) -> Payment:
        start = FIRST_CLASS + dt.timedelta(hours=2 * len(made))
        session = booked(tutor_profile, student or student_profile, start, **fields)
        payment = payment_in(session, status)
        made.append(payment)
        return payment

    return make


class Issuer:
    def __init__(self, tenant):
        self.tenant = tenant

    def receipt(self, payment: Payment) -> Invoice:
        with tenant_context(self.tenant):
            return invoice_issue_receipt(payment)

    def refund(self, payment: Payment, amount: int | None = None, status="succeeded") -> Refund:
        with tenant_context(self.tenant):
            return Refund.objects.create(
                payment=payment,
                kind=Refund.Kind.MANUAL,
                amount_minor=amount or payment.amount_minor,
                currency=payment.currency,
                reason="Cancelled by the tutor.",
                status=status,
                idempotency_key=f"test-refund-{payment.pk}-{Refund.objects.count()}",
            )

    def credit_note(self, refund: Refund) -> Invoice:
        with tenant_context(self.tenant):
            return invoice_issue_credit_note(refund)

    def numbers(self) -> list[int]:
        with tenant_context(self.tenant):
            return sorted(Invoice.objects.values_list("number", flat=True))

    def reload(self, invoice: Invoice) -> Invoice:
        with tenant_context(self.tenant):
            return Invoice.objects.get(pk=invoice.pk)


@pytest.fixture
def issue(acme) -> Issuer:
    return Issuer(acme)


@pytest.fixture
def people(acme, member, teacher, learner, owner, tutor, student, student_profile, parent):
    """Everyone in acme around Theo and Sam (Pat, a parent linked to Sam), and people who
    are on other classes or none."""
    with tenant_context(acme):
        ParentLink.objects.create(
            student=student_profile, parent=parent.user, email=parent.user.email
        )
    other_student, other_profile = learner(first_name="Otto", email="otto@acme.test")
    return SimpleNamespace(
        owner=owner,
        admin=member(acme, Membership.Role.ADMIN),
        staff=member(acme, Membership.Role.STAFF),
        tutor=tutor,
        other_tutor=teacher(acme, first_name="Olga", email="olga@acme.test")[0],
        student=student,
        parent=parent,
        other_student=other_student,
        other_profile=other_profile,
        other_parent=member(acme, Membership.Role.PARENT, first_name="Quinn"),
    )


def pdf_text(document) -> str:
    """The words laid out on a WeasyPrint document's pages, in reading order."""

    def walk(box):
        if isinstance(box, boxes.TextBox):
            yield box.text
        for child in getattr(box, "children", ()) or ():
            yield from walk(child)

    return " ".join(text for page in document.pages for text in walk(page._page_box))
