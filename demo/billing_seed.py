"""Money in the demo, without Stripe: Acme's payout account, last week's class paid and
released, an upcoming class paid and held, another awaiting payment, and a class the
student cancelled in time, refunded in full.

The rows and ledger movements are the ones the billing services write when Stripe
answers; Stripe's ids are marked ``demo`` so nobody mistakes them for real ones.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from billing.models import BillingSettings, Payment, Refund, Transfer
from billing.services import payments
from billing.services.invoices import invoice_issue_credit_note, invoice_issue_receipt
from connect.models import ConnectedAccount
from crm.models import StudentProfile, Subject, TutorProfile
from scheduling.models import Session, SessionChange
from scheduling.services.common import session_price

Status = Payment.Status


def _payment(session: Session) -> Payment:
    return payments.payment_create(session, transfer_group=f"demo-session-{session.pk}")


def _paid(session: Session, payer, paid_at: dt.datetime) -> Payment:
    payment = _payment(session)
    payment.payment_intent_id = f"pi_demo_{payment.pk}"
    payment.charge_id = f"ch_demo_{payment.pk}"
    payment.payer = payer
    payment.paid_at = paid_at
    payment.status = Status.HELD
    payment.save()
    payments._post_charge(payment)
    invoice_issue_receipt(payment)
    return payment


def _released(payment: Payment, account: ConnectedAccount, at: dt.datetime) -> None:
    transfer = Transfer.objects.create(
        payment=payment,
        recipient=Transfer.Recipient.AGENCY,
        destination=account.stripe_id,
        amount_minor=payment.tutor_earnings_minor + payment.agency_commission_minor,
        currency=payment.currency,
        status=Transfer.Status.PAID,
        stripe_id=f"tr_demo_{payment.pk}",
        idempotency_key=f"demo:transfer:{payment.pk}",
    )
    payments._release_post(payment, [transfer])
    payment.status = Status.RELEASED
    payment.released_at = at
    payment.save()


def _cancelled_and_refunded(tutor: TutorProfile, sam: StudentProfile, payer) -> None:
    now = timezone.now()
    starts_at = (now + dt.timedelta(days=2)).replace(hour=16, minute=0, second=0, microsecond=0)
    subject = Subject.objects.get(slug="physics")
    price, currency = session_price(tutor=tutor, subject=subject, minutes=60)
    session = Session.objects.create(
        tutor=tutor,
        student=sam,
        subject=subject,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(hours=1),
        # Written cancelled: it no longer holds its slot (the tutor may teach then).
        status=Session.Status.CANCELLED,
        price_minor=price,
        currency=currency,
        requested_by=payer,
        decided_by=tutor.user,
        decided_at=now - dt.timedelta(days=3),
    )
    payment = _paid(session, payer, now - dt.timedelta(days=3))
    change = SessionChange.objects.create(
        session=session,
        kind=SessionChange.Kind.CANCELLATION,
        party=SessionChange.Party.STUDENT,
        actor=payer,
        reason="School trip that day.",
        previous_starts_at=session.starts_at,
        previous_ends_at=session.ends_at,
        notice_hours=48,
        within_free_window=True,
        refund_minor=payment.amount_minor,
        currency=payment.currency,
        billing_processed_at=now - dt.timedelta(days=1),
    )
    refund = Refund.objects.create(
        payment=payment,
        kind=Refund.Kind.POLICY,
        amount_minor=payment.amount_minor,
        currency=payment.currency,
        reason=change.reason,
        session_change=change,
        status=Refund.Status.SUCCEEDED,
        stripe_id=f"re_demo_{payment.pk}",
        idempotency_key=f"demo:refund:{payment.pk}",
        actor=payer,
    )
    payments._post_refund(payment, refund, 0)
    payment.refunded_minor = payment.amount_minor
    payment.status = Status.REFUNDED
    payment.save()
    invoice_issue_credit_note(refund)


def billing_demo_seed(*, acme_owner: Membership, acme_tutor: Membership, student: Membership):
    tenant = acme_owner.tenant
    account, _ = ConnectedAccount.objects.get_or_create(
        tenant=tenant,
        defaults={
            "stripe_id": "acct_demo_acme",
            "country": "GB",
            "default_currency": "gbp",
            "status": ConnectedAccount.Status.ENABLED,
            "details_submitted": True,
            "charges_enabled": True,
            "payouts_enabled": True,
        },
    )
    with tenant_context(tenant), transaction.atomic():
        BillingSettings.current()
        if Payment.objects.exists():
            return
        tutor = TutorProfile.objects.get(user_id=acme_tutor.user_id)
        sam = StudentProfile.objects.select_related("user").get(email=student.user.email)
        now = timezone.now()
        held_class = Session.objects.filter(student=sam, status=Session.Status.COMPLETED).first()
        if held_class is not None:
            payment = _paid(held_class, sam.user, held_class.starts_at - dt.timedelta(days=2))
            _released(payment, account, held_class.ends_at + dt.timedelta(hours=3))
        upcoming = list(
            Session.objects.filter(status=Session.Status.CONFIRMED, starts_at__gt=now)
            .exclude(price_minor=0)
            .order_by("starts_at")
        )
        for index, session in enumerate(upcoming):
            if index == 0:
                _paid(session, sam.user, now - dt.timedelta(hours=1))
            else:
                payments.payment_open(session)
        _cancelled_and_refunded(tutor, sam, sam.user)
