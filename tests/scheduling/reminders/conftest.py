"""Sessions due for reminders, and the notifications they produced."""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from notifications.models import Notification
from scheduling.jobs_reminders import REMINDER_EVENT
from scheduling.models import Session
from tests.scheduling.conftest import in_tenant_of

# A fixed start well in the future: runs pass ``now`` relative to it.
START = dt.datetime(2031, 3, 4, 17, 0, tzinfo=dt.UTC)


@pytest.fixture
def confirmed(booked, tutor_profile, student_profile):
    """``confirmed(start=START, **fields)`` → a confirmed session, arranged days before."""

    def make(starts_at: dt.datetime = START, **fields) -> Session:
        session = booked(tutor_profile, student_profile, starts_at, **fields)
        return backdate(session, days=7)

    return make


def backdate(session: Session, **delta) -> Session:
    """Pretend the session was booked ``delta`` before its start (created_at is auto)."""
    with in_tenant_of(session.tutor):
        Session.objects.filter(pk=session.pk).update(
            created_at=session.starts_at - dt.timedelta(**delta)
        )
        session.refresh_from_db()
    return session


def reminders_of(tenant) -> list[Notification]:
    with tenant_context(tenant):
        return list(
            Notification.objects.filter(event=REMINDER_EVENT).select_related("user").order_by("pk")
        )
