"""Helpers for the review tests: marketplace students (an adult, a parent and child),
completed classes with the freelancer booked through a gig, a review written straight to
the database, and platform staff.

People are built through the real crm services; sessions are written straight to the
database (``booked``), since how a class came to be completed is not what is tested here.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from crm.minors import consent_statement
from marketplace.models import Gig, GigBooking, Review
from scheduling.models import Session
from tests.factories import UserFactory
from tests.scheduling.conftest import dob_for

REVIEW_TEXT = "Clear explanations and a lot of patience with my algebra."


@pytest.fixture
def mp_admin(marketplace, member) -> Membership:
    """An admin of the marketplace tenant, who records its students."""
    return member(marketplace, Membership.Role.ADMIN, first_name="Ada", last_name="Admin")


@pytest.fixture
def mp_learner(marketplace, member, mp_admin):
    """``mp_learner(first_name="Sam")`` → (student membership, profile) in the marketplace."""

    def make(
        *,
        first_name: str = "Sam",
        last_name: str = "Student",
        age: int = 20,
        parents: list[str] = (),
        **fields,
    ):
        membership = member(
            marketplace,
            Membership.Role.STUDENT,
            first_name=first_name,
            last_name=last_name,
            **fields,
        )
        with tenant_context(marketplace):
            profile = crm.student_create(
                actor=mp_admin,
                first_name=first_name,
                last_name=last_name,
                email=membership.user.email,
                date_of_birth=dob_for(age),
                parents=[{"email": email} for email in parents],
            )
        assert profile.user_id == membership.user_id
        return membership, profile

    return make


@pytest.fixture
def mp_student_pair(mp_learner):
    return mp_learner()


@pytest.fixture
def mp_student(mp_student_pair) -> Membership:
    return mp_student_pair[0]


@pytest.fixture
def mp_student_profile(mp_student_pair):
    return mp_student_pair[1]


@pytest.fixture
def mp_parent(marketplace, member) -> Membership:
    return member(marketplace, Membership.Role.PARENT, first_name="Pat", last_name="Parent")


@pytest.fixture
def mp_child(marketplace, mp_admin, mp_parent):
    """A 10-year-old without an account, linked to ``mp_parent``, consent given."""
    with tenant_context(marketplace):
        kid = crm.student_create(
            actor=mp_admin,
            first_name="Kit",
            last_name="Parent",
            date_of_birth=dob_for(10),
            parents=[{"email": mp_parent.user.email}],
        )
        crm.consent_give(
            student=kid,
            actor=mp_parent,
            statement=consent_statement(kid, tenant_name=marketplace.name),
        )
        return kid


@pytest.fixture
def gig(freelancer_profile, gig_factory) -> Gig:
    return gig_factory(freelancer_profile)


@pytest.fixture
def held(booked, freelancer_profile, gig):
    """``held(student_profile, status="completed", tutor=freelancer_profile)`` → a past
    session (each one a day earlier than the last), booked through ``gig``."""
    days = itertools.count(2)

    def make(student_profile, *, status: str = Session.Status.COMPLETED, tutor=None):
        tutor = tutor or freelancer_profile
        start = (timezone.now() - dt.timedelta(days=next(days))).replace(
            hour=10, minute=0, second=0, microsecond=0
        )
        session = booked(tutor, student_profile, start, status=status)
        if tutor.pk == freelancer_profile.pk:
            with tenant_context(gig_tenant(gig)):
                GigBooking.objects.create(
                    session=session, gig=gig, booked_by=student_profile.user or tutor.user
                )
        return session

    return make


def gig_tenant(gig: Gig):
    return Membership.objects.select_related("tenant").get(user=gig.tutor.user).tenant


@pytest.fixture
def completed(held, mp_student_profile) -> Session:
    """A completed class of the adult marketplace student with the freelancer."""
    return held(mp_student_profile)


@pytest.fixture
def written(marketplace):
    """``written(session, author, rating=5, **fields)`` → a review straight in the database."""

    def make(session: Session, author, rating: int = 5, **fields) -> Review:
        with tenant_context(marketplace):
            return Review.objects.create(
                session=session,
                tutor_id=session.tutor_id,
                author=author,
                rating=rating,
                text=fields.pop("text", REVIEW_TEXT),
                **fields,
            )

    return make


@pytest.fixture
def platform_staff():
    return UserFactory(
        email="moderator@platform.test",
        first_name="Mo",
        last_name="Derator",
        is_platform_staff=True,
    )
