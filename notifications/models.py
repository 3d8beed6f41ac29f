"""In-app notifications and the email that goes with each, plus the local outbox."""

from django.conf import settings
from django.db import models


class Notification(models.Model):
    class EmailStatus(models.TextChoices):
        NOT_REQUESTED = "not_requested", "No email"
        PENDING = "pending", "Waiting to be sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed after retries"

    # Null for people who have no account yet (an invitation to a new address).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    email = models.EmailField(help_text="Where the email goes.")
    event = models.CharField(max_length=64)
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    # Values for the email templates; may hold one-time links, so never shown in lists.
    context = models.JSONField(default=dict, blank=True)
    in_app = models.BooleanField(default=True)
    read_at = models.DateTimeField(null=True, blank=True)
    email_status = models.CharField(
        max_length=20, choices=EmailStatus.choices, default=EmailStatus.NOT_REQUESTED
    )
    email_attempts = models.PositiveSmallIntegerField(default=0)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "in_app", "read_at"])]

    def __str__(self) -> str:
        return f"{self.event} → {self.email}"


class OutboxEmail(models.Model):
    """An email kept locally instead of sent (development and tests); public schema only."""

    to = models.CharField(max_length=500)
    from_email = models.CharField(max_length=254)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.subject} → {self.to}"
