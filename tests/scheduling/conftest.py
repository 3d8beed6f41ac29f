"""Helpers for the scheduling tests: a tutor who teaches mathematics, students, sessions.

Every fixture builds through the real crm services, so the people are the ones an agency
would have: ``tutor`` teaches mathematics (secondary) at 40.00 GBP an hour in acme,
``student`` is an adult with an account assigned to nobody yet, ``parent`` has a linked
10-year-old ``child`` whose consent is given.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services as crm
from crm.minors import born_by, consent_statement
from crm.models import StudentProfile, Subject, TutorProfile
from scheduling.models import AvailabilityRule, Session

HOURLY_RATE_MINOR = 4000


def dob_for(age: int) -> dt.date:
    """A date of birth ``age`` years (and a few weeks) ago: no birthday near today."""
    return born_by(age, timezone.now().date()) - dt.timedelta(days=40)


@pytest.fixture
def teacher():
    """``teacher(tenant, **user_fields)`` → (tutor membership, profile teaching mathematics)."""

    def make(tenant, **user_fields) -> tuple[Membership, TutorProfile]:
        existing = Membership.objects.filter(tenant=tenant, role=Membership.Role.TUTOR).count()
        user_fields.setdefault("email", f"tutor{existing or ''}@{tenant.slug}.test")
        user_fields.setdefault("first_name", "Theo")
        user_fields.setdefault("last_name", "Turner")
        user_fields.setdefault("time_zone", "Europe/London")
        from tests.factories import MembershipFactory, UserFactory

        membership = MembershipFactory(
            tenant=tenant, role=Membership.Role.TUTOR, user=UserFactory(**user_fields)
        )
        with tenant_context(tenant):
            profile = crm.tutor_profile_ensure(actor=membership)
            crm.tutor_subject_add(
                profile=profile,
                actor=membership,
                subject_id=Subject.objects.get(slug="mathematics").pk,
                level="secondary",
                proficiency=5,
                hourly_rate_minor=HOURLY_RATE_MINOR,
                currency="GBP",
            )
        return membership, profile

    return make


@pytest.fixture
def tutor_pair(acme, teacher) -> tuple[Membership, TutorProfile]:
    return teacher(acme)


@pytest.fixture
def tutor(tutor_pair) -> Membership:
    return tutor_pair[0]


@pytest.fixture
def tutor_profile(tutor_pair) -> TutorProfile:
    return tutor_pair[1]


@pytest.fixture
def maths(acme) -> Subject:
    with tenant_context(acme):
        return Subject.objects.get(slug="mathematics")


@pytest.fixture
def learner(owner, member):
    """``learner(tenant=acme's, age=20)`` → (student membership, their StudentProfile)."""

    def make(*, age: int = 20, first_name: str = "Sam", **user_fields):
        tenant = owner.tenant
        membership = member(tenant, Membership.Role.STUDENT, first_name=first_name, **user_fields)
        with tenant_context(tenant):
            profile = crm.student_create(
                actor=owner,
                first_name=first_name,
                last_name="Student",
                email=membership.user.email,
                date_of_birth=dob_for(age),
            )
        return membership, profile

    return make


@pytest.fixture
def student_pair(learner) -> tuple[Membership, StudentProfile]:
    return learner()


@pytest.fixture
def student(student_pair) -> Membership:
    return student_pair[0]


@pytest.fixture
def student_profile(student_pair) -> StudentProfile:
    return student_pair[1]


@pytest.fixture
def parent(acme, member) -> Membership:
    return member(acme, Membership.Role.PARENT, first_name="Pat", last_name="Parent")


@pytest.fixture
def child(acme, owner, parent) -> StudentProfile:
    """A 10-year-old without an account, linked to ``parent``, consent given online."""
    with tenant_context(acme):
        kid = crm.student_create(
            actor=owner,
            first_name="Kit",
            last_name="Parent",
            date_of_birth=dob_for(10),
            parents=[{"email": parent.user.email}],
        )
        crm.consent_give(
            student=kid,
            actor=parent,
            statement=consent_statement(kid, tenant_name=acme.name),
        )
        return kid


@pytest.fixture
def weekly():
    """``weekly(profile, weekday, "09:00", "17:00")`` → a weekly availability rule."""

    def make(profile: TutorProfile, weekday: int, start: str, end: str) -> AvailabilityRule:
        with in_tenant_of(profile):
            return AvailabilityRule.objects.create(
                tutor=profile,
                weekday=weekday,
                start_time=dt.time.fromisoformat(start),
                end_time=dt.time.fromisoformat(end),
            )

    return make


class in_tenant_of:  # noqa: N801 (used like tenant_context)
    """Enter the tenant of the membership that owns ``profile``."""

    def __init__(self, profile: TutorProfile):
        self.tenant = Membership.objects.select_related("tenant").get(user=profile.user).tenant

    def __enter__(self):
        self._context = tenant_context(self.tenant)
        return self._context.__enter__()

    def __exit__(self, *exc):
        return self._context.__exit__(*exc)


@pytest.fixture
def booked():
    """``booked(tutor_profile, student_profile, start, minutes=60, status="confirmed")``
    → a session written straight to the database (for tests about what surrounds one).
    """

    def make(
        tutor_profile: TutorProfile,
        student_profile: StudentProfile,
        starts_at: dt.datetime,
        minutes: int = 60,
        status: str = Session.Status.CONFIRMED,
        **fields,
    ) -> Session:
        with in_tenant_of(tutor_profile):
            return Session.objects.create(
                tutor=tutor_profile,
                student=student_profile,
                subject=fields.pop("subject", None) or Subject.objects.get(slug="mathematics"),
                starts_at=starts_at,
                ends_at=starts_at + dt.timedelta(minutes=minutes),
                status=status,
                price_minor=fields.pop("price_minor", HOURLY_RATE_MINOR * minutes // 60),
                currency=fields.pop("currency", "GBP"),
                requested_by=fields.pop("requested_by", None) or tutor_profile.user,
                **fields,
            )

    return make
