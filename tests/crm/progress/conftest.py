"""A student with a family and tutors in acme, for the progress and documents tests."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from accounts.models import Membership
from crm import services
from crm.minors import tenant_today
from crm.models import LearningGoal, ParentalConsent, StudentProfile, TutorAssignment

Role = Membership.Role

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64


def born_years_ago(tenant, years: int) -> dt.date:
    with tenant_context(tenant):
        return dt.date(tenant_today().year - years, 1, 1)


def upload(name: str = "homework.pdf", content: bytes = PDF, content_type="application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


@pytest.fixture
def make_student(acme, owner, member):
    """``make_student(age=15, with_account=True)`` → (profile, student membership, parent
    membership): a student of acme with a linked parent who has an account.
    """

    def make(age: int = 15, with_account: bool = True, first_name: str = "Sam"):
        student = member(acme, Role.STUDENT, first_name=first_name) if with_account else None
        parent = member(acme, Role.PARENT, first_name="Pat")
        with tenant_context(acme):
            profile = services.student_create(
                actor=owner,
                first_name=first_name,
                last_name="Learner",
                email=student.user.email if student else "",
                date_of_birth=born_years_ago(acme, age),
                parents=[{"email": parent.user.email}],
            )
        assert profile.user_id == (student.user_id if student else None)
        return profile, student, parent

    return make


@pytest.fixture
def family(acme, owner, member, make_student):
    """Sam (15) with parent Pat, assigned tutor Theo; plus people who must not see Sam."""
    profile, student, parent = make_student()
    tutor = member(acme, Role.TUTOR, first_name="Theo")
    other_tutor = member(acme, Role.TUTOR, first_name="Olga")
    other_profile, other_student, other_parent = make_student(first_name="Kim")
    with tenant_context(acme):
        TutorAssignment.objects.create(student=profile, tutor=tutor.user, assigned_by=owner.user)
        TutorAssignment.objects.create(
            student=other_profile, tutor=other_tutor.user, assigned_by=owner.user
        )
    return SimpleNamespace(
        profile=profile,
        student=student,
        parent=parent,
        tutor=tutor,
        staff=member(acme, Role.STAFF),
        owner=owner,
        other_tutor=other_tutor,
        other_profile=other_profile,
        other_student=other_student,
        other_parent=other_parent,
    )


@pytest.fixture
def goal_of(acme):
    """``goal_of(family, **fields)`` → a goal set on the family's student by their tutor."""

    def make(family, **fields) -> LearningGoal:
        fields.setdefault("title", "Fractions")
        with tenant_context(acme):
            return services.goal_create(actor=family.tutor, student=family.profile, **fields)

    return make


@pytest.fixture
def consent_for(acme):
    def give(profile: StudentProfile, parent: Membership) -> ParentalConsent:
        with tenant_context(acme):
            return ParentalConsent.objects.create(
                student=profile,
                parent=parent.user,
                method=ParentalConsent.Method.PAPER_FORM,
                statement="I agree.",
                recorded_by=parent.user,
            )

    return give
