"""Helpers for the agency-management tests: CSV uploads and an invited tutor."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import tenant_context

from crm.models import TutorProfile

STUDENT_HEADER = (
    "first_name,last_name,email,date_of_birth,grade_level,subjects,learning_style,"
    "parent_email,parent_first_name,parent_last_name,parent_relationship"
)
TUTOR_HEADER = "email,first_name,last_name,headline,years_of_experience,languages,subjects"


def csv_upload(text: str | bytes, name: str = "people.csv") -> SimpleUploadedFile:
    content = text.encode() if isinstance(text, str) else text
    return SimpleUploadedFile(name, content, content_type="text/csv")


def csv_of(header: str, *rows: str) -> str:
    return "\n".join([header, *rows]) + "\n"


def student_row(n: int, **overrides) -> str:
    """An adult student row (no parent needed)."""
    values = {
        "first_name": f"Stu{n}",
        "last_name": "Dent",
        "email": f"student{n}@example.test",
        "date_of_birth": "1990-05-01",
        "grade_level": "University",
        "subjects": "mathematics",
        "learning_style": "visual",
        "parent_email": "",
        "parent_first_name": "",
        "parent_last_name": "",
        "parent_relationship": "",
    }
    values.update(overrides)
    return ",".join(values.values())


def tutor_row(n: int, **overrides) -> str:
    values = {
        "email": f"tutor{n}@example.test",
        "first_name": f"Tia{n}",
        "last_name": "Teacher",
        "headline": "Patient maths tutor",
        "years_of_experience": "5",
        "languages": "en;pt-BR",
        "subjects": "mathematics:secondary:4:4500;physics:exam_prep:3",
    }
    values.update(overrides)
    return ",".join(values.values())


@pytest.fixture
def invited_tutor():
    """``invited_tutor(tenant, email, first, last, **fields)`` → a profile with no account."""

    def make(tenant, email="ivy@example.test", first="Ivy", last="Invited", **fields):
        with tenant_context(tenant):
            return TutorProfile.objects.create(
                invited_email=email, invited_first_name=first, invited_last_name=last, **fields
            )

    return make
