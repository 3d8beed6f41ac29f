"""The meeting lifecycle with Zoom as acme's provider, end to end against the fake Zoom:
a confirmed session gets its meeting and route, Zoom's events about it reach acme, and a
move and a cancellation follow it there.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django_tenants.utils import tenant_context

from meetings.models import Attendance, Meeting
from meetings.routes import route_tenant
from meetings.services.lifecycle import meeting_sync
from scheduling.models import Session
from tests.meetings.zoom.conftest import LESSON_START, participant_event

pytestmark = pytest.mark.django_db


def _sync(tenant, session: Session) -> str:
    with tenant_context(tenant):
        return meeting_sync(session_id=session.pk)


def test_a_confirmed_session_gets_a_zoom_meeting_that_zooms_events_find(
    fake_zoom, zoom_acme, lesson, deliver, student
):
    assert _sync(zoom_acme, lesson) == "created"
    with tenant_context(zoom_acme):
        meeting = Meeting.objects.get(session=lesson)
    assert meeting.status == Meeting.Status.READY
    assert meeting.external_id in fake_zoom.meetings
    assert route_tenant(provider="zoom", external_id=meeting.external_id) == zoom_acme

    event = participant_event(
        "joined", email=student.user.email, name="Sam", at=LESSON_START, zoom_id=meeting.external_id
    )
    assert deliver(event).json() == {"status": "queued"}
    with tenant_context(zoom_acme):
        assert Attendance.objects.get().user_id == student.user_id


def test_a_moved_then_cancelled_session_moves_then_removes_its_zoom_meeting(
    fake_zoom, zoom_acme, lesson
):
    _sync(zoom_acme, lesson)
    later = LESSON_START + dt.timedelta(days=1)
    with tenant_context(zoom_acme):
        Session.objects.filter(pk=lesson.pk).update(
            starts_at=later, ends_at=later + dt.timedelta(hours=1)
        )
    assert _sync(zoom_acme, lesson) == "moved"
    [made] = fake_zoom.meetings.values()
    assert made["start_time"] == "2031-06-03T09:00:00Z"

    with tenant_context(zoom_acme):
        Session.objects.filter(pk=lesson.pk).update(status=Session.Status.CANCELLED)
    assert _sync(zoom_acme, lesson) == "removed"
    assert not fake_zoom.meetings
    assert route_tenant(provider="zoom", external_id=str(made["id"])) is None
