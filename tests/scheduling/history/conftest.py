"""A session with everyone around it, for the history tests."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import Membership

PDF = b"%PDF-1.4\n1 0 obj\n<< /Type /Catalog >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"


def upload(name: str = "worksheet.pdf", content: bytes = PDF) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def in_days(days: int, hour: int = 10) -> dt.datetime:
    day = timezone.now().date() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


@pytest.fixture
def cast(acme, owner, member, teacher, tutor, tutor_profile, student, student_profile, booked):
    """Theo tutors Sam (an adult with an account, whose parent Pat is linked); plus staff,
    another tutor and another student who must not see Sam's session.
    """
    from django_tenants.utils import tenant_context

    from crm.models import ParentLink

    parent = member(acme, Membership.Role.PARENT, first_name="Pat")
    with tenant_context(acme):
        ParentLink.objects.create(
            student=student_profile, parent=parent.user, email=parent.user.email
        )
    other_tutor, other_profile = teacher(acme, first_name="Olga", last_name="Other")
    session = booked(tutor_profile, student_profile, in_days(-1), status="completed")
    return SimpleNamespace(
        session=session,
        tutor=tutor,
        tutor_profile=tutor_profile,
        student=student,
        student_profile=student_profile,
        parent=parent,
        owner=owner,
        staff=member(acme, Membership.Role.STAFF),
        other_tutor=other_tutor,
        other_profile=other_profile,
        outsider=member(acme, Membership.Role.STUDENT, first_name="Otto"),
    )
