"""Meetings tests reuse the scheduling people (tutor, students, a parent with a child) and
add the fake provider, switched on in acme by ``fake_meetings``."""

from __future__ import annotations

import pytest
from django_tenants.utils import tenant_context

from meetings.models import MeetingSettings
from tests.meetings.fake_provider import FakeProvider
from tests.scheduling.conftest import (  # noqa: F401 (fixtures)
    booked,
    child,
    learner,
    maths,
    parent,
    student,
    student_pair,
    student_profile,
    teacher,
    tutor,
    tutor_pair,
    tutor_profile,
    weekly,
)


@pytest.fixture
def fake_meetings(acme):
    """acme makes its meetings with the fake provider; returns it, reset."""
    FakeProvider.reset()
    with tenant_context(acme):
        MeetingSettings.objects.update_or_create(pk=1, defaults={"provider": "fake"})
    yield FakeProvider
    FakeProvider.reset()
