"""The marketplace fixtures (a freelancer free every day, gigs) and the scheduling ones,
shared by name with every test of the public marketplace, and a way to add reviews."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from crm.models import StudentProfile, Subject, TutorProfile
from marketplace.models import Review
from scheduling.models import Session
from tests.factories import UserFactory
from tests.marketplace.conftest import (
    freelancer,
    freelancer_pair,
    freelancer_profile,
    gig_factory,
)
from tests.scheduling.conftest import booked, in_tenant_of, learner, teacher, weekly

__all__ = [
    "booked",
    "freelancer",
    "freelancer_pair",
    "freelancer_profile",
    "gig_factory",
    "learner",
    "teacher",
    "weekly",
]


@pytest.fixture
def review_factory():
    """``review_factory(profile, rating, gig=None, hidden=False, author_name=("Sam", "Reed"))``
    → a review of a completed class last week, written straight to the database."""
    made = {"count": 0}

    def make(
        profile: TutorProfile,
        rating: int,
        *,
        gig=None,
        hidden: bool = False,
        author_name: tuple[str, str] = ("Sam", "Reed"),
    ) -> Review:
        made["count"] += 1
        n = made["count"]
        author = UserFactory(
            email=f"reviewer{n}@example.test", first_name=author_name[0], last_name=author_name[1]
        )
        with in_tenant_of(profile):
            student = StudentProfile.objects.create(
                user=author,
                first_name=author.first_name,
                last_name=author.last_name,
                email=author.email,
                date_of_birth=dt.date(1990, 1, 1),
            )
            starts_at = timezone.now() - dt.timedelta(days=7, hours=n)
            session = Session.objects.create(
                tutor=profile,
                student=student,
                subject=Subject.objects.get(slug="mathematics"),
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=30),
                status=Session.Status.COMPLETED,
                price_minor=3000,
                currency="GBP",
                requested_by=author,
            )
            return Review.objects.create(
                session=session,
                tutor=profile,
                gig=gig,
                author=author,
                rating=rating,
                text=f"Review {n}: clear explanations and good homework.",
                hidden_at=timezone.now() if hidden else None,
                hidden_reason="Personal details" if hidden else "",
            )

    return make
