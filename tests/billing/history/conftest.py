"""A tenant's payments for the history tests.

In acme, Theo (``tutor``) taught Sam (``student``) — released, with a refund and a
receipt — and Olive (another student) — held; Uma (another tutor) teaches Kit (``child``
of Pat, ``parent``), whose payment awaits payment. Prices are 40.00 GBP an hour; the
split is 10 % platform, 20 % agency, the rest to the tutor.
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from billing.models import Invoice, Refund, Transfer

DAY = dt.timedelta(days=1)


@pytest.fixture
def world(
    *,
    acme,
    owner,
    member,
    tutor_pair,
    teacher,
    student_pair,
    learner,
    parent,
    child,
    booked,
    payment_in,
):
    tutor, theo = tutor_pair
    other_tutor, uma = teacher(acme, first_name="Uma", last_name="Usher")
    student, sam = student_pair
    other_student, olive = learner(first_name="Olive")
    start = timezone.now().replace(microsecond=0) - 10 * DAY
    sam_session = booked(theo, sam, start, status="completed")
    olive_session = booked(theo, olive, start + DAY, status="confirmed")
    kit_session = booked(uma, child, start + 2 * DAY, status="confirmed")
    paid = payment_in(sam_session, "released")
    held = payment_in(olive_session, "held")
    awaiting = payment_in(kit_session, "awaiting_payment")
    with tenant_context(acme):
        refund = Refund.objects.create(
            payment=paid,
            kind=Refund.Kind.POLICY,
            amount_minor=1000,
            currency="GBP",
            reason="Cancelled late by the student",
            status=Refund.Status.SUCCEEDED,
            idempotency_key="acme:refund:test",
        )
        paid.refunded_minor = 1000
        paid.save(update_fields=["refunded_minor"])
        receipt = Invoice.objects.create(
            number=1,
            kind=Invoice.Kind.RECEIPT,
            payment=paid,
            prefix="INV",
            billed_to_name="Sam Student",
            billed_to_email=student.user.email,
            description="Mathematics",
            amount_minor=paid.amount_minor,
            currency="GBP",
            issued_at=timezone.now(),
        )
        transfer = Transfer.objects.create(
            payment=paid,
            recipient=Transfer.Recipient.TUTOR,
            destination="acct_theo",
            amount_minor=paid.tutor_earnings_minor,
            currency="GBP",
            status=Transfer.Status.PAID,
            stripe_id="tr_theo",
            idempotency_key="acme:transfer:test",
        )
    return SimpleNamespace(
        tenant=acme,
        owner=owner,
        staff=member(acme, Membership.Role.STAFF),
        tutor=tutor,
        theo=theo,
        other_tutor=other_tutor,
        uma=uma,
        student=student,
        sam=sam,
        other_student=other_student,
        olive=olive,
        parent=parent,
        kit=child,
        paid=paid,
        held=held,
        awaiting=awaiting,
        refund=refund,
        receipt=receipt,
        transfer=transfer,
    )
