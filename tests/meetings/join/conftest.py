"""Joining tests: a confirmed ``lesson`` in acme whose meeting the fake provider made, the
people of acme (tutor, adult student, parent with a child, staff), and acme's meeting
policy."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from meetings.models import Attendance, MeetingSettings
from meetings.services.lifecycle import meeting_sync
from scheduling.models import Session

MINUTE = dt.timedelta(minutes=1)


def soon(minutes: float = 5) -> dt.datetime:
    """An instant ``minutes`` from now, on a whole minute."""
    return timezone.now().replace(second=0, microsecond=0) + dt.timedelta(minutes=minutes)


@pytest.fixture
def lesson(acme, booked, tutor_profile, student_profile, fake_meetings):
    """``lesson(starts_at=soon(5), student=student_profile, ready=True, **fields)`` → a
    confirmed one-hour session; ``ready`` makes its meeting (the fake provider's)."""

    def make(starts_at=None, *, student=None, ready: bool = True, **fields) -> Session:
        session = booked(tutor_profile, student or student_profile, starts_at or soon(), **fields)
        if ready:
            with tenant_context(acme):
                assert meeting_sync(session_id=session.pk) == "created"
        fake_meetings.calls.clear()
        with tenant_context(acme):
            return Session.objects.select_related("tutor__user", "student", "subject").get(
                pk=session.pk
            )

    return make


@pytest.fixture
def policy(acme):
    """``policy(parents_may_join=True, ...)`` changes acme's meeting settings."""

    def change(**fields) -> None:
        with tenant_context(acme):
            MeetingSettings.current()
            MeetingSettings.objects.filter(pk=1).update(**fields)

    return change


@pytest.fixture
def attendance(acme):
    """``attendance(session)`` → [(user id, role, join count)] of its attendance rows."""

    def read(session) -> list[tuple[int, str, int]]:
        with tenant_context(acme):
            rows = Attendance.objects.filter(session_id=session.pk).order_by("user_id")
            return [(row.user_id, row.role, row.join_count) for row in rows]

    return read
