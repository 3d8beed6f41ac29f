"""Helpers for the scheduling pages and the calendar/utilization API.

``upcoming(weekday, "10:00", zone)`` is a time one to two weeks ahead, on a weekday, as
an aware datetime in ``zone``: past any tutor's minimum notice and inside the default
booking horizon, whatever day the tests run.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from scheduling.models import TutorSchedule


def upcoming(weekday: int, at: str, zone: str = "Europe/London") -> dt.datetime:
    """The ``weekday`` (Monday 0) at ``at`` in ``zone``, 8 to 14 days from today."""
    tz = zoneinfo.ZoneInfo(zone)
    today = timezone.now().astimezone(tz).date()
    day = today + dt.timedelta(days=8)
    day += dt.timedelta(days=(weekday - day.weekday()) % 7)
    return dt.datetime.combine(day, dt.time.fromisoformat(at), tzinfo=tz)


@pytest.fixture
def schedule_set(acme):
    """``schedule_set(profile, instant_booking=True, ...)`` → the tutor's saved schedule."""

    def make(profile, **fields) -> TutorSchedule:
        with tenant_context(acme):
            schedule, _ = TutorSchedule.objects.get_or_create(tutor=profile)
            for name, value in fields.items():
                setattr(schedule, name, value)
            schedule.save()
            return schedule

    return make


class _Given:
    """Fixtures by attribute, each made on first use: ``given.acme``, ``given.student``."""

    def __init__(self, request):
        self._request = request

    def __getattr__(self, name: str):
        if name.startswith("_"):
            raise AttributeError(name)
        return self._request.getfixturevalue(name)


@pytest.fixture
def given(request) -> _Given:
    """The shared fixtures of a test without listing each as a parameter."""
    return _Given(request)
