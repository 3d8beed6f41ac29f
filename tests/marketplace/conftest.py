"""Helpers for the marketplace tests: a freelancer with a week of availability, gigs.

The scheduling fixtures (``teacher``, ``weekly``, ``learner``, ``booked``…) are reused, so
the people are built through the real crm services.
"""

from __future__ import annotations

import pytest
from django.utils import timezone

from accounts.models import Membership
from crm.models import Subject, TutorProfile
from marketplace.models import Gig
from tests.scheduling.conftest import booked, in_tenant_of, learner, teacher, weekly

# The scheduling fixtures, shared here by name.
__all__ = ["booked", "learner", "teacher", "weekly"]

GIG_PRICE_MINOR = 3000


@pytest.fixture
def freelancer_pair(
    marketplace,
    teacher,
    weekly,
) -> tuple[Membership, TutorProfile]:
    """A marketplace tutor (Fay Freeman, mathematics) free every day 08:00-20:00 London."""
    membership, profile = teacher(
        marketplace, first_name="Fay", last_name="Freeman", email="fay@freelance.test"
    )
    for weekday in range(7):
        weekly(profile, weekday, "08:00", "20:00")
    return membership, profile


@pytest.fixture
def freelancer(freelancer_pair) -> Membership:
    return freelancer_pair[0]


@pytest.fixture
def freelancer_profile(freelancer_pair) -> TutorProfile:
    return freelancer_pair[1]


@pytest.fixture
def gig_factory():
    """``gig_factory(profile, **fields)`` → a gig written straight to the database
    (published unless told otherwise), in the profile's tenant."""

    def make(profile: TutorProfile, **fields) -> Gig:
        with in_tenant_of(profile):
            values = {
                "title": "GCSE maths, step by step",
                "subject": Subject.objects.get(slug=fields.pop("subject_slug", "mathematics")),
                "level": "secondary",
                "languages": ["en"],
                "description": "Algebra, geometry and exam technique for Year 10 and 11.",
                "price_minor": GIG_PRICE_MINOR,
                "currency": "GBP",
                "duration_minutes": 60,
                "status": Gig.Status.PUBLISHED,
            }
            values.update(fields)
            if values["status"] == Gig.Status.PUBLISHED:
                values.setdefault("published_at", timezone.now())
            return Gig.objects.create(tutor=profile, **values)

    return make
