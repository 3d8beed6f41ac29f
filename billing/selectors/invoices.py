"""Who sees which receipts and credit notes.

The person who paid, the student of the class and their linked parents, and the agency's
owners, admins and staff. The tutor does not see what the student paid; anyone else
sees nothing (a 404).
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from accounts.models import Membership
from billing.models import Invoice
from crm.models import ParentLink

__all__ = ["invoice_get", "invoice_list"]

Role = Membership.Role


def invoice_list(*, viewer: Membership) -> QuerySet[Invoice]:
    """The documents ``viewer`` may see, newest first, each with ``session_id`` and (for
    credit notes) the receipt it refers to as ``receipt_prefix`` / ``receipt_number``."""
    receipt = Invoice.objects.filter(payment_id=OuterRef("payment_id"), kind=Invoice.Kind.RECEIPT)
    invoices = Invoice.objects.select_related("payment").annotate(
        receipt_prefix=Subquery(receipt.values("prefix")[:1]),
        receipt_number=Subquery(receipt.values("number")[:1]),
    )
    if viewer.is_agency_staff:
        return invoices
    mine = Q(payment__payer_id=viewer.user_id)
    if viewer.role == Role.STUDENT:
        mine |= Q(payment__student__user_id=viewer.user_id)
    elif viewer.role == Role.PARENT:
        mine |= Q(
            Exists(
                ParentLink.objects.filter(
                    student_id=OuterRef("payment__student_id"), parent_id=viewer.user_id
                )
            )
        )
    return invoices.filter(mine)


def invoice_get(*, viewer: Membership, pk: int) -> Invoice | None:
    """One document ``viewer`` may see, or None."""
    return invoice_list(viewer=viewer).filter(pk=pk).first()
