"""The demo has a Jitsi room for every confirmed class, a class one can join right after
seeding, and last week's class attended by both and confirmed by the student."""

from __future__ import annotations

import pytest
from django.utils import timezone
from django_tenants.utils import tenant_context

from demo.seed import demo_seed
from meetings.models import Attendance, Meeting, SessionCompletion
from meetings.window import window_is_open
from scheduling.models import Session
from tenants.models import Tenant

pytestmark = pytest.mark.django_db


def test_demo_meetings_are_ready_joinable_and_the_held_class_is_confirmed():
    demo_seed()
    demo_seed()  # nothing below is doubled
    with tenant_context(Tenant.objects.get(slug="acme")):
        upcoming = Session.objects.filter(status="confirmed", ends_at__gt=timezone.now())
        assert upcoming.count() == 3
        meetings = Meeting.objects.filter(session__in=upcoming)
        assert sorted(meetings.values_list("provider", "status")) == [("jitsi", "ready")] * 3
        assert all(len(meeting.room_name) >= 32 for meeting in meetings)

        soon = upcoming.filter(student__email="student@acme.test").order_by("starts_at").first()
        assert window_is_open(soon, timezone.now())

        held = Session.objects.get(status="completed")
        completion = SessionCompletion.objects.get(session=held)
        assert (completion.confirmed_via, completion.confirmed_by.email) == (
            "student",
            "student@acme.test",
        )
        attendances = Attendance.objects.filter(session=held).order_by("role")
        assert [(a.role, a.via_platform, a.via_provider) for a in attendances] == [
            ("student", True, True),
            ("tutor", True, True),
        ]
        assert attendances.get(role="student").seconds_present == 60 * 60
