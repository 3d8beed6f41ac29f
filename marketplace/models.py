"""Tenant-schema models of the marketplace: what a tutor offers there, how it was booked,
and what students said about it.

A ``Gig`` is a tutor's offering (subject, level, price per session and optional packages,
duration) on top of their availability. Freelancers post gigs in the marketplace tenant;
an agency's tutors post them when the agency lists itself on the marketplace
(``Tenant.marketplace_listed``). Published gigs are copied into the public schema's index
(``listings``), which is what the marketplace searches.

A ``GigBooking`` ties a session booked from the marketplace to the gig (and package) it
was booked through. A ``Review`` is one per completed session, by its student's side.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from crm.models import Difficulty, Level


class Gig(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        PAUSED = "paused", "Paused"

    tutor = models.ForeignKey("crm.TutorProfile", on_delete=models.PROTECT, related_name="gigs")
    title = models.CharField(max_length=120)
    subject = models.ForeignKey("crm.Subject", on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=20, choices=Level.choices)
    difficulty = models.CharField(max_length=20, choices=Difficulty.choices, blank=True)
    # ISO 639-1 codes, lower case, at least one.
    languages = models.JSONField(default=list)
    description = models.TextField(blank=True)
    price_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    duration_minutes = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tutor", "status"], name="marketplace_gig_tutor_status")]
        constraints = [
            models.CheckConstraint(
                condition=Q(price_minor__gt=0), name="marketplace_gig_price_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class GigPackage(models.Model):
    """A number of weekly sessions at the same time, booked together at a total price."""

    gig = models.ForeignKey(Gig, on_delete=models.CASCADE, related_name="packages")
    sessions = models.PositiveSmallIntegerField()
    price_minor = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["sessions"]
        constraints = [
            models.UniqueConstraint(fields=["gig", "sessions"], name="marketplace_package_unique"),
            models.CheckConstraint(
                condition=Q(sessions__gte=2) & Q(price_minor__gt=0),
                name="marketplace_package_sane",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.sessions} sessions"


class GigBooking(models.Model):
    """A session booked through a gig on the marketplace."""

    session = models.OneToOneField(
        "scheduling.Session", on_delete=models.CASCADE, related_name="gig_booking"
    )
    gig = models.ForeignKey(Gig, on_delete=models.PROTECT, related_name="bookings")
    package = models.ForeignKey(
        GigPackage, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    booked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.gig} · session {self.session_id}"


class Review(models.Model):
    """One review per completed session, by its student or a linked parent.

    The tutor may reply once; platform staff may hide a review that breaks the rules,
    with the reason kept. Hidden reviews count in no rating.
    """

    session = models.OneToOneField(
        "scheduling.Session", on_delete=models.PROTECT, related_name="review"
    )
    tutor = models.ForeignKey("crm.TutorProfile", on_delete=models.PROTECT, related_name="reviews")
    gig = models.ForeignKey(
        Gig, on_delete=models.SET_NULL, null=True, blank=True, related_name="reviews"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, related_name="+"
    )
    rating = models.PositiveSmallIntegerField()
    text = models.TextField()
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.TextField(blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.DO_NOTHING,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tutor", "created_at"], name="marketplace_review_tutor")]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=5), name="marketplace_review_rating"
            ),
            models.CheckConstraint(
                condition=Q(hidden_at__isnull=True) | ~Q(hidden_reason=""),
                name="marketplace_review_hidden_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rating}★ for session {self.session_id}"

    @property
    def is_hidden(self) -> bool:
        return self.hidden_at is not None
