"""Receipts and credit notes: numbered per tenant without gaps, emailed once.

A number is taken from ``BillingSettings.invoice_next_number`` under that row's lock, in
the transaction that records the payment or the refund: the next issuer waits until it
commits or rolls back, so no two documents share a number, and a transaction that rolls
back gives its number back (no gaps). One receipt per payment and one credit note per
refund (database constraints): issuing again returns the document already issued.
What a document says is fixed when it is issued; its email is sent after commit.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.core.mail import EmailMultiAlternatives
from django.db import connection, transaction
from django.db.models import Max
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from audit.services import audit_record
from billing.models import BillingSettings, Invoice, Payment, Refund
from billing.pdf import invoice_filename, invoice_pdf, tenant_zone
from config.errors import ApplicationError
from scheduling.models import Session
from tenants.transactions import on_commit_in_tenant

__all__ = [
    "invoice_email_deliver",
    "invoice_issue_credit_note",
    "invoice_issue_receipt",
]

Kind = Invoice.Kind
DESCRIPTION_LIMIT = Invoice._meta.get_field("description").max_length
NAME_LIMIT = Invoice._meta.get_field("billed_to_name").max_length


def _billing_locked() -> BillingSettings:
    """The tenant's billing settings, locked until the transaction ends."""
    # A row that does not exist cannot be locked: make it first (get_or_create survives
    # a concurrent insert), then lock it.
    BillingSettings.objects.get_or_create(pk=1)
    return BillingSettings.objects.select_for_update().get(pk=1)


def _number_take(billing: BillingSettings) -> int:
    """The next number (under ``billing``'s lock), and move the counter past it."""
    # A counter set back below a number already used must not collide with it.
    highest = Invoice.objects.aggregate(highest=Max("number"))["highest"] or 0
    number = max(billing.invoice_next_number, highest + 1)
    billing.invoice_next_number = number + 1
    billing.save(update_fields=["invoice_next_number", "updated_at"])
    return number


def _billed_to(payment: Payment) -> tuple[str, str]:
    """(name, email) of who paid: the payer's account, else the student (or, for a child
    without an account, a linked parent)."""
    student = payment.student
    for user in (payment.payer, student.user):
        if user is not None:
            return (user.get_full_name() or user.email)[:NAME_LIMIT], user.email
    if student.email:
        return (student.full_name or student.email)[:NAME_LIMIT], student.email
    link = (
        student.parent_links.filter(parent__isnull=False)
        .select_related("parent")
        .order_by("id")
        .first()
    )
    if link is not None:
        return (link.parent.get_full_name() or link.parent.email)[:NAME_LIMIT], link.parent.email
    return student.full_name[:NAME_LIMIT], ""


def _description(session: Session) -> str:
    """ "Mathematics with Theo Turner, Mon 3 Mar 2025, 14:00 GMT" (the tenant's zone)."""
    local = timezone.localtime(session.starts_at, tenant_zone())
    when = f"{local:%a} {local.day} {local:%b %Y}, {local:%H:%M} {local.tzname()}"
    return f"{session.subject.name} with {session.tutor.full_name}, {when}"[:DESCRIPTION_LIMIT]


def _email_after_commit(invoice: Invoice) -> None:
    if invoice.billed_to_email:
        from billing.tasks_invoices import invoice_email_send

        invoice_id = invoice.pk
        on_commit_in_tenant(lambda: invoice_email_send.delay(invoice_id))


def _receipt_of(payment_id: int) -> Invoice | None:
    return Invoice.objects.filter(payment_id=payment_id, kind=Kind.RECEIPT).first()


@transaction.atomic
def invoice_issue_receipt(payment: Payment) -> Invoice:
    """The receipt of a paid payment, issued once (numbered, then emailed after commit).

    Called in the transaction that records the payment; calling it again returns the
    receipt already issued.
    """
    existing = _receipt_of(payment.pk)
    if existing is not None:
        return existing
    payment = Payment.objects.select_related(
        "payer", "student__user", "session__subject", "session__tutor__user"
    ).get(pk=payment.pk)
    if not payment.paid_at:
        raise ApplicationError(
            "A receipt is issued only for a payment that has been made.",
            code="payment_not_paid",
            status=409,
        )
    billing = _billing_locked()
    # Another issuer of this payment may have committed while we waited for the lock.
    existing = _receipt_of(payment.pk)
    if existing is not None:
        return existing
    name, email = _billed_to(payment)
    invoice = Invoice.objects.create(
        number=_number_take(billing),
        kind=Kind.RECEIPT,
        payment=payment,
        prefix=billing.invoice_prefix,
        billed_to_name=name,
        billed_to_email=email,
        description=_description(payment.session),
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        issued_at=timezone.now(),
    )
    audit_record(
        action="billing.invoice.issued",
        target=invoice,
        data={"number": invoice.display_number, "kind": invoice.kind, "payment": payment.pk},
    )
    _email_after_commit(invoice)
    return invoice


@transaction.atomic
def invoice_issue_credit_note(refund: Refund) -> Invoice:
    """The credit note of a refund that succeeded, issued once; it refers to the payment's
    receipt (issued first if it is missing) and goes to the same person."""
    try:
        return Invoice.objects.get(refund_id=refund.pk)
    except ObjectDoesNotExist:
        pass
    refund = Refund.objects.select_related("payment").get(pk=refund.pk)
    if refund.status != Refund.Status.SUCCEEDED:
        raise ApplicationError(
            "A credit note is issued only for a refund that has gone through.",
            code="refund_not_succeeded",
            status=409,
        )
    receipt = invoice_issue_receipt(refund.payment)
    billing = _billing_locked()
    existing = Invoice.objects.filter(refund_id=refund.pk).first()
    if existing is not None:
        return existing
    invoice = Invoice.objects.create(
        number=_number_take(billing),
        kind=Kind.CREDIT_NOTE,
        payment_id=refund.payment_id,
        refund=refund,
        prefix=billing.invoice_prefix,
        billed_to_name=receipt.billed_to_name,
        billed_to_email=receipt.billed_to_email,
        description=f"Refund for {receipt.display_number}: {receipt.description}"[
            :DESCRIPTION_LIMIT
        ],
        amount_minor=refund.amount_minor,
        currency=refund.currency,
        issued_at=timezone.now(),
    )
    audit_record(
        action="billing.invoice.issued",
        target=invoice,
        data={"number": invoice.display_number, "kind": invoice.kind, "refund": refund.pk},
    )
    _email_after_commit(invoice)
    return invoice


@transaction.atomic
def invoice_email_deliver(*, invoice_id: int) -> bool:
    """Email a document, its PDF attached, to whom it is billed; once.

    The row stays locked while sending, so two workers given the same task cannot both
    send it, and ``emailed_at`` tells a retry that it has already gone. Returns False when
    there was nothing to send.
    """
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
    if invoice is None or invoice.emailed_at is not None or not invoice.billed_to_email:
        return False
    tenant_name = connection.tenant.name
    is_credit_note = invoice.kind == Kind.CREDIT_NOTE
    title = (
        f"Credit note {invoice.display_number} from {tenant_name}"
        if is_credit_note
        else f"Your receipt {invoice.display_number} from {tenant_name}"
    )
    context = {
        "title": title,
        "invoice": invoice,
        "is_credit_note": is_credit_note,
        "tenant_name": tenant_name,
        "url": connection.tenant.absolute_url(reverse("billing:invoice_list")),
        "site_name": "EduConnect",
    }
    message = EmailMultiAlternatives(
        subject=title,
        body=render_to_string("billing/invoice_email.txt", context),
        to=[invoice.billed_to_email],
    )
    message.attach_alternative(render_to_string("billing/invoice_email.html", context), "text/html")
    message.attach(invoice_filename(invoice), invoice_pdf(invoice), "application/pdf")
    message.send()
    invoice.emailed_at = timezone.now()
    invoice.save(update_fields=["emailed_at"])
    return True
