"""Money in a tenant: what each class costs and where its money is, as a ledger.

- ``BillingSettings``: how the agency is paid (its own account, or each tutor's), its
  commission, invoice numbering and branding. One row per tenant.
- ``TutorPayRate``: a tutor's hourly pay, for agencies whose commission is the difference
  between the student's price and the pay.
- ``Payment``: one per session that costs anything; its ``status`` is the booking's
  money state (awaiting payment → held → released, or refunded, cancelled, disputed), and
  its fee breakdown is fixed when it is opened.
- ``Transfer`` / ``TransferReversal`` / ``Refund`` / ``Withdrawal``: each Stripe movement
  with the idempotency key it was (or will be) sent with, so a retry never makes a second.
- ``LedgerTransaction`` / ``LedgerEntry``: double-entry rows for every movement. A
  transaction's entries sum to zero per currency (checked by the database when the
  transaction commits); balances are sums of entries, never stored.
- ``Invoice``: receipts and credit notes, numbered per tenant without gaps.

Ledger accounts are strings: ``held:tutor:<id>``, ``held:agency``, ``held:platform``
(money on the platform's Stripe balance, earmarked until release), ``wallet:tutor:<id>``
and ``wallet:agency`` (money in the payee's connected account, not yet paid out),
``platform:revenue`` (the platform's fee, earned at release), and the outside world:
``external:payer`` (cards and wallets), ``external:bank`` (payees' bank accounts).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

CURRENCY_CHECK = Q(currency__regex=r"^[A-Z]{3}$")


class BillingSettings(models.Model):
    class PayoutRoute(models.TextChoices):
        AGENCY = "agency", "Through the agency's account"
        TUTORS = "tutors", "To each tutor's own account"

    class CommissionMode(models.TextChoices):
        SHARE = "share", "A share of each payment"
        RATE_DIFFERENCE = "rate_difference", "The difference between price and tutor pay"

    payout_route = models.CharField(
        max_length=8, choices=PayoutRoute.choices, default=PayoutRoute.AGENCY
    )
    commission_mode = models.CharField(
        max_length=16, choices=CommissionMode.choices, default=CommissionMode.SHARE
    )
    # The agency's share of each payment, in hundredths of a percent (share mode).
    commission_basis_points = models.PositiveIntegerField(default=2000)
    invoice_prefix = models.CharField(max_length=12, default="INV")
    # The next invoice number; taken under a row lock in the transaction that issues the
    # invoice, so numbers have no gaps and no repeats.
    invoice_next_number = models.PositiveIntegerField(default=1)
    brand_color = models.CharField(max_length=7, default="#1f4e79")
    # Printed on every invoice: legal name, address, tax number.
    invoice_details = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "billing settings"
        constraints = [
            models.CheckConstraint(condition=Q(pk=1), name="billing_settings_singleton"),
            models.CheckConstraint(
                condition=Q(commission_basis_points__lte=10000),
                name="billing_settings_commission_range",
            ),
            models.CheckConstraint(
                condition=Q(brand_color__regex=r"^#[0-9a-fA-F]{6}$"),
                name="billing_settings_brand_color",
            ),
        ]

    def __str__(self) -> str:
        return "Billing settings"

    @classmethod
    def current(cls) -> BillingSettings:
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class TutorPayRate(models.Model):
    tutor = models.OneToOneField(
        "crm.TutorProfile", on_delete=models.CASCADE, related_name="pay_rate"
    )
    hourly_pay_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=CURRENCY_CHECK, name="billing_pay_rate_currency"),
        ]

    def __str__(self) -> str:
        return f"{self.tutor_id}: {self.hourly_pay_minor} {self.currency}/h"


class Payment(models.Model):
    class Status(models.TextChoices):
        AWAITING = "awaiting_payment", "Awaiting payment"
        HELD = "held", "Held"
        RELEASED = "released", "Released"
        REFUNDED = "refunded", "Refunded"
        CANCELLED = "cancelled", "Cancelled before payment"
        DISPUTED = "disputed", "Disputed"

    session = models.OneToOneField(
        "scheduling.Session", on_delete=models.PROTECT, related_name="payment"
    )
    tutor = models.ForeignKey("crm.TutorProfile", on_delete=models.PROTECT, related_name="+")
    student = models.ForeignKey("crm.StudentProfile", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.AWAITING)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    # The split, fixed when the payment is opened: the three always add up to the amount.
    platform_fee_minor = models.PositiveIntegerField()
    agency_commission_minor = models.PositiveIntegerField()
    tutor_earnings_minor = models.PositiveIntegerField()
    platform_fee_basis_points = models.PositiveIntegerField()
    # Who receives the tutor's earnings: the agency's account or the tutor's own.
    payout_route = models.CharField(max_length=8, choices=BillingSettings.PayoutRoute.choices)

    payment_intent_id = models.CharField(max_length=64, blank=True)
    charge_id = models.CharField(max_length=64, blank=True)
    transfer_group = models.CharField(max_length=100)
    payer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    refunded_minor = models.PositiveIntegerField(default=0)
    dispute_id = models.CharField(max_length=64, blank=True)
    # Stripe's dispute status (needs_response, under_review, won, lost, …).
    dispute_status = models.CharField(max_length=24, blank=True)
    # The status to return to when a dispute is won.
    status_before_dispute = models.CharField(max_length=16, blank=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    released_at = models.DateTimeField(null=True, blank=True)
    # When release was last tried and why it could not happen (no connected account yet).
    release_blocked_reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="billing_payment_status_idx"),
            models.Index(fields=["tutor", "created_at"], name="billing_payment_tutor_idx"),
            models.Index(fields=["student", "created_at"], name="billing_payment_student_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=CURRENCY_CHECK, name="billing_payment_currency"),
            models.CheckConstraint(
                condition=Q(
                    amount_minor=F("platform_fee_minor")
                    + F("agency_commission_minor")
                    + F("tutor_earnings_minor")
                ),
                name="billing_payment_split_adds_up",
            ),
            models.CheckConstraint(
                condition=Q(refunded_minor__lte=F("amount_minor")),
                name="billing_payment_refund_at_most_amount",
            ),
            models.UniqueConstraint(
                fields=["payment_intent_id"],
                condition=~Q(payment_intent_id=""),
                name="billing_payment_intent_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Payment {self.pk} for session {self.session_id} ({self.status})"

    @property
    def net_minor(self) -> int:
        return self.amount_minor - self.refunded_minor


class Transfer(models.Model):
    class Recipient(models.TextChoices):
        TUTOR = "tutor", "Tutor"
        AGENCY = "agency", "Agency"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        PAID = "paid", "Sent"
        FAILED = "failed", "Failed"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="transfers")
    recipient = models.CharField(max_length=8, choices=Recipient.choices)
    destination = models.CharField(max_length=64)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    stripe_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    reversed_minor = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            # One transfer per recipient per payment: a release run twice cannot pay twice.
            models.UniqueConstraint(
                fields=["payment", "recipient"], name="billing_transfer_once_per_recipient"
            ),
            models.CheckConstraint(
                condition=Q(reversed_minor__lte=F("amount_minor")),
                name="billing_transfer_reversal_at_most_amount",
            ),
        ]

    def __str__(self) -> str:
        return f"Transfer {self.amount_minor} {self.currency} to {self.recipient}"


class Refund(models.Model):
    class Kind(models.TextChoices):
        POLICY = "policy", "Cancellation policy"
        MANUAL = "manual", "Issued by the agency or platform"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Refunded"
        FAILED = "failed", "Failed"

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="refunds")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    reason = models.TextField()
    session_change = models.OneToOneField(
        "scheduling.SessionChange",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="refund",
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    stripe_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="billing_refund_positive"),
        ]

    def __str__(self) -> str:
        return f"Refund {self.amount_minor} {self.currency} of payment {self.payment_id}"


class TransferReversal(models.Model):
    transfer = models.ForeignKey(Transfer, on_delete=models.PROTECT, related_name="reversals")
    refund = models.ForeignKey(Refund, on_delete=models.PROTECT, related_name="reversals")
    amount_minor = models.PositiveIntegerField()
    stripe_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["transfer", "refund"], name="billing_reversal_once_per_refund"
            ),
        ]

    def __str__(self) -> str:
        return f"Reversal {self.amount_minor} of transfer {self.transfer_id}"


class Withdrawal(models.Model):
    """A payout from a payee's connected account to their bank (asked for, or automatic)."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        PENDING = "pending", "Sent to the bank"
        PAID = "paid", "Paid"
        FAILED = "failed", "Failed"

    payee = models.CharField(max_length=8, choices=Transfer.Recipient.choices)
    tutor = models.ForeignKey(
        "crm.TutorProfile", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    destination = models.CharField(max_length=64)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.REQUESTED)
    automatic = models.BooleanField(default=False)
    stripe_id = models.CharField(max_length=64, blank=True)
    idempotency_key = models.CharField(max_length=120, unique=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    failure_message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_minor__gt=0), name="billing_withdrawal_positive"
            ),
            models.CheckConstraint(
                condition=(Q(payee="tutor") & Q(tutor__isnull=False))
                | (Q(payee="agency") & Q(tutor__isnull=True)),
                name="billing_withdrawal_payee_matches",
            ),
        ]

    def __str__(self) -> str:
        return f"Withdrawal {self.amount_minor} {self.currency} ({self.status})"


class LedgerTransaction(models.Model):
    class Kind(models.TextChoices):
        CHARGE = "charge", "Payment received"
        RELEASE = "release", "Released to payees"
        REFUND = "refund", "Refund"
        REVERSAL = "reversal", "Transfer reversed"
        PAYOUT = "payout", "Payout to bank"
        PAYOUT_FAILED = "payout_failed", "Payout returned"
        DISPUTE_LOST = "dispute_lost", "Dispute lost"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    # What makes this movement unique ("charge:ch_…", "transfer:tr_…"): posting the same
    # movement twice is refused by the database.
    key = models.CharField(max_length=140, unique=True)
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger"
    )
    # The Stripe object behind it, compared with Stripe's balance by reconciliation.
    stripe_object = models.CharField(max_length=64, blank=True)
    memo = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}"


class LedgerEntry(models.Model):
    transaction = models.ForeignKey(
        LedgerTransaction, on_delete=models.PROTECT, related_name="entries"
    )
    account = models.CharField(max_length=60)
    # Signed: positive adds to the account, negative takes from it.
    amount_minor = models.BigIntegerField()
    currency = models.CharField(max_length=3)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["account", "currency"], name="billing_entry_account_idx")]
        constraints = [
            models.CheckConstraint(condition=~Q(amount_minor=0), name="billing_entry_nonzero"),
            models.CheckConstraint(condition=CURRENCY_CHECK, name="billing_entry_currency"),
        ]

    def __str__(self) -> str:
        return f"{self.account} {self.amount_minor:+d} {self.currency}"


class Invoice(models.Model):
    class Kind(models.TextChoices):
        RECEIPT = "receipt", "Receipt"
        CREDIT_NOTE = "credit_note", "Credit note"

    number = models.PositiveIntegerField(unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="invoices")
    refund = models.OneToOneField(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="credit_note"
    )
    # Fixed at issue: what the document says never changes afterwards.
    prefix = models.CharField(max_length=12)
    billed_to_name = models.CharField(max_length=200)
    billed_to_email = models.EmailField()
    description = models.CharField(max_length=300)
    amount_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    issued_at = models.DateTimeField()
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["payment"],
                condition=Q(kind="receipt"),
                name="billing_invoice_one_receipt_per_payment",
            ),
            models.CheckConstraint(
                condition=(Q(kind="receipt") & Q(refund__isnull=True))
                | (Q(kind="credit_note") & Q(refund__isnull=False)),
                name="billing_invoice_credit_note_has_refund",
            ),
        ]

    def __str__(self) -> str:
        return self.display_number

    @property
    def display_number(self) -> str:
        return f"{self.prefix}-{self.number:06d}"
