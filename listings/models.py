"""The marketplace's listing index, in the public schema.

Gigs, tutors and reviews live in their tenant's schema. Searching them there would mean
visiting every schema on every search, so each change is copied here after its commit
(``listings.indexing``), and ``manage.py listings_rebuild`` rebuilds the whole index from
the tenants. Nothing here is the source of truth: every row can be recomputed.

- ``TutorListing``: one per tutor with something on the marketplace (tenant, profile).
- ``Listing``: one per published gig, with its tutor's rating, badge and next free time
  copied in so a search reads one table.
- ``FreeWindow``: the tutor's free time over the coming weeks, for the availability filter.
- ``ListedReview``: reviews, for tutor pages (visible ones) and moderation (all).
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector, SearchVectorField
from django.db import models
from django.db.models import F

SEARCH_CONFIG = "english"


class TutorListing(models.Model):
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    profile_id = models.BigIntegerField()
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    display_name = models.CharField(max_length=160)
    headline = models.CharField(max_length=120, blank=True)
    bio = models.TextField(blank=True)
    languages = ArrayField(models.CharField(max_length=8), default=list, blank=True)
    # [{"name", "slug", "level"}] of the subjects the tutor teaches.
    subjects = models.JSONField(default=list, blank=True)
    years_of_experience = models.PositiveSmallIntegerField(null=True, blank=True)
    verified = models.BooleanField(default=False)
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    # {"1": n, ..., "5": n} over visible reviews.
    rating_distribution = models.JSONField(default=dict, blank=True)
    next_free_at = models.DateTimeField(null=True, blank=True)
    indexed_at = models.DateTimeField()

    class Meta:
        ordering = ["display_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "profile_id"], name="listings_tutor_unique"),
        ]

    def __str__(self) -> str:
        return self.display_name


class Listing(models.Model):
    tutor = models.ForeignKey(TutorListing, on_delete=models.CASCADE, related_name="listings")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    gig_id = models.BigIntegerField()
    title = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    subject_slug = models.CharField(max_length=80)
    subject_name = models.CharField(max_length=80)
    level = models.CharField(max_length=20)
    difficulty = models.CharField(max_length=20, blank=True)
    languages = ArrayField(models.CharField(max_length=8), default=list)
    price_minor = models.PositiveIntegerField()
    currency = models.CharField(max_length=3)
    duration_minutes = models.PositiveSmallIntegerField()
    # [{"sessions", "price_minor"}]
    packages = models.JSONField(default=list, blank=True)
    tutor_name = models.CharField(max_length=160)
    # Copied from the tutor so that a search reads this table alone.
    verified = models.BooleanField(default=False)
    rating_average = models.DecimalField(max_digits=3, decimal_places=2, null=True, blank=True)
    rating_count = models.PositiveIntegerField(default=0)
    # Ranking without a query: a Bayesian average of the rating, plus a little for the badge.
    quality = models.FloatField(default=0)
    next_free_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField()
    indexed_at = models.DateTimeField()
    search = models.GeneratedField(
        expression=(
            SearchVector("title", weight="A", config=SEARCH_CONFIG)
            + SearchVector("subject_name", weight="A", config=SEARCH_CONFIG)
            + SearchVector("tutor_name", weight="B", config=SEARCH_CONFIG)
            + SearchVector("description", weight="C", config=SEARCH_CONFIG)
        ),
        output_field=SearchVectorField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["-quality", "id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "gig_id"], name="listings_listing_unique"),
        ]
        indexes = [
            GinIndex(fields=["search"], name="listings_listing_search"),
            GinIndex(fields=["languages"], name="listings_listing_languages"),
            models.Index(fields=["subject_slug", "level"], name="listings_listing_subject"),
            models.Index(fields=["currency", "price_minor"], name="listings_listing_price"),
            models.Index(fields=["-quality", "id"], name="listings_listing_quality"),
            # Rating sort: best first, unrated last, more reviews breaking ties.
            models.Index(
                F("rating_average").desc(nulls_last=True),
                F("rating_count").desc(),
                F("id"),
                name="listings_listing_rating",
            ),
            # Price sort across currencies (the currency index serves filtered ones).
            models.Index(fields=["price_minor", "id"], name="listings_listing_price_order"),
            models.Index(fields=["next_free_at", "id"], name="listings_listing_soonest"),
            models.Index(fields=["tutor"], name="listings_listing_tutor"),
        ]

    def __str__(self) -> str:
        return self.title


class FreeWindow(models.Model):
    tutor = models.ForeignKey(TutorListing, on_delete=models.CASCADE, related_name="windows")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()

    class Meta:
        ordering = ["starts_at"]
        indexes = [models.Index(fields=["tutor", "starts_at"], name="listings_window_tutor")]

    def __str__(self) -> str:
        return f"{self.starts_at:%Y-%m-%d %H:%M} to {self.ends_at:%H:%M}"


class ListedReview(models.Model):
    tutor = models.ForeignKey(TutorListing, on_delete=models.CASCADE, related_name="reviews")
    tenant = models.ForeignKey("tenants.Tenant", on_delete=models.CASCADE, related_name="+")
    review_id = models.BigIntegerField()
    gig_id = models.BigIntegerField(null=True, blank=True)
    gig_title = models.CharField(max_length=120, blank=True)
    rating = models.PositiveSmallIntegerField()
    text = models.TextField()
    # "Sam R.": the author's first name and initial, never the full name or address.
    author_name = models.CharField(max_length=160)
    reply = models.TextField(blank=True)
    replied_at = models.DateTimeField(null=True, blank=True)
    # Hidden reviews stay here for moderation (and can be restored); pages show only the
    # visible ones and no rating counts them.
    hidden_at = models.DateTimeField(null=True, blank=True)
    hidden_reason = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "review_id"], name="listings_review_unique"),
        ]
        indexes = [models.Index(fields=["tutor", "-created_at"], name="listings_review_tutor")]

    def __str__(self) -> str:
        return f"{self.rating}★ {self.author_name}"
