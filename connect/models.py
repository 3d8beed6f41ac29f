"""Platform-wide Stripe state, in the public schema.

- ``ConnectedAccount``: a Stripe Connect Express account that receives transfers: an
  agency's (``tenant``) or a tutor's own (``user``; one per person, used by every tenant
  that pays them directly).
- ``FeeTerms``: the platform's fee for one tenant when it differs from the default
  (``PLATFORM_FEE_BASIS_POINTS``); set by platform staff, never by the tenant.
- ``StripeEvent``: each webhook event, stored by its id once and processed once.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from tenants.models import Tenant


class ConnectedAccount(models.Model):
    class Status(models.TextChoices):
        # Created at Stripe, onboarding not finished.
        ONBOARDING = "onboarding", "Onboarding"
        # Details submitted, Stripe still verifying or asking for more.
        RESTRICTED = "restricted", "Restricted"
        ENABLED = "enabled", "Enabled"
        # Rejected by Stripe or disconnected.
        REJECTED = "rejected", "Rejected"

    tenant = models.OneToOneField(
        Tenant,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="connected_account",
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="connected_account",
    )
    stripe_id = models.CharField(max_length=64, unique=True)
    country = models.CharField(max_length=2)
    default_currency = models.CharField(max_length=3, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ONBOARDING)
    details_submitted = models.BooleanField(default=False)
    charges_enabled = models.BooleanField(default=False)
    payouts_enabled = models.BooleanField(default=False)
    # What Stripe still needs (``requirements.currently_due``) and why it is disabled.
    requirements_due = models.JSONField(default=list, blank=True)
    disabled_reason = models.CharField(max_length=120, blank=True)
    # ``created`` of the Account object behind the last update applied: an older snapshot
    # arriving late (events come in any order) is not applied over a newer one.
    synced_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(tenant__isnull=True) & Q(user__isnull=False))
                | (Q(tenant__isnull=False) & Q(user__isnull=True)),
                name="connect_account_one_owner",
            ),
        ]

    def __str__(self) -> str:
        return self.stripe_id

    @property
    def can_receive(self) -> bool:
        """Whether transfers to it can be made now (Express: the transfers capability)."""
        return self.status == self.Status.ENABLED and self.payouts_enabled


class FeeTerms(models.Model):
    tenant = models.OneToOneField(Tenant, on_delete=models.CASCADE, related_name="fee_terms")
    # The platform's fee in hundredths of a percent of the student's payment.
    platform_fee_basis_points = models.PositiveIntegerField()
    note = models.CharField(max_length=200, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "fee terms"
        constraints = [
            models.CheckConstraint(
                condition=Q(platform_fee_basis_points__lte=5000),
                name="connect_fee_terms_at_most_half",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.tenant_id}: {self.platform_fee_basis_points} bp"


class StripeEvent(models.Model):
    """A webhook event as received; ``processed_at`` is set in the transaction that acted on it."""

    event_id = models.CharField(max_length=64, unique=True)
    type = models.CharField(max_length=80)
    # The connected account the event happened on (Connect events), else empty.
    account = models.CharField(max_length=64, blank=True)
    livemode = models.BooleanField(default=False)
    payload = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)
    processed_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)

    class Meta:
        ordering = ["received_at", "id"]
        indexes = [
            models.Index(
                fields=["received_at"],
                condition=Q(processed_at__isnull=True),
                name="connect_event_unprocessed_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.event_id}"
