"""The demo agency has students with goals and progress, and a consenting parent of a child."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from crm.minors import student_age, student_restrictions
from crm.models import (
    Credential,
    LearningGoal,
    ParentalConsent,
    ProgressEntry,
    StudentDocument,
    StudentProfile,
    TutorAssignment,
    VerificationStatus,
)
from demo.seed import demo_seed
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def test_demo_students_have_goals_progress_parents_and_a_child_with_consent():
    demo_seed()
    demo_seed()  # idempotent: nothing below is doubled
    with tenant_context(Tenant.objects.get(slug="acme")):
        sam = StudentProfile.objects.get(email="student@acme.test")
        mia = StudentProfile.objects.get(first_name="Mia")
        assert sam.user.email == "student@acme.test"
        assert 13 <= student_age(sam) < 18
        assert student_age(mia) < 13
        for child in (sam, mia):
            assert [link.parent.email for link in child.parent_links.all()] == ["parent@acme.test"]
            assert student_restrictions(child) == []
            assert TutorAssignment.objects.filter(
                student=child, tutor__email="tutor@acme.test"
            ).exists()
        consent = ParentalConsent.objects.get(student=mia)
        assert (consent.parent.email, consent.method, consent.withdrawn_at) == (
            "parent@acme.test",
            "online",
            None,
        )
        assert LearningGoal.objects.filter(student=sam).count() == 2
        assert LearningGoal.objects.filter(student=mia).count() == 1
        assert ProgressEntry.objects.filter(goal__student=sam).count() == 8
        assert StudentDocument.objects.filter(student=sam).count() == 1
        credential = Credential.objects.get(profile__user__email="tutor@acme.test")
        assert credential.status == VerificationStatus.VERIFIED
        with credential.document.file.open("rb") as pdf:
            assert pdf.read(5) == b"%PDF-"
