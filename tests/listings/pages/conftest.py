"""Helpers for the marketplace's public pages: a listed freelancer gig, indexed by the real
indexer, reviews written straight to the index, and times on the tutor's clock.

The marketplace fixtures (a freelancer free every day 08:00-20:00 London, gigs) and the
scheduling ones are shared here by name.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone

from listings.indexing import tutor_refresh
from listings.models import ListedReview, Listing, TutorListing
from tests.scheduling.conftest import in_tenant_of

LONDON = zoneinfo.ZoneInfo("Europe/London")


def local(zone: zoneinfo.ZoneInfo, days: int, hour: int, minute: int = 0) -> dt.datetime:
    """``hour:minute`` on the day ``days`` from today, on ``zone``'s clock."""
    day = timezone.now().astimezone(zone).date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=zone)


def london(days: int, hour: int, minute: int = 0) -> dt.datetime:
    return local(LONDON, days, hour, minute)


@pytest.fixture
def index():
    """``index(profile)`` → the tutor's ``TutorListing`` as the indexer writes it now."""

    def run(profile) -> TutorListing | None:
        return tutor_refresh(tenant=in_tenant_of(profile).tenant, profile_id=profile.pk)

    return run


@pytest.fixture
def listed(index):
    """``listed(gig)`` → the gig's ``Listing`` after indexing its tutor."""

    def run(gig) -> Listing:
        tutor = index(gig.tutor)
        return Listing.objects.select_related("tutor", "tenant").get(tutor=tutor, gig_id=gig.pk)

    return run


@pytest.fixture
def gig_listing(freelancer_profile, gig_factory, listed) -> Listing:
    """Fay's published maths gig (30.00 GBP, an hour), on the marketplace."""
    return listed(gig_factory(freelancer_profile))


@pytest.fixture
def listed_review():
    """``listed_review(tutor_listing, rating=5, **fields)`` → a review row in the index."""
    counter = iter(range(1, 10_000))

    def make(tutor: TutorListing, rating: int = 5, **fields) -> ListedReview:
        number = next(counter)
        values = {
            "text": f"Review {number}",
            "author_name": "Sam R.",
            "created_at": timezone.now() - dt.timedelta(days=number),
        }
        values.update(fields)
        return ListedReview.objects.create(
            tutor=tutor, tenant=tutor.tenant, review_id=number, rating=rating, **values
        )

    return make
